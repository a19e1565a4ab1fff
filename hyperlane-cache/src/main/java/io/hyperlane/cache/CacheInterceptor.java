package io.hyperlane.cache;

import io.hyperlane.cache.HttpCache.Flight;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.EventListener;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import okio.Source;
import org.jspecify.annotations.Nullable;

/**
 * The per-call logic of an {@link HttpCache}: look up L1 then L2, answer when RFC 9111 allows, else
 * forward once for all identical concurrent misses (L0), validate with a conditional request when
 * the stored entry has validators, serve stale on error, store what may be stored, invalidate after
 * unsafe methods. Whether a response is stored is decided from its header fields, before its body
 * is read; a body that is not stored passes through untouched, and one that is stored streams to
 * its caller and is stored when it ends. Only {@link IOException}s leave it, and only those of the
 * origin or of a cancelled wait.
 */
final class CacheInterceptor implements Interceptor {

  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

  private final HttpCache cache;
  private final CacheListener callListener;

  CacheInterceptor(HttpCache cache, CacheListener callListener) {
    this.cache = cache;
    this.callListener = callListener;
  }

  CacheInterceptor withListener(CacheListener listener) {
    return new CacheInterceptor(cache, callListener.andThen(listener));
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String service = request.url().host();
    Directives requestDirectives =
        Directives.parse(request.headers("Cache-Control"), request.headers("Pragma"));
    if (!CacheRules.cacheableRequest(request, requestDirectives)) {
      return bypass(chain, request, service);
    }
    String key = HttpCache.key(request.url());
    boolean background = cache.backgroundCalls.containsKey(chain.call());

    // Registered before the shared tier is read and before the origin is asked: an invalidation
    // from now on fences what this call reads.
    long now = cache.clock.millis();
    Fills.Fill fill = cache.fills.start(service, key, now);
    boolean handedOver = false;
    try {
      // Look the entry up: L1, then L2 when L1 has nothing that can answer without the origin.
      Variants heap = cache.heap.getIfPresent(key);
      StoredResponse entry = heap == null ? null : heap.match(request);
      CacheTier tier = CacheTier.L1;
      CacheRules.Use use =
          entry == null ? CacheRules.Use.FORWARD : cache.rules.use(entry, requestDirectives, now);
      // A fill that starts fenced (an invalidation of the key is still under way here) does not
      // read the shared tier, which may still hold the old entry.
      if (use != CacheRules.Use.FRESH && !fill.fenced && cache.sharedUsable(now)) {
        Variants shared = cache.sharedGet(fill);
        StoredResponse remote = shared == null ? null : shared.match(request);
        if (remote != null) {
          CacheRules.Use remoteUse = cache.rules.use(remote, requestDirectives, now);
          if (entry == null
              || remoteUse.compareTo(use) < 0
              || remote.responseMillis > entry.responseMillis) {
            entry = remote;
            use = remoteUse;
            tier = CacheTier.L2;
            cache.promote(fill, shared, remote);
          }
        }
      }
      if (!background && use == CacheRules.Use.FRESH) {
        return answer(request, fresh(entry), tier, CacheResult.HIT, now, null);
      }
      if (!background && use == CacheRules.Use.STALE_WHILE_REVALIDATE) {
        revalidateInBackground(chain.call(), key);
        return answer(
            request,
            fresh(entry),
            tier,
            CacheResult.STALE_WHILE_REVALIDATE,
            now,
            "stale-while-revalidate");
      }
      if (requestDirectives.has("only-if-cached")) {
        report(service, CacheTier.ORIGIN, CacheResult.MISS);
        return new Response.Builder()
            .request(request)
            .protocol(okhttp3.Protocol.HTTP_1_1)
            .code(504)
            .message("Unsatisfiable Request (only-if-cached)")
            .header("Cache-Status", "hyperlane; fwd=miss; detail=only-if-cached")
            .body(ResponseBody.create(new byte[0], null))
            .build();
      }

      // L0: one forward per key at a time; the others wait for its outcome. A URL whose last
      // answer could not be shared goes straight to the origin for a while.
      // A fenced fill leads nobody: callers after the invalidation must not wait on it.
      if (background || fill.fenced || cache.passes.getIfPresent(key) != null) {
        handedOver = true;
        return forward(chain, request, service, key, entry, tier, null, fill);
      }
      Flight mine = new Flight();
      Flight leader = cache.flights.putIfAbsent(key, mine);
      if (leader == null) {
        if (fill.fenced) { // fenced while it was about to lead
          cache.flights.remove(key, mine);
          mine.nothingToShare();
          handedOver = true;
          return forward(chain, request, service, key, entry, tier, null, fill);
        }
        try {
          handedOver = true;
          return forward(chain, request, service, key, entry, tier, mine, fill);
        } finally {
          cache.flights.remove(key, mine); // later callers make a request of their own
        }
      }
      cache.fills.end(fill); // a waiter fills nothing while it waits
      StoredResponse shared = await(leader, chain.call());
      long after = cache.clock.millis();
      if (shared != null
          && shared.matches(request)
          && cache.rules.use(shared, requestDirectives, after) == CacheRules.Use.FRESH) {
        return answer(request, shared, CacheTier.L0, CacheResult.HIT, after, null);
      }
      // What the leader got cannot answer this request: ask on our own, not coalesced again, with
      // what the heap holds now (an invalidation may have dropped what it held before the wait).
      fill = cache.fills.start(service, key, after); // no shared fences: not written to L2
      Variants held = cache.heap.getIfPresent(key);
      StoredResponse current = held == null ? null : held.match(request);
      handedOver = true;
      return forward(chain, request, service, key, current, CacheTier.L1, null, fill);
    } finally {
      if (!handedOver) {
        cache.fills.end(fill);
      }
    }
  }

