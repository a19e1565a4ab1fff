package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.tomakehurst.wiremock.http.Fault;
import com.sun.net.httpserver.HttpServer;
import io.hyperlane.resilience.CallFailedException;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.RetryPolicy;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Spans, propagation and metrics, checked with the OpenTelemetry SDK's in-memory exporters. */
class TelemetryTest extends LoopbackTest {

  @RegisterExtension static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

  private Hyperlane.Builder builder() {
    return Hyperlane.builder()
        .openTelemetry(otel.getOpenTelemetry())
        .loadBalancer(LoadBalancerPolicy.roundRobin())
        .outlierDetection(OutlierDetection.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .sleeper((queue, timeoutNanos) -> queue.poll()); // no pause between attempts
  }

  private List<String> traceparentsAt(int replica) {
    return replicas.server(replica).findAll(anyRequestedFor(anyUrl())).stream()
        .map(r -> r.getHeader("traceparent"))
        .toList();
  }

  @Test
  void aCallRetriedOnceIsOneLogicalSpanWithTwoAttemptSpans() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/items/42")).isEqualTo(1);
    }
    List<SpanData> spans = otel.getSpans();
    SpanData logical =
        spans.stream().filter(s -> s.getKind() == SpanKind.INTERNAL).findFirst().orElseThrow();
    assertThat(logical.getName()).isEqualTo("GET inventory");
    assertThat(logical.getAttributes().get(Telemetry.HTTP_STATUS)).isEqualTo(200L);

    List<SpanData> attempts =
        spans.stream()
            .filter(s -> s.getKind() == SpanKind.CLIENT)
            .sorted((a, b) -> Long.compare(a.getStartEpochNanos(), b.getStartEpochNanos()))
            .toList();
    assertThat(attempts)
        .hasSize(2)
        .allSatisfy(
            a -> {
              assertThat(a.getParentSpanId()).isEqualTo(logical.getSpanId());
              assertThat(a.getTraceId()).isEqualTo(logical.getTraceId());
              assertThat(a.getName()).isEqualTo("GET");
              assertThat(a.getAttributes().get(Telemetry.HTTP_METHOD)).isEqualTo("GET");
              assertThat(a.getAttributes().get(Telemetry.SERVER_ADDRESS)).isEqualTo("127.0.0.1");
              assertThat(a.getAttributes().get(Telemetry.SERVICE)).isEqualTo("inventory");
            });
    SpanData first = attempts.get(0);
    SpanData second = attempts.get(1);
    assertThat(first.getAttributes().get(Telemetry.RESEND_COUNT)).isNull();
    assertThat(first.getAttributes().get(Telemetry.HTTP_STATUS)).isEqualTo(503L);
    assertThat(first.getAttributes().get(Telemetry.ERROR_TYPE)).isEqualTo("503");
    assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(first.getAttributes().get(Telemetry.URL_FULL))
        .isEqualTo(replicas.url(0) + "/items/42");
    assertThat(second.getAttributes().get(Telemetry.RESEND_COUNT)).isEqualTo(1L);
    assertThat(second.getAttributes().get(Telemetry.HTTP_STATUS)).isEqualTo(200L);
    assertThat(second.getAttributes().get(Telemetry.SERVER_PORT))
        .isEqualTo((long) replicas.server(1).port());

