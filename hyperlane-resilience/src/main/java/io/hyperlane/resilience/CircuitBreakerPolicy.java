package io.hyperlane.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

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

  private final CircuitBreakerConfig config;

  private CircuitBreakerPolicy(CircuitBreakerConfig config) {
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

  /**
   * Creates one circuit under this policy, on {@code ticker}'s time; null when disabled. Used by
   * Hyperlane for each endpoint and service; usable to build circuits of one's own.
   */
  public CircuitBreaker newCircuitBreaker(String name, Ticker ticker) {
    if (config == null) {
      return null;
    }
    Clock clock = new TickerClock(ticker);
    return CircuitBreaker.of(
        name,
        CircuitBreakerConfig.from(config)
            .clock(clock)
            .currentTimestampFunction(c -> ticker.read(), TimeUnit.NANOSECONDS)
            .build());
  }

  /**
   * Records in {@code circuit} a call that ended with a response: a 5xx status counts as a failure,
   * anything else as a success.
   */
  public static void recordResponse(CircuitBreaker circuit, long durationNanos, int status) {
    if (status >= 500) {
      circuit.onError(durationNanos, TimeUnit.NANOSECONDS, ServerError.INSTANCE);
    } else {
      circuit.onSuccess(durationNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** What a 5xx response is recorded as: stackless and shared, since it carries nothing. */
  private static final class ServerError extends Exception {
    private static final long serialVersionUID = 1L;
    static final ServerError INSTANCE = new ServerError();

    private ServerError() {
      super("5xx response", null, false, false);
    }
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

  /** A {@link Clock} whose instants move with a {@link Ticker}, for Resilience4j's open timer. */
  private static final class TickerClock extends Clock {
    private final Ticker ticker;
    private final long originNanos;
    private final Instant origin = Instant.EPOCH.plusSeconds(1_000_000_000L);

    TickerClock(Ticker ticker) {
      this.ticker = ticker;
      this.originNanos = ticker.read();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return origin.plusNanos(ticker.read() - originNanos);
    }
  }
}
