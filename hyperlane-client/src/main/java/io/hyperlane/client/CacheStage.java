package io.hyperlane.client;

import java.io.IOException;
import java.util.Map;
import okhttp3.Interceptor;
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
    Interceptor cache = byService.get(chain.request().url().host());
    return cache == null ? chain.proceed(chain.request()) : cache.intercept(chain);
  }
}
