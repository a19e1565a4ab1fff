package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitOpenException;
import io.hyperlane.resilience.CircuitState;
import io.hyperlane.resilience.DeadlineExceededException;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Policies changed while a service runs: each takes effect for the next call, the endpoints'
 * statistics and the budget stay, a refused value changes nothing, and calls flowing while updates
 * flip the policies all succeed.
 */
class LiveUpdateTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .loadBalancer(LoadBalancerPolicy.roundRobin())
        .slowStart(SlowStart.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled());
  }

  private static int status(OkHttpClient client) throws IOException {
    try (Response response =
        client.newCall(new Request.Builder().url("http://inventory/").build()).execute()) {
      return response.code();
    }
  }

  @Test
  void aRetryPolicyChangedLiveIsFollowedByTheNextCall() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .retry(RetryPolicy.none())
            .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
            .outlierDetection(OutlierDetection.disabled())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(status(client)).isEqualTo(503);
      assertThat(replicas.received(0)).isEqualTo(1);

      hyperlane.updateService(
          "inventory",
          s -> s.retry(RetryPolicy.builder().backoff(Duration.ZERO, Duration.ZERO).build()));
      assertThat(status(client)).isEqualTo(503);
      assertThat(replicas.received(0)).as("one attempt, then three").isEqualTo(4);
      assertThat(hyperlane.describe())
          .contains("service inventory updated while running:")
          .containsPattern("  retry +RetryPolicy\\{maxAttempts=3");
    }
  }

  @Test
  void aBalancerChangedLiveKeepsEveryEndpointsStatistics() throws Exception {
    replicas = Replicas.start(3);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 9; i++) {
        status(client);
      }
      ServiceSnapshot before = hyperlane.snapshot().service("inventory");
      assertThat(before.loadBalancer()).isEqualTo("roundRobin");

      hyperlane.updateService(
          "inventory",
          s ->
              s.loadBalancer(LoadBalancerPolicy.leastInFlight())
                  .outlierDetection(OutlierDetection.builder().consecutiveFailures(2).build()));
      ServiceSnapshot after = hyperlane.snapshot().service("inventory");
      assertThat(after.loadBalancer()).isEqualTo("leastInFlight");
      assertThat(after.endpoints())
          .extracting(EndpointSnapshot::requests)
          .containsExactly(3L, 3L, 3L);
      assertThat(after.endpoints())
          .extracting(EndpointSnapshot::latencyEwma)
          .containsExactlyElementsOf(
              before.endpoints().stream().map(EndpointSnapshot::latencyEwma).toList());

      // The new outlier detection is in force: two failures in a row now eject.
      replicas.answer(1, 503, 0);
      hyperlane.updateService("inventory", s -> s.retry(RetryPolicy.none()));
      for (int i = 0;
          i < 20 && !hyperlane.snapshot().service("inventory").endpoints().get(1).ejected();
          i++) {
        status(client);
      }
      assertThat(hyperlane.snapshot().service("inventory").endpoints().get(1).ejectedFor())
          .isEqualTo("2 failed or outrun attempts in a row");
    }
  }

  @Test
  void aServiceCircuitChangedLiveStartsAgainClosedUnderTheNewSettings() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 503, 0);
    CircuitBreakerPolicy touchy =
        CircuitBreakerPolicy.serviceDefaults().toBuilder().minimumCalls(2).window(2).build();
    try (Hyperlane hyperlane =
        builder()
            .retry(RetryPolicy.none())
            .serviceCircuitBreaker(touchy)
            .outlierDetection(OutlierDetection.disabled())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      status(client);
      status(client);
      assertThat(hyperlane.snapshot().service("inventory").circuit()).isEqualTo("OPEN");

      // An update that leaves the circuit's policy alone leaves the circuit alone: still open.
      hyperlane.updateService(
          "inventory", s -> s.timeout(Duration.ofSeconds(5)).serviceCircuitBreaker(touchy));
      assertThat(hyperlane.snapshot().service("inventory").circuit()).isEqualTo("OPEN");
      assertThat(replicas.received(0)).isEqualTo(2);
      assertThatThrownBy(() -> status(client)).isInstanceOf(CircuitOpenException.class);
      assertThat(replicas.received(0)).as("refused by the open circuit").isEqualTo(2);

      hyperlane.updateService(
          "inventory", s -> s.serviceCircuitBreaker(CircuitBreakerPolicy.disabled()));
      assertThat(hyperlane.snapshot().service("inventory").circuit()).isEqualTo("NONE");
      for (int i = 0; i < 5; i++) {
        assertThat(status(client)).as("no circuit: every call reaches the replica").isEqualTo(503);
      }
      assertThat(replicas.received(0)).isEqualTo(7);
      assertThat(hyperlane.describe())
          .containsPattern("  service circuit +CircuitBreakerPolicy\\{disabled\\}")
          .containsPattern("  timeout +5 s");

      hyperlane.updateService("inventory", s -> s.serviceCircuitBreaker(touchy));
      assertThat(hyperlane.snapshot().service("inventory").circuit())
          .isEqualTo(CircuitState.CLOSED.name());
    }
  }

  @Test
  void aTimeoutChangedLiveHoldsTheNextCall() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 5_000);
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .retry(RetryPolicy.none())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      hyperlane.updateService("inventory", s -> s.timeout(Duration.ofMillis(100)));
      long start = System.nanoTime();
      assertThatThrownBy(() -> status(client)).isInstanceOf(DeadlineExceededException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
      assertThat(hyperlane.describe()).containsPattern("  timeout +100 ms\n");
    }
  }

  @Test
  void aRefusedUpdateChangesNothing() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      String before = hyperlane.describe();
      assertThatThrownBy(
              () ->
                  hyperlane.updateService(
                      "inventory",
                      s -> s.hedging(HedgingPolicy.adaptive()).timeout(Duration.ofHours(2))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("timeout");
      assertThatThrownBy(() -> hyperlane.updateService("inventroy", s -> s.noTimeout()))
          .hasMessageContaining("no service named \"inventroy\"");
      assertThat(hyperlane.describe()).isEqualTo(before);
      assertThat(hyperlane.snapshot().service("inventory").hedgeDelay()).isNull();
    }
    Hyperlane closed = builder().service("inventory", replicas.urls()).build();
    closed.close();
    assertThatThrownBy(() -> closed.updateService("inventory", s -> s.noTimeout()))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void callsFlowingWhileUpdatesFlipThePoliciesAllSucceed() throws Exception {
    replicas = Replicas.start(3);
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(
            callers.submit(
                () -> {
                  int ok = 0;
                  for (int i = 0; i < 150; i++) {
                    ok += status(client) == 200 ? 1 : 0;
                  }
                  return ok;
                }));
      }
      for (int u = 0; u < 100; u++) {
        boolean even = u % 2 == 0;
        hyperlane.updateService(
            "inventory",
            s ->
                s.loadBalancer(
                        even ? LoadBalancerPolicy.roundRobin() : LoadBalancerPolicy.peakEwma())
                    .retry(even ? RetryPolicy.none() : RetryPolicy.ofDefaults())
                    .hedging(even ? HedgingPolicy.adaptive() : HedgingPolicy.none())
                    .serviceCircuitBreaker(
                        even
                            ? CircuitBreakerPolicy.serviceDefaults()
                            : CircuitBreakerPolicy.disabled())
                    .outlierDetection(
                        even ? OutlierDetection.defaults() : OutlierDetection.disabled())
                    .timeout(Duration.ofSeconds(even ? 5 : 10)));
      }
      int ok = 0;
      for (Future<Integer> f : results) {
        ok += f.get(60, TimeUnit.SECONDS);
      }
      assertThat(ok).isEqualTo(600);
      assertThat(hyperlane.snapshot().service("inventory").endpoints())
          .extracting(EndpointSnapshot::requests)
          .allSatisfy(r -> assertThat(r).isPositive());
    } finally {
      callers.shutdownNow();
    }
  }
}
