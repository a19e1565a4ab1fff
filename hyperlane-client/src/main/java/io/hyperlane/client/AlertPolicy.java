package io.hyperlane.client;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Thresholds on a service's p99 latency and error rate, evaluated over a sliding window of logical
 * calls, at most once per second. An alert fires once when a value goes above its threshold and
 * resolves once when it falls back to 90% of it or below, so a value hovering at the threshold does
 * not flap. Nothing is judged before {@link Builder#minCalls(int)} calls are in the window.
 *
 * <pre>{@code
 * AlertPolicy policy = AlertPolicy.builder()
 *     .p99Above(Duration.ofMillis(250))
 *     .errorRateAbove(0.05)
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable; every setter checks its value at once.
 */
public final class AlertPolicy {

  final long p99Nanos;
  final double errorRate;
  final long windowNanos;
  final int minCalls;

  private AlertPolicy(Builder b) {
    this.p99Nanos = b.p99 == null ? 0 : b.p99.toNanos();
    this.errorRate = b.errorRate;
    this.windowNanos = b.window.toNanos();
    this.minCalls = b.minCalls;
  }

  /** Returns a builder with no threshold, a 60 s window and 20 calls at least. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String toString() {
    return "AlertPolicy{p99Above="
        + (p99Nanos == 0 ? "-" : Durations.nanos(p99Nanos))
        + ", errorRateAbove="
        + (errorRate < 0 ? "-" : errorRate)
        + ", window="
        + Durations.nanos(windowNanos)
        + ", minCalls="
        + minCalls
        + "}";
  }

  /** Builds an {@link AlertPolicy}. */
  public static final class Builder {
    private @Nullable Duration p99;
    private double errorRate = -1;
    private Duration window = Duration.ofSeconds(60);
    private int minCalls = 20;

    private Builder() {}

    /**
     * Fires when the p99 latency of logical calls over the window is above {@code threshold}.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 hour
     */
    public Builder p99Above(Duration threshold) {
      Objects.requireNonNull(threshold, "p99Above");
      if (threshold.compareTo(Duration.ofMillis(1)) < 0
          || threshold.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "p99Above must be between 1ms and 1h but was " + threshold);
      }
      this.p99 = threshold;
      return this;
    }

    /**
     * Fires when the share of failed calls over the window is above {@code share}.
     *
     * @throws IllegalArgumentException if not above 0 and below 1
     */
    public Builder errorRateAbove(double share) {
      if (!(share > 0.0 && share < 1.0)) {
        throw new IllegalArgumentException(
            "errorRateAbove must be above 0.0 and below 1.0 but was " + share);
      }
      this.errorRate = share;
      return this;
    }

    /**
     * The sliding window the values are measured over.
     *
     * @throws IllegalArgumentException if not between 10 s and 1 hour
     */
    public Builder window(Duration window) {
      Objects.requireNonNull(window, "window");
      if (window.compareTo(Duration.ofSeconds(10)) < 0
          || window.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("window must be between 10s and 1h but was " + window);
      }
      this.window = window;
      return this;
    }

    /**
     * Calls the window must hold before anything is judged.
     *
     * @throws IllegalArgumentException if not between 1 and 1,000,000
     */
    public Builder minCalls(int minCalls) {
      if (minCalls < 1 || minCalls > 1_000_000) {
        throw new IllegalArgumentException(
            "minCalls must be between 1 and 1000000 but was " + minCalls);
      }
      this.minCalls = minCalls;
      return this;
    }

    /**
     * Returns the immutable policy.
     *
     * @throws IllegalStateException when neither threshold is set
     */
    public AlertPolicy build() {
      if (p99 == null && errorRate < 0) {
        throw new IllegalStateException("an AlertPolicy needs p99Above or errorRateAbove");
      }
      return new AlertPolicy(this);
    }
  }
}
