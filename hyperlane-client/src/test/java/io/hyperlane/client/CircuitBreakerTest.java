package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitOpenException;
import io.hyperlane.resilience.CircuitState;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Circuits per service and per endpoint, on fake time. */
class CircuitBreakerTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .sleeper(time)
        .listener(events::add)
        .outlierDetection(OutlierDetection.disabled()) // circuits alone are under test
        .slowStart(SlowStart.disabled())
        .retry(RetryPolicy.none())
        .loadBalancer(LoadBalancerPolicy.roundRobin());
  }

  private List<CircuitState> transitions(String endpoint) {
    return events.stream()
        .filter(
            e ->
                e instanceof ResilienceEvent.CircuitStateChanged c
                    && Objects.equals(c.endpoint(), endpoint))
        .map(e -> ((ResilienceEvent.CircuitStateChanged) e).to())
        .toList();
  }

  @Test
  void anOpenServiceCircuitRejectsWithoutTouchingTheNetworkThenHalfOpensAndCloses()
      throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    replicas.answer(1, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 20; i++) { // the default service circuit judges after 20 calls
        assertThat(Replicas.get(client, "http://inventory/")).isBetween(0, 1);
      }
      assertThat(transitions(null)).containsExactly(CircuitState.OPEN);

      int sent = replicas.received(0) + replicas.received(1);
      for (int i = 0; i < 50; i++) {
        assertThatThrownBy(() -> Replicas.get(client, "http://inventory/"))
            .isInstanceOfSatisfying(
                CircuitOpenException.class,
                e -> {
                  assertThat(e.service()).isEqualTo("inventory");
                  assertThat(e.endpoint()).isNull();
                  assertThat(e.failureRate()).isEqualTo(100f);
                });
      }
      assertThat(replicas.received(0) + replicas.received(1))
          .as("nothing sent while open")
          .isEqualTo(sent);
      assertThat(events).filteredOn(ResilienceEvent.CallRejected.class::isInstance).hasSize(50);

      replicas.answer(0, 200, 0); // the service recovers
      replicas.answer(1, 200, 0);
      time.advance(Duration.ofSeconds(5).plusMillis(1)); // just past the default open time
      for (int i = 0; i < 5; i++) { // five probes close it
        assertThat(Replicas.get(client, "http://inventory/")).isBetween(0, 1);
      }
      assertThat(transitions(null))
          .containsExactly(CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.CLOSED);
      assertThat(Replicas.get(client, "http://inventory/")).isBetween(0, 1);
    }
  }

  @Test
  void anOpenEndpointCircuitTakesTheEndpointOutThenProbesItBackIn() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(1, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      String failing = replicas.url(1);
      for (int i = 0; i < 20; i++) { // round robin: 10 calls each; 10 failures open its circuit
        Replicas.get(client, "http://inventory/");
      }
      assertThat(transitions(failing)).containsExactly(CircuitState.OPEN);
      EndpointSnapshot open =
          hyperlane.snapshot().service("inventory").endpoint(failing).orElseThrow();
      assertThat(open.circuit()).isEqualTo("OPEN");
      assertThat(open.effectiveWeight()).isZero();

      for (int i = 0; i < 30; i++) {
        assertThat(Replicas.get(client, "http://inventory/")).isZero();
      }
      assertThat(replicas.received(1)).isEqualTo(10);

      replicas.answer(1, 200, 0);
      time.advance(Duration.ofSeconds(10).plusMillis(1)); // just past the default open time
      for (int i = 0; i < 3; i++) { // the three probes go to it first
        assertThat(Replicas.get(client, "http://inventory/")).isEqualTo(1);
      }
      assertThat(transitions(failing))
          .containsExactly(CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.CLOSED);
      int[] served = new int[2];
      for (int i = 0; i < 20; i++) {
        served[Replicas.get(client, "http://inventory/")]++;
      }
      assertThat(served).containsExactly(10, 10);
    }
  }

  @Test
  void aFailedProbeOpensTheCircuitAgain() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(1, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 20; i++) {
        Replicas.get(client, "http://inventory/");
      }
      time.advance(Duration.ofSeconds(10).plusMillis(1));
      for (int i = 0; i < 3; i++) {
        assertThat(Replicas.get(client, "http://inventory/")).isEqualTo(1); // still failing
      }
      assertThat(transitions(replicas.url(1)))
          .containsExactly(CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.OPEN);
      assertThat(Replicas.get(client, "http://inventory/")).isZero();
    }
  }
}
