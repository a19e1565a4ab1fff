package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.CacheStats;
import io.hyperlane.cache.HttpCache;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitOpenException;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The cache as stage 2 of a Hyperlane call: above resilience and routing, inside the span. */
class CacheStageTest extends LoopbackTest {

  @RegisterExtension static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

  private final FakeTime time = new FakeTime();
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();
  private final HttpCache cache = HttpCache.builder().clock(time.wallClock()).build();

  @AfterEach
  void closeCache() {
    cache.close();
  }

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .openTelemetry(otel.getOpenTelemetry())
        .sleeper(time)
        .listener(events::add)
        .outlierDetection(OutlierDetection.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .cache(cache);
  }

  private void cacheable(String cacheControl) {
    for (int i = 0; i < replicas.count(); i++) {
      replicas.answer(
          i,
          aResponse()
              .withStatus(200)
              .withBody("catalog")
              .withHeader("Cache-Control", cacheControl));
    }
  }

  private static String body(OkHttpClient client, String url) throws IOException {
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return response.code()
          + " "
          + response.body().string()
          + " "
          + response.header("Cache-Status", "-");
    }
  }

  @Test
  void aHitIsOneLogicalSpanWithItsTierAndNoAttemptSpan() throws Exception {
    replicas = Replicas.start(2);
    cacheable("max-age=60");
    try (Hyperlane hyperlane = builder().service("catalog", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      body(client, "http://catalog/items");
      otel.clearSpans();
      assertThat(body(client, "http://catalog/items")).startsWith("200 catalog hyperlane-l1; hit");

      assertThat(replicas.received(0) + replicas.received(1)).isEqualTo(1);
      List<SpanData> spans = otel.getSpans();
      assertThat(spans)
          .singleElement()
          .satisfies(
              span -> {
                assertThat(span.getKind()).isEqualTo(SpanKind.INTERNAL);
                assertThat(span.getAttributes().get(CacheEvents.TIER)).isEqualTo("l1");
                assertThat(span.getAttributes().get(CacheEvents.RESULT)).isEqualTo("hit");
              });
      CacheStats.Service stats = hyperlane.snapshot().service("catalog").cache();
      assertThat(stats.l1Hits()).isEqualTo(1);
      assertThat(stats.misses()).isEqualTo(1);
    }
    MetricData results =
        otel.getMetrics().stream()
            .filter(m -> m.getName().equals("hyperlane.cache.results"))
            .findFirst()
            .orElseThrow();
    assertThat(results.getLongSumData().getPoints())
        .extracting(
            p ->
                p.getAttributes().get(CacheEvents.TIER)
                    + "/"
                    + p.getAttributes().get(CacheEvents.RESULT)
                    + "="
                    + p.getValue())
        .containsExactlyInAnyOrder("origin/miss=1", "l1/hit=1");
    assertThat(results.getLongSumData().getPoints())
        .extracting(LongPointData::getAttributes)
        .allSatisfy(
            a ->
                assertThat(a.get(AttributeKey.stringKey("hyperlane.service")))
                    .isEqualTo("catalog"));
  }

  @Test
  void staleIfErrorAnswersWhileEveryReplicaReturns503AfterTheRetriesAreSpent() throws Exception {
    replicas = Replicas.start(2);
    cacheable("max-age=1, stale-if-error=600");
    try (Hyperlane hyperlane = builder().service("catalog", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      body(client, "http://catalog/items");
      replicas.answer(0, 503, 0);
      replicas.answer(1, 503, 0);
      time.advance(Duration.ofSeconds(30));
      otel.clearSpans();

      assertThat(body(client, "http://catalog/items"))
          .startsWith("200 catalog hyperlane-l1; fwd=stale")
          .contains("fwd-status=503");
      assertThat(events).filteredOn(ResilienceEvent.Retry.class::isInstance).hasSize(2);
      SpanData logical =
          otel.getSpans().stream()
              .filter(s -> s.getKind() == SpanKind.INTERNAL)
              .findFirst()
              .orElseThrow();
      assertThat(logical.getAttributes().get(CacheEvents.RESULT)).isEqualTo("stale_if_error");
      assertThat(logical.getEvents())
          .anySatisfy(e -> assertThat(e.getName()).isEqualTo("hyperlane.stale_served"));
    }
  }

  @Test
  void staleIfErrorAnswersWhileTheServiceCircuitIsOpen() throws Exception {
    replicas = Replicas.start(1);
    cacheable("max-age=1, stale-if-error=600");
    try (Hyperlane hyperlane =
        builder().retry(RetryPolicy.none()).service("catalog", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      body(client, "http://catalog/items");
      replicas.answer(0, 503, 0);
      for (int i = 0; i < 20; i++) { // other URLs fail until the service circuit opens
        try {
          body(client, "http://catalog/other/" + i);
        } catch (CircuitOpenException e) {
          break;
        }
      }
      assertThat(events)
          .anyMatch(
              e ->
                  e instanceof ResilienceEvent.CircuitStateChanged c
                      && c.endpoint() == null
                      && c.to().name().equals("OPEN"));
      time.advance(Duration.ofSeconds(2)); // stale, and the circuit still open (5 s)
      int sent = replicas.received(0);

      assertThat(body(client, "http://catalog/items"))
          .startsWith("200 catalog hyperlane-l1; fwd=stale")
          .contains("CircuitOpenException");
      assertThat(replicas.received(0)).isEqualTo(sent);
      assertThat(events).anyMatch(ResilienceEvent.CallRejected.class::isInstance);
    }
  }

  @Test
  void aServiceCanOptOutAndAPostInvalidates() throws Exception {
    replicas = Replicas.start(1);
    cacheable("max-age=60");
    try (Hyperlane hyperlane =
        builder()
            .service("catalog", replicas.urls())
            .service("orders", s -> s.endpoint(replicas.url(0)).noCache())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      body(client, "http://orders/1");
      assertThat(body(client, "http://orders/1")).endsWith(" -");
      assertThat(hyperlane.snapshot().service("orders").cache()).isNull();

      body(client, "http://catalog/items");
      try (Response response =
          client
              .newCall(
                  new Request.Builder()
                      .url("http://catalog/items")
                      .post(RequestBody.create(new byte[0], null))
                      .build())
              .execute()) {
        assertThat(response.code()).isEqualTo(200);
      }
      assertThat(body(client, "http://catalog/items")).contains("fwd=miss");
      assertThat(replicas.received(0)).isEqualTo(5);
    }
  }

  @Test
  void credentialsAnAttemptInterceptorSignsWithKeepEachUsersResponseTheirs() throws Exception {
    replicas = Replicas.start(2);
    for (int i = 0; i < 2; i++) {
      replicas.answer(
          i,
          aResponse()
              .withStatus(200)
              .withHeader("Cache-Control", "max-age=60")
              .withTransformers("response-template")
              .withBody("profile of {{request.headers.Authorization}}"));
    }
    for (io.hyperlane.resilience.HedgingPolicy hedging :
        List.of(
            io.hyperlane.resilience.HedgingPolicy.none(),
            io.hyperlane.resilience.HedgingPolicy.fixed(Duration.ofSeconds(10), 1))) {
      try (Hyperlane hyperlane =
          builder()
              .hedging(hedging)
              // The README's signing recipe: each attempt signed for the caller it is made for.
              .attemptInterceptor(
                  chain ->
                      chain.proceed(
                          chain
                              .request()
                              .newBuilder()
                              .header("Authorization", chain.request().tag(String.class))
                              .build()))
              .service("profiles", replicas.urls())
              .build()) {
        OkHttpClient client = hyperlane.wrap(base);
        for (String user : new String[] {"alice", "bob", "alice"}) {
          try (Response response =
              client
                  .newCall(
                      new Request.Builder()
                          .url("http://profiles/me")
                          .tag(String.class, user)
                          .build())
                  .execute()) {
            assertThat(response.body().string())
                .as("with %s", hedging)
                .isEqualTo("profile of " + user);
          }
        }
      }
    }
  }
}
