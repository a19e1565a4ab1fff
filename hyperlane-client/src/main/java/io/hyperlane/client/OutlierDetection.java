package io.hyperlane.client;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * Passive outlier ejection: an endpoint whose calls fail several times in a row is taken out of
 * rotation for a while, longer each time it is ejected again.
 *
 * <p>A failure is an I/O error or a 5xx response; a cancelled call is neither a failure nor a
 * success. After {@link Builder#consecutiveFailures(int)} failures in a row the endpoint is ejected
 * for {@code baseEjectionTime × n}, where {@code n} counts its recent ejections, up to {@link
 * Builder#maxEjectionTime(Duration)} (where {@code n} stops growing); {@code n} drops by one for
 * every {@code baseEjectionTime} the endpoint spends in rotation without being ejected. At most
 * {@link Builder#maxEjectedShare(double)} of a service's endpoints (and always at least one) are
 * ejected at once, and when every endpoint of a service is ejected, calls are spread over all of
 * them rather than failing.
 *
 * <pre>{@code
 * OutlierDetection od = OutlierDetection.builder()
 *     .consecutiveFailures(3)
 *     .baseEjectionTime(Duration.ofSeconds(10))
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable. Every setter checks its value at once and names it when it refuses
 * it.
 */
public final class OutlierDetection {

  private static final OutlierDetection DEFAULTS = new Builder().build();
  private static final OutlierDetection DISABLED = new Builder().enabled(false).build();

  final boolean enabled;
  final int consecutiveFailures;
  final long baseEjectionNanos;
  final long maxEjectionNanos;
  final double maxEjectedShare;

  private OutlierDetection(Builder b) {
    this.enabled = b.enabled;
    this.consecutiveFailures = b.consecutiveFailures;
    this.baseEjectionNanos = b.baseEjectionTime.toNanos();
    this.maxEjectionNanos = b.maxEjectionTime.toNanos();
    this.maxEjectedShare = b.maxEjectedShare;
  }

  /** 5 consecutive failures, 30 s base ejection, 5 min at most, at most half of the endpoints. */
  public static OutlierDetection defaults() {
    return DEFAULTS;
  }

  /** No endpoint is ever ejected. */
  public static OutlierDetection disabled() {
    return DISABLED;
  }

  /** Returns a builder that starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether ejection is on. */
  public boolean enabled() {
    return enabled;
  }

  /** Failures in a row that eject an endpoint. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** How long a first ejection lasts. */
  public Duration baseEjectionTime() {
    return Duration.ofNanos(baseEjectionNanos);
  }

  /** The longest an ejection lasts. */
  public Duration maxEjectionTime() {
    return Duration.ofNanos(maxEjectionNanos);
  }

  /** The largest share of a service's endpoints ejected at once. */
  public double maxEjectedShare() {
    return maxEjectedShare;
  }

  @Override
  public String toString() {
    return enabled
        ? "OutlierDetection{consecutiveFailures="
            + consecutiveFailures
            + ", baseEjectionTime="
            + Durations.human(baseEjectionTime())
            + ", maxEjectionTime="
            + Durations.human(maxEjectionTime())
            + ", maxEjectedShare="
            + maxEjectedShare
            + "}"
        : "OutlierDetection{disabled}";
  }

  /** Builds an {@link OutlierDetection}; each setter validates its argument at once. */
  public static final class Builder {
    private boolean enabled = true;
    private int consecutiveFailures = 5;
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private Duration maxEjectionTime = Duration.ofMinutes(5);
    private double maxEjectedShare = 0.5;

    private Builder() {}

    /** Turns ejection on (the default) or off. */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /**
     * Failures in a row that eject an endpoint.
     *
     * @throws IllegalArgumentException if not between 1 and 1000
     */
    public Builder consecutiveFailures(int count) {
      if (count < 1 || count > 1000) {
        throw new IllegalArgumentException(
            "consecutiveFailures must be between 1 and 1000 but was " + count);
      }
      this.consecutiveFailures = count;
      return this;
    }

    /**
     * How long a first ejection lasts; the n-th recent ejection lasts n times as long.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 hour
     */
    public Builder baseEjectionTime(Duration time) {
      Objects.requireNonNull(time, "baseEjectionTime");
      if (time.compareTo(Duration.ofMillis(1)) < 0 || time.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "baseEjectionTime must be between 1ms and 1h but was " + time);
      }
      this.baseEjectionTime = time;
      return this;
    }

    /**
     * The longest an ejection lasts, however often the endpoint was ejected.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 day
     */
    public Builder maxEjectionTime(Duration time) {
      Objects.requireNonNull(time, "maxEjectionTime");
      if (time.compareTo(Duration.ofMillis(1)) < 0 || time.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(
            "maxEjectionTime must be between 1ms and 1d but was " + time);
      }
      this.maxEjectionTime = time;
      return this;
    }

    /**
     * The largest share of a service's endpoints ejected at once; at least one endpoint may always
     * be ejected.
     *
     * @throws IllegalArgumentException if not between 0 and 1
     */
    public Builder maxEjectedShare(double share) {
      if (!(share >= 0.0 && share <= 1.0)) {
        throw new IllegalArgumentException(
            "maxEjectedShare must be between 0.0 and 1.0 but was " + share);
      }
      this.maxEjectedShare = share;
      return this;
    }

    /**
     * Returns the immutable settings.
     *
     * @throws IllegalArgumentException if maxEjectionTime is shorter than baseEjectionTime
     */
    public OutlierDetection build() {
      if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
        throw new IllegalArgumentException(
            "maxEjectionTime ("
                + maxEjectionTime
                + ") must not be shorter than baseEjectionTime ("
                + baseEjectionTime
                + ")");
      }
      return new OutlierDetection(this);
    }
  }
}
