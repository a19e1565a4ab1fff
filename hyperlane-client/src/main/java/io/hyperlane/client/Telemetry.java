package io.hyperlane.client;

import io.hyperlane.resilience.internal.Failures;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * Hyperlane's OpenTelemetry instruments, shared by the telemetry stage (the logical call) and the
 * routing stage (each attempt). Only the OpenTelemetry API is used; the application brings the SDK.
 */
final class Telemetry {

  static final String SCOPE = "io.hyperlane";

  static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<Long> RESEND_COUNT = AttributeKey.longKey("http.request.resend_count");
  static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
  static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
  static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<String> SERVICE = AttributeKey.stringKey("hyperlane.service");
  static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("hyperlane.endpoint");

  private static final TextMapSetter<Request.Builder> HEADER_SETTER =
      (builder, key, value) -> builder.header(key, value);

  /** Bucket boundaries the HTTP semantic conventions advise for request durations, in seconds. */
  private static final List<Double> DURATION_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

  /** Whether telemetry is on at all; when off, nothing is recorded or written into requests. */
  final boolean enabled;

  /** No OpenTelemetry was given: the global one is used, from the moment one is set. */
  private final boolean followsGlobal;

  private volatile Instruments instruments;
  private final List<Consumer<Instruments>> onResolved = new CopyOnWriteArrayList<>();

  /**
   * Telemetry to {@code openTelemetry}, or — when it is null — to the global OpenTelemetry as soon
   * as an application sets one, whenever that is: it is read lazily, and never set here (calling
   * {@link io.opentelemetry.api.GlobalOpenTelemetry#get()} before an SDK registers would lock the
   * global to a no-op). When {@code enabled} is false, nothing is recorded.
   */
  Telemetry(@Nullable OpenTelemetry openTelemetry, boolean enabled) {
    this.enabled = enabled;
    this.followsGlobal = enabled && openTelemetry == null;
    this.instruments =
        new Instruments(enabled && openTelemetry != null ? openTelemetry : OpenTelemetry.noop());
  }

  /**
   * The instruments to record with now: those of the given OpenTelemetry, or of the global one once
   * it is set (no-ops until then). Cheap: a volatile read, and a flag check until the global is
   * set.
   */
  Instruments current() {
    Instruments now = instruments;
    if (followsGlobal && !now.live && io.opentelemetry.api.GlobalOpenTelemetry.isSet()) {
      synchronized (this) {
        now = instruments;
        if (!now.live) {
          now = new Instruments(io.opentelemetry.api.GlobalOpenTelemetry.get());
          now.live = true;
          instruments = now;
          for (Consumer<Instruments> action : onResolved) {
            action.accept(now);
          }
        }
      }
    }
    return now;
  }

  /** Whether anything may ever be recorded: a given SDK, or a global one that may come. */
  boolean mayRecord() {
    Instruments now = current();
    return followsGlobal || now.tracing || now.metering;
  }

  /**
   * Runs {@code action} with the instruments that will record: at once when they are known, or when
   * the global OpenTelemetry is first seen set.
   */
  synchronized void whenResolved(Consumer<Instruments> action) {
    Instruments now = instruments;
    if (!followsGlobal || now.live) {
      action.accept(now);
    } else {
      onResolved.add(action);
    }
  }

  /** One OpenTelemetry's instruments, made once. */
  static final class Instruments {
    /** Whether spans are recorded: false for a no-op tracer provider. */
    final boolean tracing;

    /** Whether metrics are recorded: false for a no-op meter provider. */
    final boolean metering;

    final Tracer tracer;
    final TextMapPropagator propagator;

    /** Whether anything is written into requests: false for the API's no-op propagator. */
    final boolean propagating;

    final DoubleHistogram duration;
    final Meter meter;

    /** Resolved from the global OpenTelemetry once it was set. */
    volatile boolean live;

    private volatile TelemetryListener.@Nullable Counters listenerCounters;
    private volatile @Nullable LongCounter cacheResults;

    Instruments(OpenTelemetry otel) {
      // The API's no-op providers are singletons, also behind an unset GlobalOpenTelemetry.
      this.tracing = otel.getTracerProvider() != TracerProvider.noop();
      this.metering = otel.getMeterProvider() != MeterProvider.noop();
      this.tracer = otel.getTracer(SCOPE);
      this.propagator = otel.getPropagators().getTextMapPropagator();
      this.propagating = propagator != TextMapPropagator.noop();
      this.meter = otel.getMeter(SCOPE);
      this.duration =
          meter
              .histogramBuilder("http.client.request.duration")
              .setUnit("s")
              .setDescription("Duration of HTTP client requests, one per logical call.")
              .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
              .build();
    }

    TelemetryListener.Counters listenerCounters() {
      TelemetryListener.Counters c = listenerCounters;
      if (c == null) {
        synchronized (this) {
          c = listenerCounters;
          if (c == null) {
            listenerCounters = c = new TelemetryListener.Counters(meter);
          }
        }
      }
      return c;
    }

