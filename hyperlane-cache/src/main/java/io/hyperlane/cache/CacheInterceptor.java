package io.hyperlane.cache;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

/**
 * The per-call logic of an {@link HttpCache}: look up L1 then L2, answer when RFC 9111 allows, else
 * forward once for all identical concurrent misses (L0), validate with a conditional request when the
 * stored entry has validators, serve stale on error, store what may be stored, invalidate after
 * unsafe methods. Only {@link IOException}s leave it, and only those of the origin.
 */
final class CacheInterceptor implements Interceptor {

  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");
  private static final long WAITER_POLL_MILLIS = 50;

  private final HttpCache cache;
  private final CacheListener callListener;
  /** L0: the one forward in progress per key; identical misses wait for its entry. */
  private final Map<String, CompletableFuture<StoredResponse>> flights;
  /** Background revalidations in progress, by key, so that each key has at most one. */
  private final Set<String> revalidating;
  /** The calls this cache started to revalidate in the background. */
  private final Map<Call, String> backgroundCalls;

  CacheInterceptor(HttpCache cache, CacheListener callListener,
      Map<String, CompletableFuture<StoredResponse>> flights, Set<String> revalidating,
      Map<Call, String> backgroundCalls) {
    this.cache = cache;
    this.callListener = callListener;
    this.flights = flights;
    this.revalidating = revalidating;
    this.backgroundCalls = backgroundCalls;
  }

  CacheInterceptor withListener(CacheListener listener) {
    return new CacheInterceptor(cache, callListener.andThen(listener), flights, revalidating,
        backgroundCalls);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String service = request.url().host();
    Directives requestDirectives = Directives.parse(
        request.headers("Cache-Control"), request.headers("Pragma"));
    if (!CacheRules.cacheableRequest(request, requestDirectives)) {
      return bypass(chain, request, service);
    }
    String key = HttpCache.key(request.url());
    boolean background = backgroundCalls.containsKey(chain.call());

    // Look the entry up: L1, then L2 when L1 has nothing that can answer without the origin.
    long now = cache.clock.millis();
    Variants heap = cache.heap.getIfPresent(key);
    StoredResponse entry = heap == null ? null : heap.match(request);
    CacheTier tier = CacheTier.L1;
    CacheRules.Use use = entry == null ? CacheRules.Use.FORWARD
        : cache.rules.use(entry, requestDirectives, now);
    if (use != CacheRules.Use.FRESH && cache.sharedUsable(now)) {
      Variants shared = cache.sharedGet(service, key);
      StoredResponse remote = shared == null ? null : shared.match(request);
      if (remote != null) {
        CacheRules.Use remoteUse = cache.rules.use(remote, requestDirectives, now);
        if (entry == null || remoteUse.ordinal() < use.ordinal()
            || remote.responseMillis > entry.responseMillis) {
          entry = remote;
          use = remoteUse;
          tier = CacheTier.L2;
          cache.heap.asMap().merge(key, shared, (old, fresh) -> old.with(remote));
        }
      }
    }
    if (!background && use == CacheRules.Use.FRESH) {
      return answer(request, entry, tier, CacheResult.HIT, now, null);
    }
    if (!background && use == CacheRules.Use.STALE_WHILE_REVALIDATE) {
      revalidateInBackground(chain.call(), key);
      return answer(request, entry, tier, CacheResult.STALE_WHILE_REVALIDATE, now,
          "stale-while-revalidate");
    }
    if (requestDirectives.has("only-if-cached")) {
      report(service, CacheTier.ORIGIN, CacheResult.MISS);
      return new Response.Builder().request(request).protocol(okhttp3.Protocol.HTTP_1_1)
          .code(504).message("Unsatisfiable Request (only-if-cached)")
          .header("Cache-Status", "hyperlane; fwd=miss; detail=only-if-cached")
          .body(ResponseBody.create(new byte[0], null)).build();
    }

    // L0: one forward per key at a time; the others wait for what it stores.
    CompletableFuture<StoredResponse> flight = new CompletableFuture<>();
    CompletableFuture<StoredResponse> leader = background ? null : flights.putIfAbsent(key, flight);
    if (leader != null) {
      StoredResponse shared;
      cache.waiters.incrementAndGet();
      try {
        shared = await(leader, chain.call());
      } finally {
        cache.waiters.decrementAndGet();
      }
      long after = cache.clock.millis();
      if (shared != null && shared.matches(request)
          && cache.rules.use(shared, requestDirectives, after) == CacheRules.Use.FRESH) {
        return answer(request, shared, CacheTier.L0, CacheResult.HIT, after, null);
      }
      // what the leader got cannot answer this request: ask on our own, not coalesced again
      return forward(chain, request, service, key, entry, tier, null);
    }
    try {
      return forward(chain, request, service, key, entry, tier, background ? null : flight);
    } finally {
      if (!background) {
        flights.remove(key, flight);
        flight.complete(null); // no-op when forward completed it with the stored entry
      }
    }
  }

