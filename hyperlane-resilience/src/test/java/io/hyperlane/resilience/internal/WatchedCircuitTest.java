package io.hyperlane.resilience.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.hyperlane.resilience.CircuitBreakerPolicy;
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
    return new WatchedCircuit(
        CircuitBreakerPolicy.serviceDefaults().newCircuitBreaker("inventory", now::get),
        (from, to) -> transitions.add(from + "->" + to));
  }

  @Test
  void everyTransitionIsReportedOnceInOrder() {
    WatchedCircuit circuit = circuit();
    for (int i = 0; i < 20; i++) {
      assertThat(circuit.tryAcquirePermission()).isTrue();
      circuit.recordResponse(1_000, 503);
    }
    assertThat(circuit.state()).isEqualTo(State.OPEN);
    assertThat(circuit.tryAcquirePermission()).as("open: refused").isFalse();
    assertThat(transitions).containsExactly("CLOSED->OPEN");

    now.addAndGet(Duration.ofMinutes(1).toNanos()); // past the wait in the open state
    assertThat(circuit.tryAcquirePermission()).isTrue();
    assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN");
    circuit.recordResponse(1_000, 200);
    while (circuit.state() == State.HALF_OPEN && circuit.tryAcquirePermission()) {
      circuit.recordResponse(1_000, 200);
    }
    assertThat(transitions).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");

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
    assertThat(circuit.state()).isEqualTo(State.OPEN);
    assertThat(transitions).containsExactly("CLOSED->OPEN");
  }
}
