package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/**
 * The standalone circuit stage over a scripted origin: what counts as a failure, what opens and
 * closes a circuit, which host's policy applies, and how many circuits it keeps.
 */
class CircuitBreakerInterceptorTest {

  private final FakeTime time = new FakeTime();
  private final ScriptedOrigin origin = new ScriptedOrigin();
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  /** Opens at 50% failures over 4 calls, stays open 1 s, then lets 1 probe through. */
  private static final CircuitBreakerPolicy SMALL =
      CircuitBreakerPolicy.of(
          CircuitBreakerConfig.custom()
              .slidingWindowType(SlidingWindowType.COUNT_BASED)
              .slidingWindowSize(4)
              .minimumNumberOfCalls(4)
              .failureRateThreshold(50)
              .waitDurationInOpenState(Duration.ofSeconds(1))
              .permittedNumberOfCallsInHalfOpenState(1)
              .build());

  private CircuitBreakerInterceptor stage(CircuitBreakerPolicy policy) {
    return CircuitBreakerInterceptor.builder()
        .policy(policy)
        .ticker(time)
        .listener(events::add)
        .build();
  }

  private static Request get(String host) {
    return new Request.Builder().url("http://" + host + "/items").build();
  }

  private int status(OkHttpClient client, String host) throws IOException {
    try (okhttp3.Response response = client.newCall(get(host)).execute()) {
      return response.code();
    }
  }

