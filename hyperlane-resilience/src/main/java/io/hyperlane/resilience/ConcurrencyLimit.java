package io.hyperlane.resilience;

import java.time.Duration;
import java.util.Objects;

/**
 * An adaptive cap on a service's calls in flight: additive increase, multiplicative decrease (AIMD,
 * which Netflix's concurrency-limits recommends for clients). Each call that succeeds while the
 * limit is at least half used raises the limit by one; each call that ends in an I/O error, a 503
 * or a 429 multiplies it by {@link Builder#backoffRatio(double)}. A call over the limit waits up to
 * {@link Builder#maxWait(Duration)} for a slot, then fails with {@link LimitExceededException}
 * without being sent. Off unless turned on.
 *
 * <pre>{@code
 * ConcurrencyLimit limit = ConcurrencyLimit.builder().initialLimit(50).maxLimit(400).build();
 * }</pre>
 *
 * <p>Instances are immutable; every setter checks its value at once.
 */
public final class ConcurrencyLimit {

  private static final ConcurrencyLimit NONE = new ConcurrencyLimit(new Builder(), false);

  final boolean enabled;
  final int initialLimit;
  final int minLimit;
  final int maxLimit;
  final double backoffRatio;
  final long maxWaitNanos;

  private ConcurrencyLimit(Builder b, boolean enabled) {
    this.enabled = enabled;
    this.initialLimit = b.initialLimit;
    this.minLimit = b.minLimit;
    this.maxLimit = b.maxLimit;
    this.backoffRatio = b.backoffRatio;
    this.maxWaitNanos = b.maxWait.toNanos();
  }

  /** No limit. */
  public static ConcurrencyLimit none() {
    return NONE;
  }

  /** An AIMD limit starting at 20, between 1 and 200, backing off by 10%, no waiting. */
  public static ConcurrencyLimit aimd() {
    return builder().build();
  }

  /** Returns a builder that starts from {@link #aimd()}'s settings. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String toString() {
    return enabled
        ? "ConcurrencyLimit{aimd, initial="
            + initialLimit
            + ", min="
            + minLimit
            + ", max="
            + maxLimit
            + ", backoff="
            + backoffRatio
            + "}"
        : "ConcurrencyLimit{none}";
  }

  /** Builds a {@link ConcurrencyLimit}. */
  public static final class Builder {
    private int initialLimit = 20;
    private int minLimit = 1;
    private int maxLimit = 200;
    private double backoffRatio = 0.9;
    private Duration maxWait = Duration.ZERO;

    private Builder() {}

    /**
     * The limit to start from.
     *
     * @throws IllegalArgumentException if not between 1 and 100,000
     */
    public Builder initialLimit(int limit) {
      this.initialLimit = checked("initialLimit", limit);
      return this;
    }

    /**
     * The lowest the limit goes.
     *
     * @throws IllegalArgumentException if not between 1 and 100,000
     */
    public Builder minLimit(int limit) {
      this.minLimit = checked("minLimit", limit);
      return this;
    }

    /**
     * The highest the limit goes.
     *
     * @throws IllegalArgumentException if not between 1 and 100,000
     */
    public Builder maxLimit(int limit) {
      this.maxLimit = checked("maxLimit", limit);
      return this;
    }

    /**
     * What the limit is multiplied by after a failed call.
     *
     * @throws IllegalArgumentException if not between 0.5 and 1 (exclusive)
     */
    public Builder backoffRatio(double ratio) {
      if (!(ratio >= 0.5 && ratio < 1.0)) {
        throw new IllegalArgumentException(
            "backoffRatio must be at least 0.5 and below 1.0 but was " + ratio);
      }
      this.backoffRatio = ratio;
      return this;
    }

    /**
     * How long a call over the limit waits for a slot before it is refused; zero (the default)
     * refuses at once.
     *
     * @throws IllegalArgumentException if negative or over 1 minute
     */
    public Builder maxWait(Duration maxWait) {
      Objects.requireNonNull(maxWait, "maxWait");
      if (maxWait.isNegative() || maxWait.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("maxWait must be between 0 and 1m but was " + maxWait);
      }
      this.maxWait = maxWait;
      return this;
    }

    /**
     * Returns the immutable settings.
     *
     * @throws IllegalArgumentException unless minLimit ≤ initialLimit ≤ maxLimit
     */
    public ConcurrencyLimit build() {
      if (minLimit > initialLimit || initialLimit > maxLimit) {
        throw new IllegalArgumentException(
            "limits must satisfy minLimit ("
                + minLimit
                + ") <= initialLimit ("
                + initialLimit
                + ") <= maxLimit ("
                + maxLimit
                + ")");
      }
      return new ConcurrencyLimit(this, true);
    }

    private static int checked(String name, int limit) {
      if (limit < 1 || limit > 100_000) {
        throw new IllegalArgumentException(name + " must be between 1 and 100000 but was " + limit);
      }
      return limit;
    }
  }
}
