package io.hyperlane.resilience;

/**
 * A monotonic source of nanoseconds, the only clock Hyperlane's stages read.
 *
 * <p>Production code uses {@link #system()}; tests pass a fake whose value they advance by hand, so
 * that ejection backoffs, slow-start ramps, latency decay and timeouts can be checked without
 * sleeping. Only differences between two readings are meaningful; the value itself may be negative.
 *
 * <p>Implementations must be thread-safe and cheap: the routing stage reads the ticker twice per
 * call.
 */
@FunctionalInterface
public interface Ticker {

  /** Returns the current reading in nanoseconds. */
  long read();

  /** Returns the ticker backed by {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
