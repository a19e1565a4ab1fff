package io.hyperlane.client;

import io.hyperlane.resilience.CallOptions;
import java.io.IOException;
import java.util.Map;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Stage 2 of a service call: the {@link io.hyperlane.cache.HttpCache} of the call's service answers
 * when it may, and then nothing below runs (no attempt, no attempt span). Services without a cache
 * and hosts that are not services pass through.
 */
final class CacheStage implements Interceptor {

  private final Map<String, Interceptor> byService;

  CacheStage(Map<String, Interceptor> byService) {
    this.byService = Map.copyOf(byService);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Interceptor cache = byService.get(request.url().host());
    if (cache == null || bypasses(request)) {
      return chain.proceed(request);
    }
    return cache.intercept(chain);
  }

  /**
   * Whether {@code request} asked, through its {@link CallOptions}, to be neither answered nor
   * stored; a write still goes through the cache, which invalidates what it changes.
   */
  private static boolean bypasses(Request request) {
    String method = request.method();
    return ("GET".equals(method) || "HEAD".equals(method)) && CallOptions.bypassesCache(request);
  }
}
