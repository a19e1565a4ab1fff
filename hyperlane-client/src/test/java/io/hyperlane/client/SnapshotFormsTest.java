package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hyperlane.resilience.ConcurrencyLimit;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The snapshot for people (a table) and for machines (maps, JSON); the configuration report. */
class SnapshotFormsTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .sleeper(time)
        .outlierDetection(OutlierDetection.disabled())
        .loadBalancer(LoadBalancerPolicy.roundRobin());
  }

  @Test
  void theTableHasALinePerEndpointTimesInMillisAndTheServicesOwnState() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(1, 503, 0); // fails at once
    try (Hyperlane hyperlane =
        builder()
            .retry(RetryPolicy.none())
            .service(
                "inventory",
                s ->
                    s.endpoint(replicas.url(0))
                        .endpoint(replicas.url(1))
                        .hedging(HedgingPolicy.fixed(Duration.ofMillis(50), 1))
                        .concurrencyLimit(ConcurrencyLimit.aimd()))
            .routing(
                RoutingRules.of(
                    RouteRule.named("canary").service("inventory").to("inventory", 1).build()))
            .build()) {
      var client = hyperlane.wrap(base);
      for (int i = 0; i < 4; i++) {
        Replicas.get(client, "http://inventory/");
      }
      Snapshot snapshot = hyperlane.snapshot();
      ServiceSnapshot inventory = snapshot.service("inventory");
      assertThat(inventory.circuit()).isEqualTo("CLOSED");
      assertThat(inventory.concurrencyLimit()).isPositive();
      assertThat(inventory.hedgeDelay()).isEqualTo(Duration.ofMillis(50));
      assertThat(inventory.routingRules()).containsExactly("canary");
      assertThat(inventory.retriesAvailable()).isGreaterThan(0);

      EndpointSnapshot failing = inventory.endpoint(replicas.url(1)).orElseThrow();
      assertThat(failing.failures()).isEqualTo(2);
      assertThat(failing.latencyEwma())
          .as("what it answered in: no failure penalty")
          .isLessThan(Duration.ofMillis(500));
      assertThat(failing.balancerLatency())
          .as("what the balancer ranks it by: the 1 s failure penalty")
          .isGreaterThanOrEqualTo(Duration.ofMillis(999));

      String table = snapshot.toString();
      List<String> lines = table.lines().toList();
      assertThat(lines.get(0))
          .startsWith("inventory: roundRobin, circuit CLOSED, ")
          .contains("retries available, concurrency limit ")
          .contains("hedged after 50 ms, routing rules: canary, discovery failures: 0");
      assertThat(lines.get(1))
          .startsWith("  endpoint")
          .contains("latency ms", "balancer ms", "requests", "failures");
      assertThat(lines).hasSize(4); // a line per endpoint
      assertThat(lines.get(3)).startsWith("  " + replicas.url(1)).contains("CLOSED");
      assertThat(table).doesNotContain("PT").doesNotContain("EndpointSnapshot[");
      // the failing endpoint's balancer column reads about 1000 ms, its latency far less
      assertThat(lines.get(3)).containsPattern(" 1000\\.\\d\\d ");
    }
  }

  @Test
  void theMapIsJsonReadyAndTheJsonIsThatMap() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane =
        builder()
            .service(
                "inventory",
                s ->
                    s.endpoint(
                        Endpoint.builder(replicas.url(0)).metadata("note", "a \"b\" \\ c").build()))
            .build()) {
      Replicas.get(hyperlane.wrap(base), "http://inventory/");
      Snapshot snapshot = hyperlane.snapshot();
      ObjectMapper json = new ObjectMapper();
      Map<String, Object> parsed = json.readValue(snapshot.toJson(), new TypeReference<>() {});
      assertThat(json.readTree(snapshot.toJson()))
          .as("the JSON is the map, written")
          .isEqualTo(json.readTree(json.writeValueAsString(snapshot.toMap())));
      @SuppressWarnings("unchecked")
      Map<String, Object> service = ((List<Map<String, Object>>) parsed.get("services")).get(0);
      assertThat(service)
          .containsEntry("name", "inventory")
          .containsEntry("circuit", "CLOSED")
          .containsEntry("hedgeDelayMs", null)
          .containsEntry("cache", null);
      @SuppressWarnings("unchecked")
      Map<String, Object> endpoint = ((List<Map<String, Object>>) service.get("endpoints")).get(0);
      assertThat(endpoint)
          .containsEntry("origin", replicas.url(0))
          .containsEntry("requests", 1)
          .containsEntry("metadata", Map.of("note", "a \"b\" \\ c"));
      assertThat(endpoint.get("latencyMs")).isInstanceOf(Double.class);
    }
  }

  @Test
  void describeSaysEveryPolicyAndWhereItWasSet() throws Exception {
    replicas = Replicas.start(2);
    try (LogCapture log = new LogCapture();
        Hyperlane hyperlane =
            builder()
                .timeout(Duration.ofSeconds(2))
                .logConfiguration(true)
                .service("inventory", s -> s.endpoint(replicas.url(0)).retry(RetryPolicy.none()))
                .service("catalog", replicas.url(1))
                .build()) {
      String text = hyperlane.describe();
      assertThat(text)
          .startsWith("Hyperlane: 2 services, typo guard off, telemetry on, routing rules: none\n")
          .contains("service inventory\n  endpoints          " + replicas.url(0) + "\n")
          .contains("  timeout            2 s (all services)\n")
          .contains("  retry              RetryPolicy{none} (service)\n")
          .contains("  load balancer      roundRobin (all services)\n")
          .contains("  hedging            HedgingPolicy{none} (default)\n")
          .contains("  service circuit    CircuitBreakerPolicy{opens at 50.0% failures")
          .contains("service catalog\n")
          .contains("  retry              RetryPolicy{maxAttempts=3, backoff=25 ms..");
      assertThat(text).doesNotContain("PT");
      assertThat(log.all()).contains("INFO io.hyperlane.client.Hyperlane - Hyperlane: 2 services");
    }
  }
}
