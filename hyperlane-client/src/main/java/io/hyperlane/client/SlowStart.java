package io.hyperlane.client;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * Ramps up the share of an endpoint that just joined a service, or just came back from ejection, so
 * that a cold JVM or an empty cache is not handed a full share of traffic at once.
 *
 * <p>During the window the endpoint's weight is multiplied by {@code max(minimumShare, elapsed /
 * window)}, rising linearly to its full weight. The endpoints a service starts with are not ramped:
 * they all start together, so none has an advantage.
 *
 * <pre>{@code
 * SlowStart ramp = SlowStart.of(Duration.ofSeconds(60), 0.05);
 * }</pre>
 *
 * <p>Instances are immutable.
 */
public final class SlowStart {

  private static final SlowStart DEFAULTS = new SlowStart(Duration.ofSeconds(30), 0.1);
  private static final SlowStart DISABLED = new SlowStart(Duration.ZERO, 1.0);

  final long windowNanos;
  final double minimumShare;

  private SlowStart(Duration window, double minimumShare) {
    this.windowNanos = window.toNanos();
    this.minimumShare = minimumShare;
  }

  /** A 30 s linear ramp starting at 10% of the endpoint's weight. */
  public static SlowStart defaults() {
    return DEFAULTS;
  }

  /** New endpoints get their full weight at once. */
  public static SlowStart disabled() {
    return DISABLED;
  }

  /**
   * A linear ramp over {@code window}, starting at {@code minimumShare} of the endpoint's weight.
   *
   * @param window between 1 ms and 1 hour
   * @param minimumShare the share at the start of the ramp, above 0 and at most 1
   * @throws IllegalArgumentException naming the setting and the bad value
   */
  public static SlowStart of(Duration window, double minimumShare) {
    Objects.requireNonNull(window, "window");
    if (window.compareTo(Duration.ofMillis(1)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException(
          "slow start window must be between 1ms and 1h but was " + window);
    }
    if (!(minimumShare > 0.0 && minimumShare <= 1.0)) {
      throw new IllegalArgumentException(
          "slow start minimumShare must be above 0.0 and at most 1.0 but was " + minimumShare);
    }
    return new SlowStart(window, minimumShare);
  }

  /** The length of the ramp; zero when slow start is off. */
  public Duration window() {
    return Duration.ofNanos(windowNanos);
  }

  /** The share of its weight an endpoint gets when its ramp starts. */
  public double minimumShare() {
    return minimumShare;
  }

  boolean enabled() {
    return windowNanos > 0;
  }

  /** The weight factor {@code elapsedNanos} into the ramp, or 1 once the ramp is over. */
  double factor(long elapsedNanos) {
    if (elapsedNanos >= windowNanos) {
      return 1.0;
    }
    return Math.max(minimumShare, Math.max(0L, elapsedNanos) / (double) windowNanos);
  }

  @Override
  public String toString() {
    return enabled()
        ? "SlowStart{window=" + Durations.human(window()) + ", minimumShare=" + minimumShare + "}"
        : "SlowStart{disabled}";
  }
}
