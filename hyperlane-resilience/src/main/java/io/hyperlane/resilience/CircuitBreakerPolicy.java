package io.hyperlane.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.hyperlane.resilience.internal.Durations;
import io.hyperlane.resilience.internal.WatchedCircuit;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * When a circuit opens and how it closes again. Hyperlane keeps one circuit per endpoint (an open
 * one takes the endpoint out of the balancer) and one per service (an open one fails calls at once,
 * without touching the network). A failure is an I/O error or a 5xx response; a call cancelled by
 * its caller is neither.
 *
 * <p>Change Hyperlane's defaults with {@link #toBuilder()}; whatever is not set keeps its default:
 *
 * <pre>{@code
 * CircuitBreakerPolicy policy = CircuitBreakerPolicy.serviceDefaults().toBuilder()
 *     .failureRateAbove(0.3)            // a fraction, like every rate in Hyperlane
 *     .openFor(Duration.ofSeconds(20))
 *     .build();
 * }</pre>
 *
 * <p>{@link #of(CircuitBreakerConfig)} takes a Resilience4j configuration as it is, for what the
 * builder does not offer; it starts from Resilience4j's defaults (a window of 100 calls, 100 at
 * least, 60 s open), not Hyperlane's, and its failure rate is a percentage.
 *
 * <p>Whatever clock the given configuration names, Hyperlane's {@link Ticker} drives the circuits,
 * so that tests can open and close them on fake time. Instances are immutable.
 */
public final class CircuitBreakerPolicy {

  private static final CircuitBreakerPolicy ENDPOINT_DEFAULTS =
      new CircuitBreakerPolicy(
          CircuitBreakerConfig.custom()
              .slidingWindowType(SlidingWindowType.COUNT_BASED)
              .slidingWindowSize(20)
              .minimumNumberOfCalls(10)
              .failureRateThreshold(50)
              .waitDurationInOpenState(Duration.ofSeconds(10))
              .permittedNumberOfCallsInHalfOpenState(3)
              .build());
  private static final CircuitBreakerPolicy SERVICE_DEFAULTS =
      new CircuitBreakerPolicy(
          CircuitBreakerConfig.custom()
              .slidingWindowType(SlidingWindowType.COUNT_BASED)
              .slidingWindowSize(50)
              .minimumNumberOfCalls(20)
              .failureRateThreshold(50)
              .waitDurationInOpenState(Duration.ofSeconds(5))
              .permittedNumberOfCallsInHalfOpenState(5)
              .build());
  private static final CircuitBreakerPolicy DISABLED = new CircuitBreakerPolicy(null);

  static {
    // Hyperlane's stages and its client module build circuits from a policy's configuration.
    WatchedCircuit.configsFrom(policy -> policy.config);
  }

  private final @Nullable CircuitBreakerConfig config;

  private CircuitBreakerPolicy(@Nullable CircuitBreakerConfig config) {
    this.config = config;
  }

  /**
   * Hyperlane's default for an endpoint's circuit: opens at 50% failures over its last 20 calls (10
   * at least), stays open 10 s, then lets 3 probe calls through.
   */
  public static CircuitBreakerPolicy endpointDefaults() {
    return ENDPOINT_DEFAULTS;
  }

  /**
   * Hyperlane's default for a service's circuit: opens at 50% failed calls (after retries) over the
   * last 50 (20 at least), stays open 5 s, then lets 5 probe calls through.
   */
  public static CircuitBreakerPolicy serviceDefaults() {
    return SERVICE_DEFAULTS;
  }

  /** No circuit at all. */
  public static CircuitBreakerPolicy disabled() {
    return DISABLED;
  }

  /**
   * A circuit configured by Resilience4j's own configuration, taken as it is: what it does not set
   * is Resilience4j's default, not Hyperlane's. Prefer {@link #toBuilder()} on {@link
   * #serviceDefaults()} or {@link #endpointDefaults()}.
   */
  public static CircuitBreakerPolicy of(CircuitBreakerConfig config) {
    return new CircuitBreakerPolicy(Objects.requireNonNull(config, "config"));
  }

  /**
   * A builder that starts from this policy: {@code serviceDefaults().toBuilder()} changes only what
   * it is told to.
   *
   * @throws IllegalStateException on {@link #disabled()}, which has nothing to start from
   */
  public Builder toBuilder() {
    if (config == null) {
      throw new IllegalStateException(
          "a disabled circuit has no settings to change: start from serviceDefaults() or"
              + " endpointDefaults()");
    }
    return new Builder(config);
  }

  /** Whether circuits are on. */
  public boolean enabled() {
    return config != null;
  }

  @Override
  public String toString() {
    if (config == null) {
      return "CircuitBreakerPolicy{disabled}";
    }
    return "CircuitBreakerPolicy{opens at "
        + config.getFailureRateThreshold()
        + "% failures over "
        + config.getSlidingWindowSize()
        + " calls ("
        + config.getMinimumNumberOfCalls()
        + " at least), open "
        + Durations.nanos(config.getWaitIntervalFunctionInOpenState().apply(1) * 1_000_000L)
        + ", "
        + config.getPermittedNumberOfCallsInHalfOpenState()
        + " probe calls}";
  }

  /**
   * Changes some settings of a policy and keeps the others. Rates are fractions, as everywhere in
   * Hyperlane; every setter checks its value at once.
   */
  public static final class Builder {
    private final CircuitBreakerConfig.Builder config;

    private Builder(CircuitBreakerConfig from) {
      this.config = CircuitBreakerConfig.from(from);
    }

    /**
     * The circuit opens when this share of the calls in its window, or more, failed (0.5: half of
     * them).
     *
     * @throws IllegalArgumentException if not above 0 and at most 1 (0.5 = 50%)
     */
    public Builder failureRateAbove(double share) {
      if (!(share > 0.0 && share <= 1.0)) {
        throw new IllegalArgumentException(
            "failureRateAbove is a fraction above 0 and at most 1 (0.5 = 50%) but was " + share);
      }
      config.failureRateThreshold((float) (share * 100));
      return this;
    }

    /**
     * How many of the latest calls the failure rate is taken over.
     *
     * @throws IllegalArgumentException if not between 1 and 10,000
     */
    public Builder window(int calls) {
      config.slidingWindowType(SlidingWindowType.COUNT_BASED).slidingWindowSize(checked(calls));
      return this;
    }

    /**
     * How many calls the window must hold before the circuit may open.
     *
     * @throws IllegalArgumentException if not between 1 and 10,000
     */
    public Builder minimumCalls(int calls) {
      config.minimumNumberOfCalls(checked(calls));
      return this;
    }

    /**
     * How long an open circuit stays open before it lets probe calls through.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 hour
     */
    public Builder openFor(Duration duration) {
      Objects.requireNonNull(duration, "duration");
      if (duration.toMillis() < 1 || duration.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "openFor must be between 1 ms and 1 h but was " + Durations.human(duration));
      }
      config.waitDurationInOpenState(duration);
      return this;
    }

    /**
     * How many probe calls a half-open circuit lets through; their outcome closes or reopens it.
     *
     * @throws IllegalArgumentException if not between 1 and 10,000
     */
    public Builder probeCalls(int calls) {
      config.permittedNumberOfCallsInHalfOpenState(checked(calls));
      return this;
    }

    /** Returns the policy. */
    public CircuitBreakerPolicy build() {
      return new CircuitBreakerPolicy(config.build());
    }

    private static int checked(int calls) {
      if (calls < 1 || calls > 10_000) {
        throw new IllegalArgumentException(
            "a number of calls must be between 1 and 10000 but was " + calls);
      }
      return calls;
    }
  }
}
