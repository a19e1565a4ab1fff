package io.hyperlane.resilience;

import io.github.resilience4j.ratelimiter.RateLimiter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Service-level limits around each logical call: a {@link RateLimit} and an adaptive {@link
 * ConcurrencyLimit}, per host. A call over either fails with {@link LimitExceededException} without
 * being sent (after the configured wait), and a {@link ResilienceEvent.LimitReached} event says
 * which.
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(LimitInterceptor.builder()
 *         .concurrency("inventory", ConcurrencyLimit.aimd())
 *         .rate("inventory", RateLimit.perSecond(200))
 *         .build())
 *     .build();
 * }</pre>
 *
 * <p>Only hosts named in the builder are limited.
 */
public final class LimitInterceptor implements Interceptor {

  private record Limits(@Nullable AimdLimiter concurrency, @Nullable RateLimiter rate) {}

  private final Map<String, Limits> limits;
  private final ResilienceListener listener;
  private final Sleeper sleeper;

  private LimitInterceptor(Builder b) {
    Map<String, Limits> map = new HashMap<>();
    for (String host : b.hosts()) {
      ConcurrencyLimit c = b.concurrency.getOrDefault(host, ConcurrencyLimit.none());
      RateLimit r = b.rates.getOrDefault(host, RateLimit.none());
      if (c.enabled || r.enabled()) {
        map.put(host, new Limits(c.enabled ? new AimdLimiter(c) : null, r.newRateLimiter(host)));
      }
    }
    this.limits = Map.copyOf(map);
    this.listener = b.listener;
    this.sleeper = b.sleeper;
  }

  /** Returns a builder with no limit. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether any host is limited. */
  public boolean limitsAnything() {
    return !limits.isEmpty();
  }

  /** The current concurrency limit of {@code host}, or -1 when it has none. */
  public int concurrencyLimit(String host) {
    Limits l = limits.get(host);
    return l == null || l.concurrency() == null ? -1 : l.concurrency().limit();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String host = request.url().host();
    Limits l = limits.get(host);
    if (l == null) {
      return chain.proceed(request);
    }
    if (l.rate() != null && !acquireRate(l.rate(), host, chain.call())) {
      int rate = l.rate().getRateLimiterConfig().getLimitForPeriod();
      ResilienceListener.notify(
          listener, new ResilienceEvent.LimitReached(host, LimitExceededException.Kind.RATE, rate));
      throw new LimitExceededException(host, LimitExceededException.Kind.RATE, rate);
    }
    AimdLimiter concurrency = l.concurrency();
    if (concurrency == null) {
      return chain.proceed(request);
    }
    AimdLimiter.Acquired acquired;
    try {
      acquired =
          concurrency.tryAcquire()
              ? AimdLimiter.Acquired.YES
              : concurrency.acquire(sleeper, CallSignal.of(chain.call()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a slot for " + host);
    }
    if (acquired == AimdLimiter.Acquired.CANCELLED) {
      throw new IOException("Canceled");
    }
    if (acquired == AimdLimiter.Acquired.NO) {
      int limit = concurrency.limit();
      ResilienceListener.notify(
          listener,
          new ResilienceEvent.LimitReached(host, LimitExceededException.Kind.CONCURRENCY, limit));
      throw new LimitExceededException(host, LimitExceededException.Kind.CONCURRENCY, limit);
    }
    AimdLimiter.Outcome outcome = AimdLimiter.Outcome.DROPPED;
    try {
      Response response = chain.proceed(request);
      outcome =
          response.code() == 503 || response.code() == 429
              ? AimdLimiter.Outcome.DROPPED
              : AimdLimiter.Outcome.SUCCEEDED;
      return response;
    } finally {
      if (outcome == AimdLimiter.Outcome.DROPPED && chain.call().isCanceled()) {
        // Cancelled: by its deadline, which says the service is too slow, or by its caller.
        Deadline deadline = Deadline.of(request).orElse(null);
        outcome =
            deadline != null && deadline.isExpired()
                ? AimdLimiter.Outcome.DROPPED
                : AimdLimiter.Outcome.IGNORED;
      }
      concurrency.release(outcome);
    }
  }

  /**
   * Reserves a rate permit, waiting for it (up to the configured timeout) through the sleeper, so
   * that the wait ends at once when the call is cancelled.
   */
  private boolean acquireRate(RateLimiter rate, String host, okhttp3.Call call) throws IOException {
    long waitNanos = rate.reservePermission();
    if (waitNanos < 0) {
      return false;
    }
    if (waitNanos > 0) {
      CallSignal.of(call)
          .pause(sleeper, Duration.ofNanos(waitNanos), "for a rate permit for " + host);
    }
    return true;
  }

  /** Builds a {@link LimitInterceptor}. */
  public static final class Builder {
    private final Map<String, ConcurrencyLimit> concurrency = new HashMap<>();
    private final Map<String, RateLimit> rates = new HashMap<>();
    private ResilienceListener listener = ResilienceListener.noop();
    private Sleeper sleeper = Sleeper.system();

    private Builder() {}

    /** How a call waits for a slot or a permit; {@link Sleeper#system()} by default. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** The concurrency limit of {@code host}. */
    public Builder concurrency(String host, ConcurrencyLimit limit) {
      concurrency.put(Objects.requireNonNull(host, "host"), Objects.requireNonNull(limit, "limit"));
      return this;
    }

    /** The rate limit of {@code host}. */
    public Builder rate(String host, RateLimit limit) {
      rates.put(Objects.requireNonNull(host, "host"), Objects.requireNonNull(limit, "limit"));
      return this;
    }

    /** Receives every refusal. */
    public Builder listener(ResilienceListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Returns the interceptor. */
    public LimitInterceptor build() {
      return new LimitInterceptor(this);
    }

    private Set<String> hosts() {
      Set<String> all = new HashSet<>(concurrency.keySet());
      all.addAll(rates.keySet());
      return all;
    }
  }
}