  private Response forward(Chain chain, Request request, String service, String key,
      StoredResponse entry, CacheTier tier, CompletableFuture<StoredResponse> flight)
      throws IOException {
    boolean validating = entry != null && entry.hasValidators();
    Request outgoing = validating ? entry.conditional(request) : request;
    long sent = cache.clock.millis();
    Response response;
    try {
      response = chain.proceed(outgoing);
    } catch (IOException e) {
      long failed = cache.clock.millis();
      if (entry != null && cache.rules.servableOnError(entry, failed)) {
        return answer(request, entry, tier, CacheResult.STALE_IF_ERROR, failed,
            "stale-if-error; fwd-error=" + e.getClass().getSimpleName());
      }
      throw e;
    }
    long received = cache.clock.millis();
    int code = response.code();
    if (code == 304 && validating) {
      StoredResponse refreshed = entry.refreshed(response, sent, received);
      response.close();
      cache.store(service, key, refreshed, sharable(refreshed));
      if (flight != null) {
        flight.complete(refreshed);
      }
      return answer(request, refreshed, tier, CacheResult.REVALIDATED, received, "fwd-status=304");
    }
    if (entry != null && (code == 500 || code == 502 || code == 503 || code == 504)
        && cache.rules.servableOnError(entry, received)) {
      response.close();
      return answer(request, entry, tier, CacheResult.STALE_IF_ERROR, received,
          "stale-if-error; fwd-status=" + code);
    }
    List<String> varyNames = CacheRules.varyNames(response);
    String unstorable = cache.rules.unstorableReason(request, response, varyNames);
    if (unstorable == null) {
      byte[] body;
      try {
        body = readBounded(response.body(), cache.rules.maxBodyBytes);
      } catch (IOException e) {
        response.close();
        throw e;
      }
      if (body != null) {
        response.body().close();
        StoredResponse stored = StoredResponse.of(request, response, varyNames, body, sent,
            received);
        boolean worth = cache.rules.worthStoring(stored);
        if (worth) {
          cache.store(service, key, stored, sharable(stored));
          if (flight != null) {
            flight.complete(stored);
          }
        }
        report(service, CacheTier.ORIGIN, CacheResult.MISS);
        return response.newBuilder()
            .header("Cache-Status", worth ? "hyperlane; fwd=miss; stored" : "hyperlane; fwd=miss")
            .body(ResponseBody.create(body, response.body().contentType()))
            .build();
      }
    }
    report(service, CacheTier.ORIGIN, CacheResult.MISS);
    return response.newBuilder().header("Cache-Status", "hyperlane; fwd=miss").build();
  }

  /** Passes a request the cache may not answer; a successful unsafe one invalidates (§4.4). */
  private Response bypass(Chain chain, Request request, String service) throws IOException {
    Response response = chain.proceed(request);
    report(service, CacheTier.ORIGIN, CacheResult.BYPASS);
    if (!SAFE_METHODS.contains(request.method()) && response.code() >= 200
        && response.code() < 400) {
      // Read-your-writes: the shared tier has dropped the entries before the caller gets the
      // response (bounded by the shared tier's timeout).
      HttpUrl url = request.url();
      cache.awaitShared(cache.invalidate(url, false));
      for (String header : new String[] {"Location", "Content-Location"}) {
        String value = response.header(header);
        HttpUrl target = value == null ? null : url.resolve(value);
        // only the same origin: another host's entries are not this response's to drop
        if (target != null && target.host().equals(url.host()) && target.port() == url.port()
            && target.scheme().equals(url.scheme())) {
          cache.awaitShared(cache.invalidate(target, false));
        }
      }
    }
    return response;
  }

  private Response answer(Request request, StoredResponse entry, CacheTier tier,
      CacheResult result, long nowMillis, String detail) {
    report(request.url().host(), tier, result);
    long ttl = (cache.rules.freshnessMillis(entry) - entry.ageMillis(nowMillis)) / 1000;
    String status = "hyperlane-" + tier.name().toLowerCase(java.util.Locale.ROOT)
        + (result == CacheResult.HIT || result == CacheResult.STALE_WHILE_REVALIDATE
            ? "; hit" : "; fwd=stale")
        + "; ttl=" + ttl + (detail == null ? "" : "; detail=\"" + detail + "\"");
    return entry.toResponse(request, nowMillis, status);
  }

  private void report(String service, CacheTier tier, CacheResult result) {
    cache.counters(service).count(tier, result);
    CacheListener.notify(callListener, new CacheEvent.Lookup(service, tier, result));
  }

  private static boolean sharable(StoredResponse entry) {
    return entry.headers.get("Set-Cookie") == null;
  }

  private void revalidateInBackground(Call call, String key) {
    if (!revalidating.add(key)) {
      return; // one revalidation per key at a time
    }
    Call revalidation;
    try {
      revalidation = call.clone();
    } catch (RuntimeException e) {
      revalidating.remove(key);
      return;
    }
    backgroundCalls.put(revalidation, key);
    revalidation.enqueue(new Callback() {
      @Override
      public void onFailure(Call c, IOException e) {
        done(c);
        HttpCache.log.debug("background revalidation failed: {}", e.toString());
      }

      @Override
      public void onResponse(Call c, Response response) {
        response.close();
        done(c);
      }

      private void done(Call c) {
        backgroundCalls.remove(c);
        revalidating.remove(key);
      }
    });
  }

  /** Waits for another call's forward, giving up when this call is cancelled. */
  private static StoredResponse await(CompletableFuture<StoredResponse> leader, Call call)
      throws IOException {
    while (true) {
      try {
        return leader.get(WAITER_POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (call.isCanceled()) {
          throw new IOException("Canceled");
        }
      } catch (ExecutionException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for an identical request");
      }
    }
  }

  /** The whole body when it is at most {@code max} bytes; null (body left readable) otherwise. */
  private static byte[] readBounded(ResponseBody body, long max) throws IOException {
    long length = body.contentLength();
    if (length > max) {
      return null;
    }
    BufferedSource source = body.source();
    if (source.request(max + 1)) {
      return null; // larger than allowed: what was buffered stays in the source for the caller
    }
    return source.readByteArray();
  }
}
