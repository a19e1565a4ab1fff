package io.hyperlane.resilience.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

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
 * unreported. Not part of Hyperlane's API.
 */
public final class WatchedCircuit {

  private final CircuitBreaker circuit;
  private final BiConsumer<CircuitBreaker.State, CircuitBreaker.State> onTransition;
  private final AtomicReference<CircuitBreaker.State> seen;

  /**
   * Watches {@code circuit}; {@code onTransition} gets (from, to) for each change seen, on the
   * thread that saw it.
   */
  public WatchedCircuit(
      CircuitBreaker circuit, BiConsumer<CircuitBreaker.State, CircuitBreaker.State> onTransition) {
    this.circuit = Objects.requireNonNull(circuit, "circuit");
    this.onTransition = Objects.requireNonNull(onTransition, "onTransition");
    this.seen = new AtomicReference<>(circuit.getState());
  }

  /** The Resilience4j circuit. */
  public CircuitBreaker circuit() {
    return circuit;
  }

  /** Its state now. */
  public CircuitBreaker.State state() {
    return circuit.getState();
  }

  /** Whether a call may go through now; may move an open circuit past its wait to half-open. */
  public boolean tryAcquirePermission() {
    boolean permitted = circuit.tryAcquirePermission();
    check();
    return permitted;
  }

  /** Records a call that ended with a response: a 5xx is a failure, anything else a success. */
  public void recordResponse(long durationNanos, int status) {
    CircuitBreakerPolicy.recordResponse(circuit, durationNanos, status);
    check();
  }

  /** Records a call that failed with {@code failure}. */
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
    if (now != before && seen.compareAndSet(before, now)) {
      onTransition.accept(before, now);
    }
  }
}
