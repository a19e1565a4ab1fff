package io.hyperlane.resilience;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * A cap on retries (and hedges) per service, so that a failing service is not hit by every request
 * two or three times over (Finagle's model): each logical call deposits {@link
 * Builder#maxRetryShare(double)} of a retry; each retry withdraws one; deposits and withdrawals
 * count for {@link Builder#ttl(Duration)}; and {@link Builder#minRetriesPerSecond(int)} are always
 * allowed so that a service with little traffic can still retry.
 *
 * <p>With the defaults (20%, 10 per second, 10 s), a service that fails completely sees at most 1.2
 * × its calls plus 100 attempts per 10 s. When the budget is spent the call fails with a {@link
 * CallFailedException} whose reason says so (or the caller gets the retryable response it was
 * answered with), and a {@link ResilienceEvent.RetryRefused} event says why.
 *
 * <p>Instances are immutable; every setter checks its value at once.
 */
public final class RetryBudget {

  private static final RetryBudget DEFAULTS = new Builder().build();

  final long ttlNanos;
  final int minRetriesPerSecond;
  final double maxRetryShare;

  private RetryBudget(Builder b) {
    this.ttlNanos = b.ttl.toNanos();
    this.minRetriesPerSecond = b.minRetriesPerSecond;
    this.maxRetryShare = b.maxRetryShare;
  }

  /** 20% of calls, 10 retries per second at least, over a 10 s window. */
  public static RetryBudget ofDefaults() {
    return DEFAULTS;
  }

  /** Returns a builder that starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** How long a deposit or withdrawal counts. */
  public Duration ttl() {
    return Duration.ofNanos(ttlNanos);
  }

  /** Retries allowed per second whatever the traffic. */
  public int minRetriesPerSecond() {
    return minRetriesPerSecond;
  }

  /** The share of calls that may be retried on top of the floor, a fraction (0.2 = 20%). */
  public double maxRetryShare() {
    return maxRetryShare;
  }

  @Override
  public String toString() {
    return "RetryBudget{maxRetryShare="
        + maxRetryShare
        + ", minRetriesPerSecond="
        + minRetriesPerSecond
        + ", ttl="
        + Durations.human(ttl())
        + "}";
  }

  /** Builds a {@link RetryBudget}. */
  public static final class Builder {
    private Duration ttl = Duration.ofSeconds(10);
    private int minRetriesPerSecond = 10;
    private double maxRetryShare = 0.2;

    private Builder() {}

    /**
     * How long deposits and withdrawals count.
     *
     * @throws IllegalArgumentException if not between 1 s and 1 minute
     */
    public Builder ttl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("ttl must be between 1s and 1m but was " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /**
     * Retries allowed per second whatever the traffic.
     *
     * @throws IllegalArgumentException if negative or over 100,000
     */
    public Builder minRetriesPerSecond(int perSecond) {
      if (perSecond < 0 || perSecond > 100_000) {
        throw new IllegalArgumentException(
            "minRetriesPerSecond must be between 0 and 100000 but was " + perSecond);
      }
      this.minRetriesPerSecond = perSecond;
      return this;
    }

    /**
     * How many retries the budget allows on top of the floor, as a share of the calls made: 0.2
     * lets retries add 20% to the calls a service sees. A fraction, like every share or rate in
     * Hyperlane.
     *
     * @throws IllegalArgumentException if not between 0 and 1
     */
    public Builder maxRetryShare(double share) {
      if (!(share >= 0.0 && share <= 1.0)) {
        throw new IllegalArgumentException(
            "maxRetryShare is a fraction between 0 and 1 (0.2 = 20%) but was " + share);
      }
      this.maxRetryShare = share;
      return this;
    }

    /** Returns the immutable budget settings. */
    public RetryBudget build() {
      return new RetryBudget(this);
    }
  }
}
