package io.hyperlane.client;

import io.hyperlane.resilience.AttemptContext;
import io.hyperlane.resilience.Ticker;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Stage 4 of a call: when the request's host is a registered service, picks an endpoint, rewrites
 * the URL to it (scheme, host and port; path and query kept), and feeds the outcome and latency
 * back to the balancer and outlier detection. Any other host passes through untouched.
 *
 * <p>An {@code https} endpoint gets the builder's TLS material and its service's TLS authority,
 * which no other host sees. A call written as {@code https} goes to {@code https} endpoints only,
 * unless its service allows cleartext.
 *
 * <p>A call counts as in flight on its endpoint until its response headers arrive. A failure is an
 * I/O error or a 5xx response; a call cancelled by its caller is neither. Each attempt is a CLIENT
 * span, child of the logical call's span, and its context is written into the request through the
 * configured propagators.
 */
final class RoutingInterceptor implements Interceptor {

  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("hyperlane.route");

  private final Map<String, ServiceState> services;
  private final AtomicReference<RoutingRules> rules;
  private final Ticker ticker;
  private final Telemetry telemetry;
  private final CallerState callers;
  private final RandomGenerator random;
  private final @Nullable Tls tls; // null: the client's own

  RoutingInterceptor(
      Map<String, ServiceState> services,
      AtomicReference<RoutingRules> rules,
      Ticker ticker,
      Telemetry telemetry,
      CallerState callers,
      RandomGenerator random,
      @Nullable Tls tls) {
    this.services = services;
    this.rules = rules;
    this.ticker = ticker;
    this.telemetry = telemetry;
    this.callers = callers;
    this.random = random;
    this.tls = tls;
  }

  private static boolean deadlinePassed(Request request) {
    io.hyperlane.resilience.Deadline deadline = request.tag(io.hyperlane.resilience.Deadline.class);
    return deadline != null && deadline.isExpired();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String named = request.url().host();
    ServiceState service = services.get(named);
    if (service == null) {
      return chain.proceed(request);
    }
    long start = ticker.read();
    AttemptContext attempt = AttemptContext.of(chain);
    Map<String, String> subset = Map.of();
    RouteRule rule = Objects.requireNonNull(rules.get(), "rules").match(named, request);
    if (rule != null) {
      RouteRule.Destination to = rule.destination(random.nextInt(rule.totalWeight()));
      service =
          Objects.requireNonNull(services.get(to.service()), "rules name registered services only");
      subset = to.subset();
    }
    EndpointState endpoint = service.pick(start, attempt, request, subset);
    HttpUrl url = endpoint.rewrite(request.url());
    Request.Builder routed = request.newBuilder().url(url);
    if (request.header("Host") != null) {
      routed.removeHeader("Host"); // a service call's Host is its endpoint's, set by OkHttp
    }
    Span span = Span.getInvalid();
    if (telemetry.enabled) {
      Telemetry.Instruments t = telemetry.current();
      // The logical call's context: current on this thread, or captured when a hedge was made.
      CallerState.Captured captured = callers.take(chain.call());
      Context parent = captured != null ? captured.context() : Context.current();
      if (attempt != null) { // a hedge sent from a timer thread: the logical call's context
        parent = (Context) attempt.callerContext(parent);
      }
      if (t.tracing) {
        span =
            t.startAttempt(
                parent,
                request,
                url,
                service.name,
                endpoint.endpoint.origin(),
                attempt == null ? 0 : attempt.resendCount());
        if (rule != null) {
          span.setAttribute(ROUTE, rule.name);
        }
      }
      if (t.propagating) {
        t.inject(parent.with(span), routed);
      }
    }
    Chain attemptChain = chain;
    if (url.isHttps()) {
      // The builder's TLS material and the service's authority, for its endpoints only.
      if (tls != null) {
        attemptChain = attemptChain.withSslSocketFactory(tls.socketFactory(), tls.trustManager());
      }
      if (service.authorityVerifier() != null) {
        attemptChain = attemptChain.withHostnameVerifier(service.authorityVerifier());
      }
    }
    int mineInFlight = endpoint.begin(); // what the server may count of ours when this arrives
    Response response;
    try {
      response = attemptChain.proceed(routed.build());
    } catch (IOException | RuntimeException | Error e) {
      long end = ticker.read();
      boolean cancelled = chain.call().isCanceled();
      if (cancelled && attempt != null && attempt.lostRace(chain.call())) {
        service.onLostRace(endpoint, start, end);
      } else if (cancelled && !deadlinePassed(request)) {
        service.onCancelled(endpoint, start, end); // its caller gave up: not the endpoint's fault
      } else {
        // An I/O error, or a call its deadline cut: an endpoint that hangs is a failing one.
        service.onIoFailure(endpoint, start, end, e);
      }
      Telemetry.endWithFailure(span, e, cancelled);
      throw e;
    }
    service.onResponse(
        endpoint, start, ticker.read(), response.code(), loadReport(response), mineInFlight);
    Telemetry.endWithStatus(span, response.code());
    return response;
  }

  /**
   * The response's load report, when it comes from the endpoint itself: not one OkHttp's cache
   * replayed, nor one from the far end of a redirect or of an authentication retry.
   */
  private static @Nullable String loadReport(Response response) {
    if (response.priorResponse() != null
        || response.networkResponse() == null && response.cacheResponse() != null) {
      return null;
    }
    return response.header(LoadReport.HEADER);
  }
}
