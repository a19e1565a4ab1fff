package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.hyperlane.testing.FakeTime;
import java.time.Duration;
import java.util.List;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Slow start: an endpoint that joins later ramps up instead of taking a full share at once. */
class SlowStartTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();

  @Test
  void aNewEndpointGetsARisingShareNotAFullShareAtOnce() throws Exception {
    replicas = Replicas.start(3);
    MutableDiscovery discovery =
        new MutableDiscovery(List.of(Endpoint.of(replicas.url(0)), Endpoint.of(replicas.url(1))));
    try (Hyperlane hyperlane =
        FakeTimes.drive(time, Hyperlane.builder())
            .service(
                "inventory",
                s ->
                    s.discovery(discovery)
                        .loadBalancer(LoadBalancerPolicy.roundRobin())
                        .slowStart(SlowStart.of(Duration.ofSeconds(10), 0.1)))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      // The endpoints a service starts with are not ramped: they share evenly.
      assertThat(shareOfReplica(client, 0, 100)).isEqualTo(0.5);

      discovery.push(
          List.of(
              Endpoint.of(replicas.url(0)),
              Endpoint.of(replicas.url(1)),
              Endpoint.of(replicas.url(2))));
      double atStart = shareOfReplica(client, 2, 210);
      time.advance(Duration.ofSeconds(5));
      double halfway = shareOfReplica(client, 2, 250);
      time.advance(Duration.ofSeconds(5));
      double done = shareOfReplica(client, 2, 300);

      // Weight factor 0.1, then 0.5, then 1: shares 0.1/2.1, 0.5/2.5 and 1/3.
      assertThat(atStart).isCloseTo(0.1 / 2.1, within(0.01));
      assertThat(halfway).isCloseTo(0.2, within(0.01));
      assertThat(done).isCloseTo(1 / 3.0, within(0.01));
      assertThat(
              hyperlane
                  .snapshot()
                  .service("inventory")
                  .endpoint(replicas.url(2))
                  .orElseThrow()
                  .effectiveWeight())
          .isEqualTo(1.0);
    }
  }

  @Test
  void anEndpointKeepsItsStatisticsWhenDiscoveryRepeatsIt() throws Exception {
    replicas = Replicas.start(2);
    MutableDiscovery discovery = new MutableDiscovery(List.of(Endpoint.of(replicas.url(0))));
    try (Hyperlane hyperlane =
        FakeTimes.drive(time, Hyperlane.builder())
            .service("inventory", s -> s.discovery(discovery))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 5; i++) {
        Replicas.get(client, "http://inventory/");
      }
      discovery.push(List.of(Endpoint.of(replicas.url(0), 4), Endpoint.of(replicas.url(1))));
      EndpointSnapshot kept =
          hyperlane.snapshot().service("inventory").endpoint(replicas.url(0)).orElseThrow();
      assertThat(kept.requests()).isEqualTo(5);
      assertThat(kept.weight()).isEqualTo(4);
      assertThat(kept.effectiveWeight()).as("not ramped: it was already there").isEqualTo(4.0);
    }
  }

  private static double shareOfReplica(OkHttpClient client, int replica, int calls)
      throws Exception {
    int hits = 0;
    for (int i = 0; i < calls; i++) {
      if (Replicas.get(client, "http://inventory/") == replica) {
        hits++;
      }
    }
    return hits / (double) calls;
  }
}
