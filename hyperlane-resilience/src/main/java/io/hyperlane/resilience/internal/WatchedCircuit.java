package io.hyperlane.resilience.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitState;
import io.hyperlane.resilience.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A Resilience4j circuit whose state changes are reported without subscribing to its events. Any
 * subscriber — even one for state transitions only — makes Resilience4j build an event, with a
 * {@code ZonedDateTime}, for every call it records: about 170 bytes per call per circuit, for
 * nothing. Instead, every method here that can move the circuit checks its state afterwards and
 * reports a change once, from whichever thread sees it first.
 *
 * <p>Resilience4j moves a circuit only inside the calls made on it (Hyperlane never turns on its
 * automatic open-to-half-open timer; with a configuration that does, that change is reported at the
 * next call). A state held for less time than the call that entered it takes to return may go
 * unreported. Not part of Hyperlane's API: the resilience module's stages and the client module
 * (its only other reader, through a qualified export) create circuits here.
 */
public final class WatchedCircuit {

  /** Receives a change of state, with the failure rate that caused it. */
  @FunctionalInterface
  public interface Transition {
    /**
     * Called once per change seen, on the thread that saw it.
     *
     * @param from the state the circuit left
     * @param to the state it entered
     * @param failureRate the failure rate over the circuit's window, in percent, or -1 before it
     *     has seen its minimum number of calls
     */
    void changed(CircuitState from, CircuitState to, float failureRate);
  }

  private static volatile @Nullable Function<CircuitBreakerPolicy, @Nullable CircuitBreakerConfig>
      configs;

  private final CircuitBreaker circuit;
  private final Transition onTransition;
  private final AtomicReference<CircuitBreaker.State> seen;

  private WatchedCircuit(CircuitBreaker circuit, Transition onTransition) {
    this.circuit = circuit;
    this.onTransition = onTransition;
    this.seen = new AtomicReference<>(circuit.getState());
  }

  /**
   * Lets {@link CircuitBreakerPolicy} hand its configuration to this package without a public
   * accessor; called once, by that class's initializer.
   *
   * @param accessor reads a policy's configuration, null when the policy is disabled
   */
  public static void configsFrom(
      Function<CircuitBreakerPolicy, @Nullable CircuitBreakerConfig> accessor) {
    if (configs != null) {
      throw new IllegalStateException("the policy accessor is set already");
    }
    configs = Objects.requireNonNull(accessor, "accessor");
  }

  /**
   * Creates one circuit under {@code policy}, on {@code ticker}'s time.
   *
   * @param policy the policy whose configuration the circuit takes
   * @param name the circuit's name (a service, or a service and an endpoint)
   * @param ticker the time the circuit's open state is measured on
   * @param onTransition told of each change of state
   * @return the circuit, or null when the policy is disabled
   */
  public static @Nullable WatchedCircuit create(
      CircuitBreakerPolicy policy, String name, Ticker ticker, Transition onTransition) {
    Objects.requireNonNull(onTransition, "onTransition");
    Function<CircuitBreakerPolicy, @Nullable CircuitBreakerConfig> accessor = configs;
    if (accessor == null) { // the policy's class initializer sets it before any policy exists
      throw new IllegalStateException("CircuitBreakerPolicy is not initialized");
    }
    CircuitBreakerConfig config = accessor.apply(policy);
    if (config == null) {
      return null;
    }
    CircuitBreaker circuit =
        CircuitBreaker.of(
            name,
            CircuitBreakerConfig.from(config)
                .clock(new TickerClock(ticker))
                .currentTimestampFunction(c -> ticker.read(), TimeUnit.NANOSECONDS)
                .build());
    return new WatchedCircuit(circuit, onTransition);
  }

  /**
   * The Resilience4j circuit, for tests of this module and the client's.
   *
   * @return the circuit watched
   */
  public CircuitBreaker circuit() {
    return circuit;
  }

  /**
   * Its state now.
   *
   * @return the state, as Hyperlane reports it
   */
  public CircuitState state() {
    return stateOf(circuit.getState());
  }

  /**
   * The failure rate over the circuit's window.
   *
   * @return the rate in percent, or -1 before the circuit has seen its minimum number of calls
   */
  public float failureRate() {
    return circuit.getMetrics().getFailureRate();
  }

  /**
   * Whether a call may go through now; may move an open circuit past its wait to half-open.
   *
   * @return true when the call may go
   */
  public boolean tryAcquirePermission() {
    boolean permitted = circuit.tryAcquirePermission();
    check();
    return permitted;
  }

  /**
   * Records a call that ended with a response: a 5xx is a failure, anything else a success.
   *
   * @param durationNanos how long the call took
   * @param status the response's status
   */
  public void recordResponse(long durationNanos, int status) {
    if (status >= 500) {
      circuit.onError(durationNanos, TimeUnit.NANOSECONDS, ServerError.INSTANCE);
    } else {
      circuit.onSuccess(durationNanos, TimeUnit.NANOSECONDS);
    }
    check();
  }

  /**
   * Records a call that failed.
   *
   * @param durationNanos how long the call took
   * @param failure what it failed with
   */
  public void onError(long durationNanos, Throwable failure) {
    circuit.onError(durationNanos, TimeUnit.NANOSECONDS, failure);
    check();
  }

  /** Gives back a permission whose call was cancelled: neither success nor failure. */
  public void releasePermission() {
    circuit.releasePermission();
  }

  private void check() {
    CircuitBreaker.State now = circuit.getState();
    CircuitBreaker.State before = seen.get();
    if (now != before && before != null && seen.compareAndSet(before, now)) {
      CircuitState from = stateOf(before);
      CircuitState to = stateOf(now);
      if (from != to) {
        onTransition.changed(from, to, failureRate());
      }
    }
  }

  /**
   * Hyperlane's name for a Resilience4j state. The states only a manual transition reaches (no
   * Hyperlane circuit is handed out for one) read as what they do to calls: forced open is open,
   * disabled and metrics-only are closed.
   */
  static CircuitState stateOf(CircuitBreaker.State state) {
    switch (state) {
      case OPEN:
      case FORCED_OPEN:
        return CircuitState.OPEN;
      case HALF_OPEN:
        return CircuitState.HALF_OPEN;
      default:
        return CircuitState.CLOSED;
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
