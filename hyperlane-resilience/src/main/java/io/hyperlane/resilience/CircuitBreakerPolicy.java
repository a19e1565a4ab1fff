package io.hyperlane.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.hyperlane.resilience.internal.WatchedCircuit;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * When a circuit opens and how it closes again, as a Resilience4j {@link CircuitBreakerConfig}.
 * Hyperlane keeps one circuit per endpoint (an open one takes the endpoint out of the balancer) and
 * one per service (an open one fails calls at once, without touching the network). A failure is an
 * I/O error or a 5xx response; a call cancelled by its caller is neither.
 *
 * <pre>{@code
 * CircuitBreakerPolicy policy = CircuitBreakerPolicy.of(CircuitBreakerConfig.custom()
 *     .failureRateThreshold(30)
 *     .slidingWindowSize(50)
 *     .waitDurationInOpenState(Duration.ofSeconds(20))
 *     .build());
 * }</pre>
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

  /** A circuit configured by Resilience4j's own configuration. */
  public static CircuitBreakerPolicy of(CircuitBreakerConfig config) {
    return new CircuitBreakerPolicy(Objects.requireNonNull(config, "config"));
  }

  /** Whether circuits are on. */
  public boolean enabled() {
    return config != null;
  }

  @Override
  public String toString() {
    return config == null
        ? "CircuitBreakerPolicy{disabled}"
        : "CircuitBreakerPolicy{failureRate="
            + config.getFailureRateThreshold()
            + "%, window="
            + config.getSlidingWindowSize()
            + ", minimumCalls="
            + config.getMinimumNumberOfCalls()
            + "}";
  }
}