  /**
   * Sends {@code request} (conditional when {@code entry} has validators) and deals with the
   * answer. Owns {@code fill} and {@code flight}: each is ended or completed on every path, at the
   * latest when a streamed body ends.
   */
  private Response forward(
      Chain chain,
      Request request,
      String service,
      String key,
      @Nullable StoredResponse entry,
      CacheTier tier,
      @Nullable Flight flight,
      Fills.Fill fill)
      throws IOException {
    boolean settled = false; // fill ended and flight completed, now or by a streamed body
    try {
      boolean validating = entry != null && entry.hasWritableValidators();
      // What goes out for this request, whoever adds to it below (an interceptor, OkHttp's
      // Authenticator): the call's own network requests, and those of calls made for it.
      SentCredentials credentials = new SentCredentials();
      chain.call().addEventListener(credentials);
      Request outgoing =
          (validating && entry != null ? entry.conditional(request) : request)
              .newBuilder()
              .tag(SentCredentials.class, credentials)
              .build();
      long sent = cache.clock.millis();
      Response response;
      try {
        response = chain.proceed(outgoing);
      } catch (IOException e) {
        long failed = cache.clock.millis();
        if (entry != null && cache.rules.servableOnError(entry, failed)) {
          return answer(
              request,
              entry,
              tier,
              CacheResult.STALE_IF_ERROR,
              failed,
              "stale-if-error; fwd-error=" + e.getClass().getSimpleName());
        }
        throw e;
      }
      long received = cache.clock.millis();
      int code = response.code();
      if (code == 304 && validating && entry != null) {
        StoredResponse refreshed = entry.refreshed(response, sent, received);
        boolean mayStore =
            CacheRules.unstorableRefresh(
                    refreshed, credentials.sent() || CacheRules.authorized(outgoing, response))
                == null;
        response.close();
        if (mayStore && cache.store(fill, refreshed) && flight != null) {
          flight.outcome.complete(refreshed);
        }
        return answer(
            request, refreshed, tier, CacheResult.REVALIDATED, received, "fwd-status=304");
      }
      if (entry != null
          && (code == 500 || code == 502 || code == 503 || code == 504)
          && cache.rules.servableOnError(entry, received)) {
        response.close();
        return answer(
            request,
            entry,
            tier,
            CacheResult.STALE_IF_ERROR,
            received,
            "stale-if-error; fwd-status=" + code);
      }
      report(service, CacheTier.ORIGIN, CacheResult.MISS);
      List<String> varyNames = CacheRules.varyNames(response);
      String unstorable =
          cache.rules.unstorableReason(outgoing, response, varyNames, credentials.sent());
      StoredResponse probe = null;
      if (unstorable == null) {
        probe = StoredResponse.of(request, response, varyNames, new byte[0], sent, received);
        if (!cache.rules.worthStoring(probe)) {
          probe = null; // stale at once, and nothing to revalidate with
          unstorable = "stale at once";
        }
      }
      if (probe == null) {
        // Decided from the headers: not stored, so the body passes through as it came, and the
        // identical calls waiting go to the origin now rather than after the body. When that is
        // the response's own doing, such calls stop waiting on each other for a while.
        if (CacheRules.intrinsic(unstorable)) {
          cache.passes.put(key, Boolean.TRUE);
        }
        return response.newBuilder().header("Cache-Status", "hyperlane; fwd=miss").build();
      }
      long length = response.body().contentLength();
      if (length >= 0) {
        // A body of known length within the bound: read it now, so the identical calls waiting
        // get it whatever this caller does with its own.
        byte[] body;
        try {
          body = response.body().bytes();
        } catch (IOException e) {
          response.close();
          throw e;
        }
        StoredResponse stored = probe.withBody(body);
        boolean kept = cache.store(fill, stored);
        if (kept && flight != null) {
          flight.outcome.complete(stored);
        }
        return response
            .newBuilder()
            .header("Cache-Status", kept ? "hyperlane; fwd=miss; stored" : "hyperlane; fwd=miss")
            .body(ResponseBody.create(body, response.body().contentType()))
            .build();
      }
      // A body of unknown length may be a stream: it reaches the caller as it arrives and is
      // stored when it ends. The identical calls waiting do not wait for that: they go now.
      if (flight != null) {
        flight.nothingToShare();
      }
      settled = true; // from here the body's end settles the fill
      return response
          .newBuilder()
          .header("Cache-Status", "hyperlane; fwd=miss; stored")
          .body(new StoringBody(response.body(), probe, fill))
          .build();
    } finally {
      if (!settled) {
        cache.fills.end(fill);
        if (flight != null) {
          flight.nothingToShare();
        }
      }
    }
  }

