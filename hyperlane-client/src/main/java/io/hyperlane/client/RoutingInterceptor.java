package io.hyperlane.client;

import io.hyperlane.resilience.AttemptContext;
import io.hyperlane.resilience.Ticker;
import java.io.IOException;
import java.util.Map;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Stage 4 of a call: when the request's host is a registered service, picks an endpoint, rewrites the
 * URL to it (scheme, host and port; path and query kept), and feeds the outcome and latency back to
 * the balancer and outlier detection. Any other host passes through untouched.
 *
 * <p>A call counts as in flight on its endpoint until its response headers arrive. A failure is an
 * I/O error or a 5xx response; a call cancelled by its caller is neither.
 */
final class RoutingInterceptor implements Interceptor {

  private final Map<String, ServiceState> services;
  private final Ticker ticker;

  RoutingInterceptor(Map<String, ServiceState> services, Ticker ticker) {
    this.services = services;
    this.ticker = ticker;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    ServiceState service = services.get(request.url().host());
    if (service == null) {
      return chain.proceed(request);
    }
    long start = ticker.read();
    EndpointState endpoint = service.pick(start, request.tag(AttemptContext.class));
    Request routed = request.newBuilder().url(endpoint.rewrite(request.url())).build();
    endpoint.begin();
    Response response;
    try {
      response = chain.proceed(routed);
    } catch (IOException | RuntimeException | Error e) {
      long end = ticker.read();
      if (chain.call().isCanceled()) {
        service.onCancelled(endpoint, start, end);
      } else {
        service.onIoFailure(endpoint, start, end, e);
      }
      throw e;
    }
    service.onResponse(endpoint, start, ticker.read(), response.code());
    return response;
  }
}
