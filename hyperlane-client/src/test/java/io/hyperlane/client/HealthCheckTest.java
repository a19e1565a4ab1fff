package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * Active health checks against real loopback replicas, on fake time: probes make an endpoint
 * unhealthy and healthy again, a passing probe ends an ejection for failures in a row, probes run
 * on the executor (never the caller's thread), at most so many at a time, and stop on close.
 */
class HealthCheckTest extends LoopbackTest {

  /** More than an interval and its 10% of jitter. */
  private static final Duration ROUND = Duration.ofSeconds(11);

  private final FakeTime time = new FakeTime();
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  private Hyperlane.Builder builder(HealthCheck check, OutlierDetection outliers) {
    return FakeTimes.drive(time, Hyperlane.builder())
        .loadBalancer(LoadBalancerPolicy.roundRobin())
        .slowStart(SlowStart.disabled())
        .retry(RetryPolicy.none())
        .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .outlierDetection(outliers)
        .healthCheck(check)
        .listener(events::add);
  }

  private static EndpointSnapshot endpoint(Hyperlane hyperlane, int i) {
    return hyperlane.snapshot().service("inventory").endpoints().get(i);
  }

  private <T> List<T> events(Class<T> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }

  @Test
  void anEndpointFailingItsProbesTakesNoCallsUntilItPassesThemAgain() throws Exception {
    replicas = Replicas.start(3);
    replicas.answer(1, 503, 0);
    HealthCheck check = HealthCheck.http("/healthz").build();
    try (Hyperlane hyperlane =
        builder(check, OutlierDetection.disabled()).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      time.advance(ROUND);
      time.advance(ROUND);
      assertThat(endpoint(hyperlane, 1).health()).startsWith("healthy (last probe: 503");
      time.advance(ROUND); // the third failed probe in a row
      assertThat(endpoint(hyperlane, 1).health()).startsWith("unhealthy (last probe: 503");
      assertThat(endpoint(hyperlane, 1).effectiveWeight()).isZero();
      assertThat(endpoint(hyperlane, 0).health()).startsWith("healthy (last probe: 200");
      assertThat(events(RoutingEvent.EndpointUnhealthy.class))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.endpoint()).isEqualTo(replicas.url(1));
                assertThat(e.detail()).startsWith("3 failed probes, the last: 503");
              });
      assertThat(hyperlane.snapshot().toString()).contains(replicas.url(1) + " health: unhealthy");

      int before = replicas.received(1);
      for (int i = 0; i < 30; i++) {
        assertThat(Replicas.get(client, "http://inventory/")).isNotEqualTo(1);
      }
      assertThat(replicas.received(1)).isEqualTo(before);

      replicas.answer(1, 200, 0);
      time.advance(ROUND);
      assertThat(endpoint(hyperlane, 1).health()).as("one pass of two").startsWith("unhealthy");
      time.advance(ROUND);
      assertThat(endpoint(hyperlane, 1).health()).startsWith("healthy (last probe: 200");
      assertThat(events(RoutingEvent.EndpointHealthy.class))
          .extracting(RoutingEvent.EndpointHealthy::endpoint)
          .containsExactly(replicas.url(1));
      int[] served = new int[3];
      for (int i = 0; i < 30; i++) {
        served[Replicas.get(client, "http://inventory/")]++;
      }
      assertThat(served).containsExactly(10, 10, 10);
      assertThat(
              replicas
                  .server(1)
                  .findAll(getRequestedFor(urlEqualTo("/healthz")))
                  .get(0)
                  .getHeader("User-Agent"))
          .isEqualTo("hyperlane-health-check");
      assertThat(replicas.server(1).findAll(getRequestedFor(urlEqualTo("/healthz")))).hasSize(5);
    }
  }

  @Test
  void anEndpointBackFromAnOutageTheProbesSawLeavesItsEjectionAtOnce() throws Exception {
    replicas = Replicas.start(3);
    replicas.answer(0, 503, 0); // calls and probes alike
    OutlierDetection outliers =
        OutlierDetection.builder()
            .consecutiveFailures(2)
            .baseEjectionTime(Duration.ofMinutes(2))
            .build();
    HealthCheck check = HealthCheck.http("/healthz").build();
    try (Hyperlane hyperlane =
        builder(check, outliers).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 6; i++) {
        Replicas.get(client, "http://inventory/");
      }
      assertThat(endpoint(hyperlane, 0).ejected()).isTrue();
      assertThat(endpoint(hyperlane, 0).ejectedFor())
          .isEqualTo("2 failed or outrun attempts in a row");
      for (int i = 0; i < 3; i++) {
        time.advance(ROUND);
      }
      assertThat(endpoint(hyperlane, 0).health()).startsWith("unhealthy");

      replicas.answer(0, 200, 0); // back up, a minute before its ejection would end
      time.advance(ROUND);
      assertThat(endpoint(hyperlane, 0).ejected()).as("one pass of two").isTrue();
      time.advance(ROUND);
      assertThat(endpoint(hyperlane, 0).ejected()).isFalse();
      assertThat(endpoint(hyperlane, 0).health()).startsWith("healthy");
      assertThat(events(RoutingEvent.EndpointReturned.class)).hasSize(1);
    }
  }

  @Test
  void probesRunOnTheExecutorAtMostSoManyAtATimeAndStopOnClose() throws Exception {
    replicas = Replicas.start(3);
    List<Runnable> queued = new ArrayList<>();
    HealthCheck check = HealthCheck.http("/healthz").maxConcurrentProbes(2).build();
    Hyperlane hyperlane =
        builder(check, OutlierDetection.disabled())
            .blockingExecutor(queued::add)
            .service("inventory", replicas.urls())
            .build();
    time.advance(ROUND);
    assertThat(queued).as("two slots for three endpoints").hasSize(2);
    assertThat(replicas.server(0).findAll(getRequestedFor(urlEqualTo("/healthz")))).isEmpty();

    queued.remove(0).run(); // a probe ends on the executor's thread: its slot is free again
    time.advance(ROUND);
    assertThat(queued).hasSize(2);
    assertThat(time.pendingTasks()).as("the next round").isEqualTo(1);

    hyperlane.close();
    assertThat(time.pendingTasks()).isZero();
    int probes = 0;
    for (int i = 0; i < replicas.count(); i++) {
      probes += replicas.server(i).findAll(getRequestedFor(urlEqualTo("/healthz"))).size();
    }
    for (Runnable probe : queued) {
      probe.run(); // a probe that starts after close sends nothing
    }
    int after = 0;
    for (int i = 0; i < replicas.count(); i++) {
      after += replicas.server(i).findAll(getRequestedFor(urlEqualTo("/healthz"))).size();
    }
    assertThat(after).isEqualTo(probes).isEqualTo(1);
  }

  @Test
  void everyEndpointIsProbedWhenThereAreMoreEndpointsThanSlots() throws Exception {
    replicas = Replicas.start(5);
    List<Runnable> queued = new ArrayList<>();
    HealthCheck check = HealthCheck.http("/healthz").maxConcurrentProbes(2).build();
    try (Hyperlane hyperlane =
        builder(check, OutlierDetection.disabled())
            .blockingExecutor(queued::add)
            .service("inventory", replicas.urls())
            .build()) {
      assertThat(hyperlane.describe())
          .containsPattern(
              "  health check +HealthCheck\\{GET /healthz every 10 s, timeout 1 s,"
                  + " healthy after 2, unhealthy after 3, expect 2xx, at most 2 at a time\\}");
      for (int round = 0; round < 3; round++) {
        time.advance(ROUND);
        while (!queued.isEmpty()) {
          queued.remove(0).run(); // each round's probes end before the next round
        }
      }
      // Three rounds of two slots: six probes, every one of the five endpoints at least once.
      int probes = 0;
      for (int i = 0; i < replicas.count(); i++) {
        int mine = replicas.server(i).findAll(getRequestedFor(urlEqualTo("/healthz"))).size();
        assertThat(mine).as("replica %d", i).isPositive();
        probes += mine;
      }
      assertThat(probes).isEqualTo(6);
    }
  }

  @Test
  void aPassingProbeEndsOnlyAnOutageTheProbesSaw() throws Exception {
    replicas = Replicas.start(3);
    OutlierDetection outliers =
        OutlierDetection.builder()
            .consecutiveFailures(2)
            .baseEjectionTime(Duration.ofMinutes(1))
            .build();
    HealthCheck check = HealthCheck.http("/healthz").healthyThreshold(1).build();
    try (Hyperlane hyperlane =
        builder(check, outliers).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      // Replica 0's calls fail while its probe answers: an ejection for failures in a row that
      // the probes never saw as an outage.
      replicas.answer(0, aResponse().withStatus(503));
      replicas
          .server(0)
          .stubFor(get(urlEqualTo("/healthz")).willReturn(aResponse().withStatus(200)));
      for (int i = 0; i < 6; i++) {
        Replicas.get(client, "http://inventory/");
      }
      assertThat(endpoint(hyperlane, 0).ejected()).isTrue();
      time.advance(ROUND);
      time.advance(ROUND);
      assertThat(endpoint(hyperlane, 0).health()).startsWith("healthy (last probe: 200");
      assertThat(endpoint(hyperlane, 0).ejected())
          .as("passing probes end only an outage the probes saw")
          .isTrue();
    }
  }

  @Test
  void settingsAreCheckedAndDescribed() {
    assertThatThrownBy(() -> HealthCheck.http("healthz")).hasMessageContaining("absolute path");
    assertThatThrownBy(() -> HealthCheck.http("/health z")).hasMessageContaining("absolute path");
    assertThatThrownBy(() -> HealthCheck.http("//evil.example/")).hasMessageContaining("path");
    assertThatThrownBy(() -> HealthCheck.http("/h").interval(Duration.ofMillis(5)))
        .hasMessageContaining("interval");
    assertThatThrownBy(() -> HealthCheck.http("/h").expectStatus(99))
        .hasMessageContaining("expectStatus");
    assertThatThrownBy(() -> HealthCheck.http("/h").unhealthyThreshold(0))
        .hasMessageContaining("unhealthyThreshold");
    assertThat(HealthCheck.none().enabled()).isFalse();
    assertThat(HealthCheck.http("/healthz").expectStatus(200, 204).build().toString())
        .isEqualTo(
            "HealthCheck{GET /healthz every 10 s, timeout 1 s, healthy after 2, unhealthy after 3,"
                + " expect 200, 204, at most 4 at a time}");
    assertThat(HealthCheck.http("/h").expectStatus(200, 201, 202, 503).build().toString())
        .contains("expect 200-202, 503,");
  }
}