  /**
   * A body that reaches its caller as it arrives and is kept, up to the cache's bound, as it is
   * read; when it ends it is stored (unless an invalidation fenced its fill). A caller that closes
   * it before its end gets the rest read for it for at most 100 ms, as OkHttp's own cache does; a
   * body still not ended then, or too large, is not stored.
   */
  private final class StoringBody extends ResponseBody {
    private static final long DRAIN_MILLIS = 100;

    private final ResponseBody delegate;
    private final StoredResponse probe;
    private final Fills.Fill fill;
    private final Buffer copy = new Buffer();
    private final BufferedSource source;
    private boolean overflowed;
    private boolean settled;

    StoringBody(ResponseBody delegate, StoredResponse probe, Fills.Fill fill) {
      this.delegate = delegate;
      this.probe = probe;
      this.fill = fill;
      Source tee =
          new ForwardingSource(delegate.source()) {
            @Override
            public long read(Buffer sink, long byteCount) throws IOException {
              long n;
              try {
                n = super.read(sink, byteCount);
              } catch (IOException e) {
                settle(false);
                throw e;
              }
              copied(sink, n);
              return n;
            }

            @Override
            public void close() throws IOException {
              if (!settled && !overflowed) {
                drain(delegate());
              }
              settle(false); // no-op when the drain reached the end
              super.close();
            }
          };
      this.source = Okio.buffer(tee);
    }

    /** Keeps what was just read into {@code sink}; settles at the end. */
    private void copied(Buffer sink, long n) {
      if (n == -1) {
        settle(true);
      } else if (!overflowed) {
        if (copy.size() + n > cache.rules.maxBodyBytes) {
          overflowed = true;
          copy.clear();
          settle(false);
        } else {
          sink.copyTo(copy, sink.size() - n, n);
        }
      }
    }

    /** Reads what the caller left, for at most {@link #DRAIN_MILLIS}. */
    private void drain(Source rest) {
      okio.Timeout timeout = rest.timeout();
      long before = timeout.timeoutNanos();
      timeout.timeout(DRAIN_MILLIS, TimeUnit.MILLISECONDS);
      try (Buffer scratch = new Buffer()) {
        long n;
        while (!settled && (n = rest.read(scratch, 8192)) != -1) {
          copied(scratch, n);
          scratch.clear();
        }
        if (!settled) {
          settle(true);
        }
      } catch (IOException e) {
        settle(false);
      } finally {
        timeout.timeout(before, TimeUnit.NANOSECONDS);
      }
    }

    private void settle(boolean complete) {
      if (settled) {
        return;
      }
      settled = true;
      try {
        if (complete && !overflowed) {
          cache.store(fill, probe.withBody(copy.readByteArray()));
        }
      } finally {
        cache.fills.end(fill);
      }
    }

