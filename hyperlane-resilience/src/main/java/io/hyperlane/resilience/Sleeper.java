package io.hyperlane.resilience;

import java.time.Duration;

/**
 * Waits between attempts. Production code uses {@link #system()}; tests pass a fake that records the
 * requested pause and advances a fake {@link Ticker} instead of waiting.
 */
@FunctionalInterface
public interface Sleeper {

  /**
   * Waits {@code duration}, or returns at once when it is zero or negative.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void sleep(Duration duration) throws InterruptedException;

  /** Returns the sleeper backed by {@link Thread#sleep(long, int)}. */
  static Sleeper system() {
    return duration -> {
      long nanos = duration.toNanos();
      if (nanos > 0) {
        Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
      }
    };
  }
}
