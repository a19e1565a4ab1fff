package io.hyperlane.client;

import io.hyperlane.resilience.Ticker;
import io.hyperlane.resilience.internal.Failures;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Stage 1 of a service call: the span of the logical call (kind INTERNAL, named {@code "GET
 * inventory"}), current while the stages below run; the {@code http.client.request.duration} point
 * recorded once per logical call; and the call's latency and outcome fed to the service's alerts.
 * Attempts on this thread find the span current; a hedge, sent as a call of its own, finds it
 * through the caller state captured when that call was made. Calls to hosts that are not services
 * pass through.
 */
final class TelemetryInterceptor implements Interceptor {

  private final Set<String> services;
  private final Telemetry telemetry;
  private final Map<String, AlertState> alerts;
  private final Ticker ticker;

  TelemetryInterceptor(
      Set<String> services, Telemetry telemetry, Map<String, AlertState> alerts, Ticker ticker) {
    this.services = services;
    this.telemetry = telemetry;
    this.alerts = alerts;
    this.ticker = ticker;
  }

  @Override
  @SuppressWarnings("try") // the scope works by being open
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String service = request.url().host();
    if (!services.contains(service)) {
      return chain.proceed(request);
    }
    Telemetry.Instruments t = telemetry.current();
    Context parent = Context.current(); // the caller's, restored by the first stage if need be
    Span span =
        t.tracer
            .spanBuilder(request.method() + " " + service)
            .setParent(parent)
            .setSpanKind(SpanKind.INTERNAL)
            .setAttribute(Telemetry.HTTP_METHOD, request.method())
            .setAttribute(Telemetry.SERVICE, service)
            .startSpan();
    Context context = parent.with(span);
    long start = ticker.read();
    String scheme = request.url().scheme();
    try (Scope ignored = context.makeCurrent()) {
      Response response = chain.proceed(request);
      int status = response.code();
      long end = ticker.read();
      if (t.metering) {
        t.recordDuration(
            end - start,
            request.method(),
            service,
            scheme,
            status,
            status >= 500 ? Integer.toString(status) : null);
      }
      Telemetry.endWithStatus(span, status);
      alert(service, end - start, status >= 500, end);
      return response;
    } catch (IOException | RuntimeException | Error e) {
      boolean cancelled = chain.call().isCanceled();
      long end = ticker.read();
      if (t.metering) {
        t.recordDuration(
            end - start,
            request.method(),
            service,
            scheme,
            0,
            cancelled ? "cancelled" : Failures.underlying(e).getClass().getName());
      }
      Telemetry.endWithFailure(span, e, cancelled);
      if (!cancelled) {
        alert(service, end - start, true, end);
      }
      throw e;
    }
  }

  private void alert(String service, long latencyNanos, boolean failed, long now) {
    AlertState state = alerts.get(service);
    if (state != null) {
      state.record(latencyNanos, failed, now);
    }
  }
}