    @Override
    public MediaType contentType() {
      return delegate.contentType();
    }

    @Override
    public long contentLength() {
      return delegate.contentLength();
    }

    @Override
    public BufferedSource source() {
      return source;
    }
  }

  /** Passes a request the cache may not answer; a successful unsafe one invalidates (§4.4). */
  private Response bypass(Chain chain, Request request, String service) throws IOException {
    Response response = chain.proceed(request);
    report(service, CacheTier.ORIGIN, CacheResult.BYPASS);
    if (!SAFE_METHODS.contains(request.method())
        && response.code() >= 200
        && response.code() < 400) {
      // Read-your-writes: fills in flight are fenced and the shared tier has dropped the entries
      // before the caller gets the response (bounded by the shared tier's timeout).
      HttpUrl url = request.url();
      cache.awaitShared(cache.invalidate(url, false));
      for (String header : new String[] {"Location", "Content-Location"}) {
        String value = response.header(header);
        HttpUrl target = value == null ? null : url.resolve(value);
        // only the same origin: another host's entries are not this response's to drop
        if (target != null
            && target.host().equals(url.host())
            && target.port() == url.port()
            && target.scheme().equals(url.scheme())) {
          cache.awaitShared(cache.invalidate(target, false));
        }
      }
    }
    return response;
  }

  /** An entry the rules judged usable: one was found. */
  private static StoredResponse fresh(@Nullable StoredResponse entry) {
    return Objects.requireNonNull(entry, "a usable entry exists");
  }

  private Response answer(
      Request request,
      StoredResponse entry,
      CacheTier tier,
      CacheResult result,
      long nowMillis,
      @Nullable String detail) {
    report(request.url().host(), tier, result);
    long ttl = (cache.rules.freshnessMillis(entry) - entry.ageMillis(nowMillis)) / 1000;
    String status =
        "hyperlane-"
            + tier.name().toLowerCase(Locale.ROOT)
            + (result == CacheResult.HIT || result == CacheResult.STALE_WHILE_REVALIDATE
                ? "; hit"
                : "; fwd=stale")
            + "; ttl="
            + ttl
            + (detail == null ? "" : "; detail=\"" + detail + "\"");
    return entry.toResponse(request, nowMillis, status);
  }

  private void report(String service, CacheTier tier, CacheResult result) {
    cache.counters(service).count(tier, result);
    CacheListener.notify(callListener, new CacheEvent.Lookup(service, tier, result));
  }

  private void revalidateInBackground(Call call, String key) {
    if (!cache.revalidating.add(key)) {
      return; // one revalidation per key at a time
    }
    Call revalidation;
    try {
      revalidation = call.clone();
    } catch (RuntimeException e) {
      cache.revalidating.remove(key);
      return;
    }
    cache.backgroundCalls.put(revalidation, key);
    revalidation.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            done(c);
            HttpCache.log.debug("background revalidation failed: {}", e.toString());
          }

          @Override
          public void onResponse(Call c, Response response) {
            try (response) {
              response.body().source().readAll(okio.Okio.blackhole()); // a stored body ends here
            } catch (IOException e) {
              HttpCache.log.debug("background revalidation failed: {}", e.toString());
            }
            done(c);
          }

          private void done(Call c) {
            cache.backgroundCalls.remove(c);
            cache.revalidating.remove(key);
          }
        });
  }

  /**
   * Waits for another call's outcome, giving up at once when this call is cancelled — by its
   * caller, its deadline or its call timeout.
   */
  private @Nullable StoredResponse await(Flight leader, Call call) throws IOException {
    CompletableFuture<Void> cancelled = new CompletableFuture<>();
    call.addEventListener(
        new EventListener() {
          @Override
          public void canceled(Call c) {
            cancelled.complete(null);
          }
        });
    if (call.isCanceled()) {
      throw new IOException("Canceled");
    }
    cache.waiters.incrementAndGet();
    try {
      CompletableFuture.anyOf(leader.outcome, cancelled).get();
    } catch (ExecutionException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for an identical request");
    } finally {
      cache.waiters.decrementAndGet();
    }
    if (cancelled.isDone() && !leader.outcome.isDone()) {
      throw new IOException("Canceled");
    }
    return leader.outcome.getNow(null);
  }
}
