package io.hyperlane.resilience;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A cap on how many calls a service gets per period, on Resilience4j's {@link RateLimiter}. A call
 * over the rate waits up to the configuration's timeout for a permit, then fails with {@link
 * LimitExceededException} without being sent. Off unless turned on.
 *
 * <pre>{@code
 * RateLimit limit = RateLimit.perSecond(100);
 * }</pre>
 *
 * <p>Instances are immutable.
 */
public final class RateLimit {

  private static final RateLimit NONE = new RateLimit(null);

  private final @Nullable RateLimiterConfig config;

  private RateLimit(@Nullable RateLimiterConfig config) {
    this.config = config;
  }

  /** No rate limit. */
  public static RateLimit none() {
    return NONE;
  }

  /**
   * At most {@code calls} per second, refusing at once beyond that.
   *
   * @throws IllegalArgumentException if not between 1 and 1,000,000
   */
  public static RateLimit perSecond(int calls) {
    if (calls < 1 || calls > 1_000_000) {
      throw new IllegalArgumentException(
          "calls per second must be between 1 and 1000000 but was " + calls);
    }
    return of(
        RateLimiterConfig.custom()
            .limitForPeriod(calls)
            .limitRefreshPeriod(Duration.ofSeconds(1))
            .timeoutDuration(Duration.ZERO)
            .build());
  }

  /** A rate limit configured by Resilience4j's own configuration. */
  public static RateLimit of(RateLimiterConfig config) {
    return new RateLimit(Objects.requireNonNull(config, "config"));
  }

  /** Whether a rate limit is set. */
  public boolean enabled() {
    return config != null;
  }

  @Nullable RateLimiter newRateLimiter(String name) {
    return config == null ? null : RateLimiter.of(name, config);
  }

  @Override
  public String toString() {
    return config == null
        ? "RateLimit{none}"
        : "RateLimit{"
            + config.getLimitForPeriod()
            + " per "
            + Durations.human(config.getLimitRefreshPeriod())
            + "}";
  }
}
