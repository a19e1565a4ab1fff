package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitOpenException;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Decisions as span events and metrics, alerts, and what the logs never contain. */
class ObservabilityTest extends LoopbackTest {

  @RegisterExtension static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

  private final FakeTime time = new FakeTime();

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .openTelemetry(otel.getOpenTelemetry())
        .sleeper(time)
        .loadBalancer(LoadBalancerPolicy.roundRobin())
        .slowStart(SlowStart.disabled());
  }

  private SpanData logicalSpan() {
    return otel.getSpans().stream()
        .filter(s -> s.getKind() == SpanKind.INTERNAL)
        .findFirst()
        .orElseThrow();
  }

  private List<String> eventNames(SpanData span) {
    return span.getEvents().stream().map(EventData::getName).toList();
  }

  private long counter(String name, String service) {
    return otel.getMetrics().stream()
        .filter(m -> m.getName().equals(name))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .filter(
            p -> service.equals(p.getAttributes().get(AttributeKey.stringKey("hyperlane.service"))))
        .mapToLong(LongPointData::getValue)
        .sum();
  }

  @Test
  void aRetryIsASpanEventOfTheLogicalCallAndACount() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      assertThat(Replicas.get(hyperlane.wrap(base), "http://inventory/")).isEqualTo(1);
    }
    assertThat(eventNames(logicalSpan())).containsExactly("hyperlane.retry");
    EventData retry = logicalSpan().getEvents().get(0);
    assertThat(retry.getAttributes().get(AttributeKey.stringKey("hyperlane.cause")))
        .isEqualTo("503");
    assertThat(counter("hyperlane.retries", "inventory")).isEqualTo(1);
  }

  @Test
  void aBudgetRefusalIsASpanEventAndACountWithItsReason() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    replicas.answer(1, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .retryBudget(RetryBudget.builder().maxRetryShare(0).minRetriesPerSecond(0).build())
            .service("inventory", replicas.urls())
            .build()) {
      Replicas.get(hyperlane.wrap(base), "http://inventory/");
    }
    assertThat(eventNames(logicalSpan())).containsExactly("hyperlane.budget_refused");
    assertThat(
            otel.getMetrics().stream()
                .filter(m -> m.getName().equals("hyperlane.retry.refusals"))
                .flatMap(m -> m.getLongSumData().getPoints().stream())
                .map(p -> p.getAttributes().get(AttributeKey.stringKey("hyperlane.reason"))))
        .containsExactly("budget_exhausted");
  }

  @Test
  void anOpenCircuitIsASpanEventAndTheLogicalSpanEndsInError() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .retry(RetryPolicy.none())
            .serviceCircuitBreaker(
                CircuitBreakerPolicy.of(
                    CircuitBreakerConfig.custom()
                        .slidingWindowSize(2)
                        .minimumNumberOfCalls(2)
                        .build()))
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Replicas.get(client, "http://inventory/");
      Replicas.get(client, "http://inventory/");
      otel.clearSpans();
      assertThatThrownBy(() -> Replicas.get(client, "http://inventory/"))
          .isInstanceOf(CircuitOpenException.class);
    }
    SpanData logical = logicalSpan();
    assertThat(eventNames(logical)).containsExactly("hyperlane.circuit_open");
    assertThat(logical.getAttributes().get(Telemetry.ERROR_TYPE))
        .isEqualTo(CircuitOpenException.class.getName());
    assertThat(otel.getSpans()).noneMatch(s -> s.getKind() == SpanKind.CLIENT); // nothing sent
    assertThat(counter("hyperlane.calls.rejected", "inventory")).isEqualTo(1);
  }

  @Test
  void theInFlightGaugeCountsACallHeldAtItsEndpoint() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 1_000); // round robin: the first call goes here and stays a while
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      CompletableFuture<Integer> held =
          Replicas.enqueue(
              hyperlane.wrap(base), new Request.Builder().url("http://inventory/").build());
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (replicas.received(0) == 0 && System.nanoTime() < until) {
        Thread.onSpinWait(); // until the call is at the replica
      }
      assertThat(inFlight(replicas.url(0))).isEqualTo(1);
      assertThat(inFlight(replicas.url(1))).isZero();
      assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      assertThat(inFlight(replicas.url(0))).isZero();
    }
  }

  private long inFlight(String endpoint) {
    MetricData gauge =
        otel.getMetrics().stream()
            .filter(m -> m.getName().equals("hyperlane.endpoint.in_flight"))
            .findFirst()
            .orElseThrow();
    return gauge.getLongGaugeData().getPoints().stream()
        .filter(p -> endpoint.equals(p.getAttributes().get(Telemetry.ENDPOINT)))
        .mapToLong(LongPointData::getValue)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void anAlertFiresOnceWhenP99CrossesItsThresholdAndOnceWhenItRecovers() throws Exception {
    replicas = Replicas.start(1);
    List<Alert> alerts = new CopyOnWriteArrayList<>();
    Duration[] latency = {Duration.ofMillis(5)};
    // The "network" takes as long as the test says, on fake time.
    OkHttpClient timed =
        base.newBuilder()
            .addNetworkInterceptor(
                chain -> {
                  time.advance(latency[0]);
                  return chain.proceed(chain.request());
                })
            .build();
    try (Hyperlane hyperlane =
        builder()
            .alerts(
                AlertPolicy.builder()
                    .p99Above(Duration.ofMillis(100))
                    .window(Duration.ofSeconds(10))
                    .minCalls(20)
                    .build(),
                alerts::add)
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(timed);
      for (int i = 0; i < 50; i++) { // healthy: 5 ms
        Replicas.get(client, "http://inventory/");
        time.advance(Duration.ofMillis(100));
      }
      assertThat(alerts).isEmpty();
      latency[0] = Duration.ofMillis(300);
      for (int i = 0; i < 50; i++) { // slow for a while: one alert, not fifty
        Replicas.get(client, "http://inventory/");
        time.advance(Duration.ofMillis(100));
      }
      assertThat(alerts)
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.firing()).isTrue();
                assertThat(a.kind()).isEqualTo(Alert.Kind.P99_LATENCY);
                assertThat(a.service()).isEqualTo("inventory");
                assertThat(a.value()).isGreaterThan(0.1);
              });
      latency[0] = Duration.ofMillis(5);
      for (int i = 0; i < 150; i++) { // healthy again, long enough for the window to forget
        Replicas.get(client, "http://inventory/");
        time.advance(Duration.ofMillis(100));
      }
      assertThat(alerts).hasSize(2);
      assertThat(alerts.get(1).firing()).isFalse();
      assertThat(alerts.get(1).value()).isLessThanOrEqualTo(0.09);
    }
  }

  @Test
  void anErrorRateAlertFiresOnce() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 500, 0);
    List<Alert> alerts = new CopyOnWriteArrayList<>();
    try (Hyperlane hyperlane =
        builder()
            .retry(RetryPolicy.none())
            .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
            .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
            .outlierDetection(OutlierDetection.disabled())
            .alerts(AlertPolicy.builder().errorRateAbove(0.5).minCalls(10).build(), alerts::add)
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 40; i++) {
        Replicas.get(client, "http://inventory/");
        time.advance(Duration.ofMillis(200));
      }
    }
    assertThat(alerts)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.kind()).isEqualTo(Alert.Kind.ERROR_RATE);
              assertThat(a.firing()).isTrue();
              assertThat(a.value()).isEqualTo(1.0);
            });
  }

  @Test
  void noLogLineEverCarriesACredential() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    try (LogCapture logs = new LogCapture();
        Hyperlane hyperlane =
            builder()
                .outlierDetection(OutlierDetection.builder().consecutiveFailures(1).build())
                .service("inventory", replicas.urls())
                .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 5; i++) { // ejections, retries, circuit decisions: the logs speak
        Request request =
            new Request.Builder()
                .url("http://inventory/secure")
                .header("Authorization", "Bearer secret-token-42")
                .header("Cookie", "session=secret-cookie")
                .build();
        try (Response response = client.newCall(request).execute()) {
          response.body().string();
        }
      }
      assertThat(logs.lines("WARN")).isNotEmpty(); // the ejection was logged
      assertThat(logs.all()).doesNotContain("secret");
    }
    assertThat(otel.getSpans())
        .allSatisfy(span -> assertThat(span.getAttributes().toString()).doesNotContain("secret"));
    assertThat(
            replicas.server(1).findAll(anyRequestedFor(anyUrl())).get(0).getHeader("Authorization"))
        .isEqualTo("Bearer secret-token-42"); // still sent, of course
  }

  @Test
  void withTelemetryOffNothingIsRecordedOrPropagated() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane =
        builder().telemetry(false).service("inventory", replicas.urls()).build()) {
      Replicas.get(hyperlane.wrap(base), "http://inventory/");
    }
    assertThat(otel.getSpans()).isEmpty();
    assertThat(otel.getMetrics())
        .noneMatch(
            m ->
                m.getName().startsWith("hyperlane.")
                    || m.getName().equals("http.client.request.duration"));
    assertThat(
            replicas.server(0).findAll(anyRequestedFor(anyUrl())).get(0).getHeader("traceparent"))
        .isNull();
  }
}
