package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Start-up order does not matter: an application that registers its OpenTelemetry SDK globally
 * after building Hyperlane can do so, and Hyperlane records into it from then on.
 */
class StartupOrderTest extends LoopbackTest {

  @AfterEach
  void resetGlobal() {
    GlobalOpenTelemetry.resetForTest();
  }

  @Test
  void anSdkRegisteredAfterBuildIsAcceptedAndRecordedInto() throws Exception {
    GlobalOpenTelemetry.resetForTest();
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.urls()).build()) {
      OkHttpCalls.get(hyperlane, base); // a call before any SDK: recorded nowhere, breaks nothing
      InMemorySpanExporter spans = InMemorySpanExporter.create();
      OpenTelemetrySdk sdk =
          OpenTelemetrySdk.builder()
              .setTracerProvider(
                  SdkTracerProvider.builder()
                      .addSpanProcessor(SimpleSpanProcessor.create(spans))
                      .build())
              .build();
      GlobalOpenTelemetry.set(sdk); // would throw had build() locked the global to a no-op
      OkHttpCalls.get(hyperlane, base);
      assertThat(spans.getFinishedSpanItems())
          .extracting(s -> s.getName())
          .contains("GET inventory", "GET");
      sdk.close();
    }
  }

  /** One GET through the Hyperlane. */
  private static final class OkHttpCalls {
    static void get(Hyperlane hyperlane, okhttp3.OkHttpClient base) throws Exception {
      assertThat(Replicas.get(hyperlane.wrap(base), "http://inventory/")).isZero();
    }
  }
}
