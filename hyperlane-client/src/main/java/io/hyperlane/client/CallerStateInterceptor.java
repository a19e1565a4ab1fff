package io.hyperlane.client;

import io.hyperlane.resilience.Deadline;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.Set;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The first of Hyperlane's stages for a service call: gives the call back what its caller's thread
 * had when it was made ({@link CallerState}) — the OpenTelemetry context is made current, and the
 * deadline scope becomes the request's deadline unless it already has one. On the caller's own
 * thread ({@code execute()}) nothing was captured, and nothing needs to be.
 */
final class CallerStateInterceptor implements Interceptor {

  private final Set<String> services;
  private final CallerState state;

  CallerStateInterceptor(Set<String> services, CallerState state) {
    this.services = services;
    this.state = state;
  }

  @Override
  @SuppressWarnings("try") // the scope works by being open
  public Response intercept(Chain chain) throws IOException {
    CallerState.Captured captured = state.take(chain.call());
    Request request = chain.request();
    if (captured == null || !services.contains(request.url().host())) {
      return chain.proceed(request);
    }
    if (captured.deadline() != null && request.tag(Deadline.class) == null) {
      request = request.newBuilder().tag(Deadline.class, captured.deadline()).build();
    }
    try (Scope ignored = captured.context().makeCurrent()) {
      return chain.proceed(request);
    }
  }
}