  @Test
  void fiveHundredsOpenTheCircuitWhichThenRefusesCallsUnsent() throws Exception {
    CircuitBreakerInterceptor stage = stage(SMALL);
    OkHttpClient client = origin.client(stage);
    origin.thenStatus(500);
    origin.thenStatus(503);
    origin.thenStatus(404); // a client error is the server working
    assertThat(status(client, "catalog")).isEqualTo(500);
    assertThat(status(client, "catalog")).isEqualTo(503);
    assertThat(status(client, "catalog")).isEqualTo(404);
    assertThat(stage.circuit("catalog").getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(status(client, "catalog")).isEqualTo(200); // 2 of 4 failed: at the threshold
    assertThat(stage.circuit("catalog").getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(stage.state("catalog")).contains(CircuitState.OPEN);
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.CircuitStateChanged.class,
            e -> {
              assertThat(e.service()).isEqualTo("catalog");
              assertThat(e.from()).isEqualTo(CircuitState.CLOSED);
              assertThat(e.to()).isEqualTo(CircuitState.OPEN);
            });

    assertThatThrownBy(() -> client.newCall(get("catalog")).execute())
        .isInstanceOfSatisfying(
            CircuitOpenException.class,
            e -> assertThat(e.getMessage()).contains("catalog").contains("50.0"))
        .isInstanceOf(UnsentRequestException.class);
    assertThat(origin.count()).as("refused unsent").isEqualTo(4);
    assertThat(events.get(1)).isEqualTo(new ResilienceEvent.CallRejected("catalog"));
    assertThat(status(client, "inventory")).as("one circuit per host").isEqualTo(200);

    time.advance(Duration.ofMillis(1001)); // strictly after the wait
    assertThat(status(client, "catalog")).as("the probe").isEqualTo(200);
    assertThat(stage.circuit("catalog").getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void aFailedCallIsAFailureAndACancelledOneIsNothing() throws Exception {
    CircuitBreakerInterceptor stage = stage(SMALL);
    OkHttpClient client = origin.client(stage);
    for (int i = 0; i < 3; i++) {
      origin.then(
          chain -> {
            chain.call().cancel();
            throw new IOException("Canceled");
          });
      assertThatThrownBy(() -> client.newCall(get("catalog")).execute())
          .isInstanceOf(IOException.class);
    }
    CircuitBreaker circuit = stage.circuit("catalog");
    assertThat(circuit.getMetrics().getNumberOfBufferedCalls()).isZero();
    origin.thenFail(new IOException("reset"));
    origin.then(
        chain -> {
          throw new IllegalStateException("bug");
        });
    assertThatThrownBy(() -> client.newCall(get("catalog")).execute()).hasMessage("reset");
    assertThatThrownBy(() -> client.newCall(get("catalog")).execute()).hasMessage("bug");
    assertThat(circuit.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
    status(client, "catalog");
    status(client, "catalog");
    assertThat(circuit.getState()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void aPermissionTakenByACancelledProbeIsGivenBack() throws Exception {
    CircuitBreakerInterceptor stage = stage(SMALL);
    OkHttpClient client = origin.client(stage);
    for (int i = 0; i < 4; i++) {
      origin.thenStatus(503);
      status(client, "catalog");
    }
    time.advance(Duration.ofMillis(1001)); // strictly after the wait
    origin.then(
        chain -> {
          chain.call().cancel();
          throw new IOException("Canceled");
        });
    assertThatThrownBy(() -> client.newCall(get("catalog")).execute()).hasMessage("Canceled");
    assertThat(status(client, "catalog"))
        .as("the one probe permitted is free again")
        .isEqualTo(200);
  }

  @Test
  void theCallsDurationIsMeasuredOnTheTicker() throws Exception {
    CircuitBreakerPolicy slowIsFailure =
        CircuitBreakerPolicy.of(
            CircuitBreakerConfig.custom()
                .slidingWindowType(SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(2)
                .minimumNumberOfCalls(2)
                .slowCallDurationThreshold(Duration.ofMillis(100))
                .slowCallRateThreshold(100)
                .build());
    CircuitBreakerInterceptor stage = stage(slowIsFailure);
    OkHttpClient client = origin.client(stage);
    for (int i = 0; i < 2; i++) {
      origin.then(
          chain -> {
            time.advance(Duration.ofMillis(150));
            return ScriptedOrigin.respond(
                chain.request(), 200, "", null, new ScriptedOrigin.Reply());
          });
      status(client, "catalog");
    }
    assertThat(stage.circuit("catalog").getMetrics().getNumberOfSlowCalls()).isEqualTo(2);
    assertThat(stage.circuit("catalog").getState()).isEqualTo(CircuitBreaker.State.OPEN);

    for (int i = 0; i < 2; i++) {
      origin.then(
          chain -> {
            time.advance(Duration.ofMillis(150));
            throw new IOException("slow and failed");
          });
      assertThatThrownBy(() -> client.newCall(get("inventory")).execute())
          .isInstanceOf(IOException.class);
    }
    assertThat(stage.circuit("inventory").getMetrics().getNumberOfSlowFailedCalls()).isEqualTo(2);

    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(50));
          return ScriptedOrigin.respond(chain.request(), 200, "", null, new ScriptedOrigin.Reply());
        });
    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(50));
          throw new IOException("fast and failed");
        });
    status(client, "orders");
    assertThatThrownBy(() -> client.newCall(get("orders")).execute())
        .isInstanceOf(IOException.class);
    assertThat(stage.circuit("orders").getMetrics().getNumberOfSlowCalls())
        .as("50 ms each, on the ticker: neither was slow")
        .isZero();
  }

  @Test
  void aHostWithItsOwnPolicyFollowsItAndADisabledOneHasNoCircuit() throws Exception {
    CircuitBreakerInterceptor stage =
        CircuitBreakerInterceptor.builder()
            .policy(CircuitBreakerPolicy.disabled())
            .policy("catalog", SMALL)
            .ticker(time)
            .build();
    OkHttpClient client = origin.client(stage);
    assertThat(stage.circuit("inventory")).isNull();
    assertThat(stage.state("inventory")).isEmpty();
    for (int i = 0; i < 4; i++) {
      origin.thenStatus(503);
      status(client, "inventory");
    }
    assertThat(status(client, "inventory")).isEqualTo(200);
    assertThat(stage.size()).isZero();
    for (int i = 0; i < 4; i++) {
      origin.thenStatus(503);
      status(client, "catalog");
    }
    assertThatThrownBy(() -> status(client, "catalog")).isInstanceOf(CircuitOpenException.class);
  }

  @Test
  void circuitsBeyondTheBoundAreDroppedLeastRecentlyUsedFirstAndNamedHostsKept() {
    CircuitBreakerInterceptor stage =
        CircuitBreakerInterceptor.builder()
            .policy(SMALL)
            .policy("named", SMALL)
            .ticker(time)
            .build();
    CircuitBreaker named = stage.circuit("named");
    CircuitBreaker oldest = null;
    for (int i = 0; i < CircuitBreakerInterceptor.MAX_CIRCUITS - 1; i++) {
      time.advance(Duration.ofNanos(1));
      CircuitBreaker made = stage.circuit("host-" + i);
      if (i == 1) {
        oldest = made;
      }
    }
    time.advance(Duration.ofNanos(1));
    CircuitBreaker recent = stage.circuit("host-0"); // used again: now the most recent
    assertThat(stage.size()).isEqualTo(CircuitBreakerInterceptor.MAX_CIRCUITS);
    time.advance(Duration.ofNanos(1));
    stage.circuit("one-more");
    assertThat(stage.size())
        .isEqualTo(
            CircuitBreakerInterceptor.MAX_CIRCUITS
                - CircuitBreakerInterceptor.MAX_CIRCUITS / 10
                + 1);
    assertThat(stage.circuit("named"))
        .as("a named host's circuit is never dropped")
        .isSameAs(named);
    assertThat(stage.circuit("host-0")).isSameAs(recent);
    assertThat(stage.circuit("host-1"))
        .as("the least recently used went first")
        .isNotSameAs(oldest);
    int before = stage.size();
    stage.circuit("host-" + (CircuitBreakerInterceptor.MAX_CIRCUITS - 2));
    assertThat(stage.size()).as("the most recent ones stayed").isEqualTo(before);
  }
}
