package io.hyperlane.resilience.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitState;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WatchedCircuitTest {

  private final AtomicLong now = new AtomicLong();
  private final List<String> transitions = new CopyOnWriteArrayList<>();

  private WatchedCircuit circuit() {
    return WatchedCircuit.create(
        CircuitBreakerPolicy.serviceDefaults(),
        "inventory",
        now::get,
        (from, to, failureRate) -> transitions.add(from + "->" + to + " at " + failureRate));
  }

  @Test
  void everyTransitionIsReportedOnceInOrder() {
    WatchedCircuit circuit = circuit();
    for (int i = 0; i < 20; i++) {
      assertThat(circuit.tryAcquirePermission()).isTrue();
      circuit.recordResponse(1_000, 503);
    }
    assertThat(circuit.state()).isEqualTo(CircuitState.OPEN);
    assertThat(circuit.tryAcquirePermission()).as("open: refused").isFalse();
    assertThat(transitions).containsExactly("CLOSED->OPEN at 100.0");

    now.addAndGet(Duration.ofMinutes(1).toNanos()); // past the wait in the open state
    assertThat(circuit.tryAcquirePermission()).isTrue();
    assertThat(transitions).containsExactly("CLOSED->OPEN at 100.0", "OPEN->HALF_OPEN at -1.0");
    circuit.recordResponse(1_000, 200);
    while (circuit.state() == CircuitState.HALF_OPEN && circuit.tryAcquirePermission()) {
      circuit.recordResponse(1_000, 200);
    }
    assertThat(transitions)
        .containsExactly(
            "CLOSED->OPEN at 100.0", "OPEN->HALF_OPEN at -1.0", "HALF_OPEN->CLOSED at -1.0");

    circuit.releasePermission(); // a cancelled call moves nothing
    assertThat(transitions).hasSize(3);
  }

  @Test
  void aTransitionSeenByManyThreadsIsReportedOnce() throws Exception {
    WatchedCircuit circuit = circuit();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < 200; i++) {
                    if (circuit.tryAcquirePermission()) {
                      circuit.onError(1_000, new IOException("refused"));
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(circuit.state()).isEqualTo(CircuitState.OPEN);
    assertThat(transitions).containsExactly("CLOSED->OPEN at 100.0");
  }

  @Test
  void aDisabledPolicyMakesNoCircuit() {
    assertThat(
            WatchedCircuit.create(
                CircuitBreakerPolicy.disabled(), "x", now::get, (from, to, rate) -> {}))
        .isNull();
  }

  @Test
  void statesOnlyAManualTransitionReachesReadAsWhatTheyDoToCalls() {
    assertThat(WatchedCircuit.stateOf(CircuitBreaker.State.FORCED_OPEN))
        .isEqualTo(CircuitState.OPEN);
    assertThat(WatchedCircuit.stateOf(CircuitBreaker.State.DISABLED))
        .isEqualTo(CircuitState.CLOSED);
    assertThat(WatchedCircuit.stateOf(CircuitBreaker.State.METRICS_ONLY))
        .isEqualTo(CircuitState.CLOSED);
    assertThat(WatchedCircuit.stateOf(CircuitBreaker.State.HALF_OPEN))
        .isEqualTo(CircuitState.HALF_OPEN);
  }
}
