package io.hyperlane.benchmarks;

import io.hyperlane.client.Hyperlane;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What telemetry costs on the happy path, against the same Hyperlane stack with telemetry off
 * ({@code telemetryRaw}, the baseline): with a no-op OpenTelemetry (what an application gets when
 * it installs no SDK) and with the SDK (every span sampled, batched to an exporter that drops them;
 * metrics aggregated in memory). Calls are answered in process by a canned response.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TelemetryBenchmark {

  private static final byte[] BODY = "{\"id\":42}".getBytes();

  private OkHttpClient base;
  private Hyperlane off;
  private Hyperlane noop;
  private Hyperlane sdk;
  private OpenTelemetrySdk openTelemetrySdk;
  private OkHttpClient offClient;
  private OkHttpClient noopClient;
  private OkHttpClient sdkClient;
  private Request request;

  @Setup
  public void setUp() {
    Interceptor canned =
        chain ->
            new Response.Builder()
                .request(chain.request())
                .protocol(Protocol.HTTP_1_1)
                .code(200)
                .message("OK")
                .body(ResponseBody.create(BODY, MediaType.get("application/json")))
                .build();
    base = new OkHttpClient();
    String[] endpoints = {"http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"};
    off = Hyperlane.builder().telemetry(false).service("inventory", endpoints).build();
    noop =
        Hyperlane.builder()
            .openTelemetry(OpenTelemetry.noop())
            .service("inventory", endpoints)
            .build();
    MetricReader reader = InMemoryMetricReader.create();
    openTelemetrySdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(BatchSpanProcessor.builder(new DroppingExporter()).build())
                    .build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    sdk =
        Hyperlane.builder().openTelemetry(openTelemetrySdk).service("inventory", endpoints).build();
    offClient = off.wrap(base).newBuilder().addInterceptor(canned).build();
    noopClient = noop.wrap(base).newBuilder().addInterceptor(canned).build();
    sdkClient = sdk.wrap(base).newBuilder().addInterceptor(canned).build();
    request = new Request.Builder().url("http://inventory/items/42").build();
  }

  @TearDown
  public void tearDown() {
    off.close();
    noop.close();
    sdk.close();
    openTelemetrySdk.close();
    base.dispatcher().executorService().shutdown();
  }

  @Benchmark
  public String telemetryRaw() throws IOException {
    return call(offClient);
  }

  @Benchmark
  public String telemetryNoopHyperlane() throws IOException {
    return call(noopClient);
  }

  @Benchmark
  public String telemetrySdkHyperlane() throws IOException {
    return call(sdkClient);
  }

  private String call(OkHttpClient client) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    }
  }

  /** Takes batches of spans and drops them: the cost measured is Hyperlane's and the SDK's. */
  private static final class DroppingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
