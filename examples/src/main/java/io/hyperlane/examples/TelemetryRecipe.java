package io.hyperlane.examples;

import io.hyperlane.client.Alert;
import io.hyperlane.client.AlertListener;
import io.hyperlane.client.AlertPolicy;
import io.hyperlane.client.Hyperlane;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.logging.LoggingSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Tracing, metrics and alerts: the application sets up the OpenTelemetry SDK as it likes (here:
 * every span printed to the log), hands it to Hyperlane, and gets a span per logical call, a CLIENT
 * span per attempt, W3C {@code traceparent} headers on every attempt, Hyperlane's metrics, and
 * alerts when a service's p99 or error rate crosses a threshold.
 */
public final class TelemetryRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String replica, OpenTelemetry sdk, AlertListener alerts) {
    return Hyperlane.builder()
        .openTelemetry(sdk) // or install the SDK globally: Hyperlane uses GlobalOpenTelemetry
        .alerts(
            AlertPolicy.builder().p99Above(Duration.ofMillis(250)).errorRateAbove(0.05).build(),
            alerts) // must be fast: hand paging to an executor
        .service("inventory", replica)
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  public static void main(String[] args) throws IOException {
    try (LocalReplica replica = LocalReplica.start("traced")) {
      List<Alert> alerts = run(replica.url(), LoggingSpanExporter.create());
      System.out.println("alerts: " + alerts);
    }
  }

  /** Makes a few calls with {@code exporter} receiving the spans; returns the alerts raised. */
  public static List<Alert> run(String replica, SpanExporter exporter) throws IOException {
    List<Alert> alerts = new CopyOnWriteArrayList<>();
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(
                        SimpleSpanProcessor.create(exporter)) // batch it in production
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = configure(replica, sdk, alerts::add)) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      for (int i = 0; i < 3; i++) {
        try (Response response =
            client
                .newCall(new Request.Builder().url("http://inventory/items/" + i).build())
                .execute()) {
          response.body().string();
        }
      }
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
      sdk.close();
    }
    return alerts;
  }
}