    LongCounter cacheResults() {
      LongCounter c = cacheResults;
      if (c == null) {
        synchronized (this) {
          c = cacheResults;
          if (c == null) {
            cacheResults =
                c =
                    meter
                        .counterBuilder("hyperlane.cache.results")
                        .setDescription(
                            "Service calls seen by the cache, per service, tier that answered"
                                + " and result.")
                        .setUnit("{call}")
                        .build();
          }
        }
      }
      return c;
    }

    /** Writes {@code context} into {@code request}'s headers through the configured propagators. */
    void inject(Context context, Request.Builder request) {
      propagator.inject(context, request, HEADER_SETTER);
    }

    Span startAttempt(
        Context parent,
        Request request,
        HttpUrl routed,
        String service,
        String endpoint,
        int resendCount) {
      var builder =
          tracer
              .spanBuilder(request.method())
              .setParent(parent)
              .setSpanKind(SpanKind.CLIENT)
              .setAttribute(HTTP_METHOD, request.method())
              .setAttribute(URL_FULL, redacted(routed))
              .setAttribute(SERVER_ADDRESS, routed.host())
              .setAttribute(SERVER_PORT, (long) routed.port())
              .setAttribute(SERVICE, service)
              .setAttribute(ENDPOINT, endpoint);
      if (resendCount > 0) {
        builder.setAttribute(RESEND_COUNT, (long) resendCount);
      }
      return builder.startSpan();
    }

    /** Records one logical call in the duration histogram. */
    void recordDuration(
        long nanos,
        String method,
        String service,
        String scheme,
        int status,
        @Nullable String errorType) {
      AttributesBuilder a =
          Attributes.builder()
              .put(HTTP_METHOD, method)
              .put(SERVER_ADDRESS, service)
              .put(URL_SCHEME, scheme);
      if (status > 0) {
        a.put(HTTP_STATUS, (long) status);
      }
      if (errorType != null) {
        a.put(ERROR_TYPE, errorType);
      }
      duration.record(nanos / 1e9, a.build());
    }

    /**
     * Registers the gauges read from the snapshot at each collection: calls in flight, ejection and
     * circuit state per endpoint. Closing the result unregisters them.
     */
    AutoCloseable gauges(Supplier<Snapshot> snapshots) {
      List<AutoCloseable> gauges =
          List.of(
              meter
                  .gaugeBuilder("hyperlane.endpoint.in_flight")
                  .ofLongs()
                  .setDescription(
                      "Calls sent to an endpoint whose response headers have not arrived.")
                  .setUnit("{call}")
                  .buildWithCallback(
                      m ->
                          forEachEndpoint(
                              snapshots, (attributes, e) -> m.record(e.inFlight(), attributes))),
              meter
                  .gaugeBuilder("hyperlane.endpoint.ejected")
                  .ofLongs()
                  .setDescription(
                      "1 while outlier detection keeps an endpoint out of rotation, else 0.")
                  .buildWithCallback(
                      m ->
                          forEachEndpoint(
                              snapshots,
                              (attributes, e) -> m.record(e.ejected() ? 1 : 0, attributes))),
              meter
                  .gaugeBuilder("hyperlane.endpoint.circuit.open")
                  .ofLongs()
                  .setDescription("1 while an endpoint's circuit is open or half-open, else 0.")
                  .buildWithCallback(
                      m ->
                          forEachEndpoint(
                              snapshots,
                              (attributes, e) ->
                                  m.record(
                                      e.circuit().equals("CLOSED") || e.circuit().equals("NONE")
                                          ? 0
                                          : 1,
                                      attributes))));
      return () -> {
        for (AutoCloseable gauge : gauges) {
          gauge.close();
        }
      };
    }
  }

  /** Ends a span with the outcome of a response: 5xx is an error (client spans, per semconv). */
  static void endWithStatus(Span span, int status) {
    span.setAttribute(HTTP_STATUS, (long) status);
    if (status >= 500) {
      span.setAttribute(ERROR_TYPE, Integer.toString(status));
      span.setStatus(StatusCode.ERROR);
    }
    span.end();
  }

  /** Ends a span with a failure. */
  static void endWithFailure(Span span, Throwable thrown, boolean cancelled) {
    Throwable failure = Failures.underlying(thrown); // the error.type of the attempt that failed
    span.setAttribute(ERROR_TYPE, cancelled ? "cancelled" : failure.getClass().getName());
    span.setStatus(StatusCode.ERROR, cancelled ? "cancelled" : failure.getClass().getSimpleName());
    span.end();
  }

  private static void forEachEndpoint(
      Supplier<Snapshot> snapshots, BiConsumer<Attributes, EndpointSnapshot> action) {
    for (ServiceSnapshot service : snapshots.get().services()) {
      for (EndpointSnapshot e : service.endpoints()) {
        action.accept(Attributes.of(SERVICE, service.name(), ENDPOINT, e.origin()), e);
      }
    }
  }

  /** The URL without credentials, which {@code url.full} must never carry. */
  static String redacted(HttpUrl url) {
    if (url.username().isEmpty() && url.password().isEmpty()) {
      return url.toString();
    }
    return url.newBuilder().username("").password("").build().toString();
  }
}
