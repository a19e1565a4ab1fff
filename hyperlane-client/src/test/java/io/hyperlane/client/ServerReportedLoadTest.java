package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.testing.FakeTime;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Load reports on real responses: a replica that says in its {@code endpoint-load-metrics} header
 * that other callers keep it busy gets fewer calls while the report is fresh, and the snapshot says
 * what it reported.
 */
class ServerReportedLoadTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();

  private static Response get(OkHttpClient client, String path) throws Exception {
    return client.newCall(new Request.Builder().url("http://inventory" + path).build()).execute();
  }

  @Test
  void aReplicaReportingOtherCallersLoadTakesFewerCallsWhileTheReportIsFresh() throws Exception {
    replicas = Replicas.start(3);
    replicas.answer(
        0,
        aResponse()
            .withStatus(200)
            .withHeader(
                "endpoint-load-metrics",
                "TEXT named_metrics.requests_in_flight=40, application_utilization=0.9"));
    for (int i = 1; i < 3; i++) {
      replicas.answer(
          i,
          aResponse()
              .withStatus(200)
              .withHeader(
                  "endpoint-load-metrics",
                  "JSON {\"named_metrics\": {\"requests_in_flight\": 1}, \"cpu_utilization\": 0.1}"));
    }
    try (Hyperlane hyperlane =
        FakeTimes.drive(time, Hyperlane.builder())
            .slowStart(SlowStart.disabled())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      // Until each has answered once, nothing is known: every replica gets its turn.
      for (int i = 0; i < 30 && replicas.received(0) == 0; i++) {
        get(client, "/warm").close();
      }
      assertThat(replicas.received(0)).isPositive();
      int before = replicas.received(0);
      for (int i = 0; i < 60; i++) {
        try (Response r = get(client, "/items")) {
          assertThat(r.code()).isEqualTo(200);
        }
      }
      assertThat(replicas.received(0) - before)
          .as("calls to the replica busy with other callers' 39 requests")
          .isZero();
      ServiceSnapshot service = hyperlane.snapshot().service("inventory");
      assertThat(service.endpoints().get(0).reportedLoad())
          .startsWith("40 requests in flight (39 from other callers), utilization 0.90, ");
      assertThat(service.endpoints().get(1).reportedLoad())
          .startsWith("1 request in flight (0 from other callers), utilization 0.10, ");
      assertThat(hyperlane.snapshot().toString()).contains(replicas.url(0) + " reports: 40");
      assertThat(hyperlane.snapshot().toJson()).contains("\"reportedLoad\"");

      // A second on, the report no longer counts and the replica takes calls again.
      time.advance(Duration.ofSeconds(1));
      int later = replicas.received(0);
      for (int i = 0; i < 30 && replicas.received(0) == later; i++) {
        get(client, "/items").close();
      }
      assertThat(replicas.received(0)).isGreaterThan(later);
    }
  }

  @Test
  void aGarbledReportIsIgnoredAndTheCallSucceeds() throws Exception {
    replicas = Replicas.start(2);
    for (int i = 0; i < 2; i++) {
      replicas.answer(
          i,
          aResponse()
              .withStatus(200)
              .withHeader("endpoint-load-metrics", "TEXT requests_in_flight=∞, ,=")
              .withBody("ok"));
    }
    try (Hyperlane hyperlane =
        FakeTimes.drive(time, Hyperlane.builder()).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 10; i++) {
        try (Response r = get(client, "/items")) {
          assertThat(r.body().string()).isEqualTo("ok");
        }
      }
      for (EndpointSnapshot e : hyperlane.snapshot().service("inventory").endpoints()) {
        assertThat(e.reportedLoad()).isEmpty();
      }
    }
  }
}