    // Each server saw a traceparent of the same trace, naming its own attempt span as parent.
    // (The flags that follow say sampled, and, with this SDK, a random trace id.)
    assertThat(traceparentsAt(0))
        .singleElement()
        .asString()
        .startsWith("00-" + logical.getTraceId() + "-" + first.getSpanId() + "-");
    assertThat(traceparentsAt(1))
        .singleElement()
        .asString()
        .startsWith("00-" + logical.getTraceId() + "-" + second.getSpanId() + "-");
  }

  @Test
  void aHedgeOnAnotherThreadIsAnAttemptSpanOfTheSameLogicalCall() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 2_000);
    try (Hyperlane hyperlane =
        builder()
            .hedging(io.hyperlane.resilience.HedgingPolicy.fixed(Duration.ofMillis(30), 1))
            .service("inventory", replicas.urls())
            .build()) {
      assertThat(Replicas.get(hyperlane.wrap(base), "http://inventory/")).isEqualTo(1);
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // the loser's span ends late
    while (otel.getSpans().size() < 3 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    SpanData logical =
        otel.getSpans().stream()
            .filter(s -> s.getKind() == SpanKind.INTERNAL)
            .findFirst()
            .orElseThrow();
    List<SpanData> attempts =
        otel.getSpans().stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
    assertThat(attempts)
        .hasSize(2)
        .allSatisfy(a -> assertThat(a.getParentSpanId()).isEqualTo(logical.getSpanId()));
    assertThat(attempts)
        .extracting(a -> a.getAttributes().get(Telemetry.ERROR_TYPE))
        .containsExactlyInAnyOrder(null, "cancelled");
    assertThat(traceparentsAt(1))
        .singleElement()
        .asString()
        .startsWith("00-" + logical.getTraceId() + "-");
  }

  @Test
  void theDurationHistogramRecordsOnePointPerLogicalCall() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0); // the first call is retried: still one logical call
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 3; i++) {
        Replicas.get(client, "http://inventory/");
      }
    }
    MetricData metric =
        otel.getMetrics().stream()
            .filter(m -> m.getName().equals("http.client.request.duration"))
            .findFirst()
            .orElseThrow();
    assertThat(metric.getUnit()).isEqualTo("s");
    List<HistogramPointData> points = List.copyOf(metric.getHistogramData().getPoints());
    assertThat(points.stream().mapToLong(HistogramPointData::getCount).sum()).isEqualTo(3);
    assertThat(points)
        .allSatisfy(
            p -> {
              assertThat(p.getAttributes().get(AttributeKey.stringKey("http.request.method")))
                  .isEqualTo("GET");
              assertThat(p.getAttributes().get(AttributeKey.stringKey("server.address")))
                  .isEqualTo("inventory");
              assertThat(p.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
                  .isEqualTo(200L);
              assertThat(p.getAttributes().get(AttributeKey.stringKey("url.scheme")))
                  .isEqualTo("http");
            });
  }

  @Test
  void aCallThatGivesUpReportsTheErrorTypeOfItsLastAttemptNotTheAccountOfIt() throws Exception {
    Replicas gone = Replicas.start(1);
    String dead = gone.url(0);
    gone.close(); // nothing listens there: ConnectException
    replicas = Replicas.start(1);
    replicas.answer(0, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)); // SocketException
    CallFailedException thrown;
    try (Hyperlane hyperlane =
        builder()
            .retry(RetryPolicy.builder().maxAttempts(2).build()) // one attempt on each
            .service("inventory", replicas.url(0), dead)
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      thrown =
          (CallFailedException) catchThrowable(() -> Replicas.get(client, "http://inventory/"));
    }
    String last = thrown.getCause().getClass().getName();
    assertThat(thrown.getSuppressed())
        .as("the first attempt failed otherwise than the last")
        .singleElement()
        .satisfies(first -> assertThat(first.getClass().getName()).isNotEqualTo(last));
    SpanData logical =
        otel.getSpans().stream()
            .filter(span -> span.getKind() == SpanKind.INTERNAL)
            .findFirst()
            .orElseThrow();
    assertThat(logical.getAttributes().get(Telemetry.ERROR_TYPE)).isEqualTo(last);
    assertThat(logical.getStatus().getDescription())
        .isEqualTo(thrown.getCause().getClass().getSimpleName());
    MetricData metric =
        otel.getMetrics().stream()
            .filter(m -> m.getName().equals("http.client.request.duration"))
            .findFirst()
            .orElseThrow();
    assertThat(metric.getHistogramData().getPoints())
        .singleElement()
        .satisfies(
            p ->
                assertThat(p.getAttributes().get(AttributeKey.stringKey("error.type")))
                    .isEqualTo(last));
  }

  @Test
  void aHostThatIsNotAServiceGetsNoSpanAndNoTraceparent() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = builder().service("inventory", "http://127.0.0.1:1").build()) {
      Replicas.get(hyperlane.wrap(base), replicas.url(0) + "/external");
    }
    assertThat(otel.getSpans()).isEmpty();
    assertThat(traceparentsAt(0)).containsExactly((String) null);
  }

  @Test
  @SuppressWarnings("try") // scopes work by being open
  void threeServicesInAChainShareOneTraceForExecuteAndEnqueue() throws Exception {
    replicas = Replicas.start(1); // C
    try (Hyperlane inB = builder().service("c", replicas.url(0)).build();
        ServiceB b = new ServiceB(inB.wrap(base));
        Hyperlane inA = builder().service("b", b.url()).build()) {
      OkHttpClient a = inA.wrap(base);
      Span root = otel.getOpenTelemetry().getTracer("test").spanBuilder("request in A").startSpan();
      try (Scope ignored = root.makeCurrent()) {
        try (Response response =
            a.newCall(new Request.Builder().url("http://b/sync").build()).execute()) {
          assertThat(response.code()).isEqualTo(200);
        }
        CompletableFuture<Integer> async =
            Replicas.enqueue(a, new Request.Builder().url("http://b/async").build());
        assertThat(async.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      } finally {
        root.end();
      }
      String trace = root.getSpanContext().getTraceId();
      assertThat(traceparentsAt(0))
          .hasSize(2)
          .allSatisfy(tp -> assertThat(tp).startsWith("00-" + trace + "-"));
    }
  }

  /** Service B: extracts the caller's context and calls service C through its own Hyperlane. */
  private static final class ServiceB implements AutoCloseable {
    @SuppressWarnings("deprecation") // keys() must still be implemented
    private static final TextMapGetter<com.sun.net.httpserver.Headers> GETTER =
        new TextMapGetter<>() {
          @Override
          public Iterable<String> keys(com.sun.net.httpserver.Headers carrier) {
            return carrier.keySet();
          }

          @Override
          public String get(com.sun.net.httpserver.Headers carrier, String key) {
            return carrier == null ? null : carrier.getFirst(key);
          }
        };

    private final HttpServer server;

    @SuppressWarnings("try")
    ServiceB(OkHttpClient toC) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      server.createContext(
          "/",
          exchange -> {
            try (exchange) {
              Context inbound =
                  otel.getOpenTelemetry()
                      .getPropagators()
                      .getTextMapPropagator()
                      .extract(Context.root(), exchange.getRequestHeaders(), GETTER);
              int status;
              try (Scope ignored = inbound.makeCurrent();
                  Response fromC =
                      toC.newCall(new Request.Builder().url("http://c/").build()).execute()) {
                status = fromC.code();
              }
              byte[] body = ("c said " + status).getBytes();
              exchange.sendResponseHeaders(200, body.length);
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
              }
            }
          });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
