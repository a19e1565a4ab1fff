package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.testing.FakeTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import okhttp3.Cache;
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

  @Test
  void aReportFromTheFarEndOfARedirectIsNotCreditedToTheEndpoint() throws Exception {
    replicas = Replicas.start(3); // the service is replicas 0 and 1; replica 2 is elsewhere
    replicas.answer(
        0, aResponse().withStatus(302).withHeader("Location", replicas.url(2) + "/moved"));
    replicas.answer(
        2,
        aResponse()
            .withStatus(200)
            .withHeader("endpoint-load-metrics", "TEXT named_metrics.requests_in_flight=500")
            .withBody("moved"));
    try (Hyperlane hyperlane =
        FakeTimes.drive(time, Hyperlane.builder())
            .service("inventory", replicas.url(0), replicas.url(1))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 20 && replicas.received(2) == 0; i++) {
        get(client, "/items").close();
      }
      assertThat(replicas.received(2)).as("the redirect was followed").isPositive();
      assertThat(hyperlane.snapshot().service("inventory").endpoints().get(0).reportedLoad())
          .isEmpty();
    }
  }

  @Test
  void aReportOkHttpsCacheReplaysIsNotTakenAsFresh() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(
        0,
        aResponse()
            .withStatus(200)
            .withHeader("Cache-Control", "max-age=3600")
            .withHeader("endpoint-load-metrics", "TEXT named_metrics.requests_in_flight=50")
            .withBody("cached"));
    Path dir = Files.createTempDirectory("okhttp-cache");
    Cache cache = new Cache(dir.toFile(), 1 << 20);
    try (Hyperlane hyperlane =
        FakeTimes.drive(time, Hyperlane.builder()).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base.newBuilder().cache(cache).build());
      get(client, "/items").close();
      String fromNetwork =
          hyperlane.snapshot().service("inventory").endpoints().get(0).reportedLoad();
      assertThat(fromNetwork).startsWith("50 requests in flight");
      time.advance(Duration.ofSeconds(5)); // the report is old now
      try (Response r = get(client, "/items")) {
        assertThat(r.body().string()).isEqualTo("cached");
        assertThat(r.cacheResponse()).isNotNull();
        assertThat(r.networkResponse()).isNull();
      }
      assertThat(replicas.received(0)).isEqualTo(1);
      assertThat(hyperlane.snapshot().service("inventory").endpoints().get(0).reportedLoad())
          .as("still the report from the network, five seconds old")
          .endsWith("5 s ago");
    } finally {
      cache.delete();
    }
  }
}
