package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import okio.Source;
import okio.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cache stage over an origin that is an interceptor below it (no socket), on a clock the test
 * moves: which tier answers, what is forwarded and stored, what is closed, what an unsafe request
 * invalidates and when it returns, and the heap's own bookkeeping.
 */
class CacheInterceptorTest {

  /** An answer of the in-process origin to one request. */
  @FunctionalInterface
  interface Answer {
    Response answer(Request request) throws IOException, InterruptedException;
  }

  private final MutableClock clock = MutableClock.startingNow();
  private final BlockingQueue<Answer> script = new LinkedBlockingQueue<>();
  private final List<Request> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger versions = new AtomicInteger();
  private final List<CacheEvent> events = new CopyOnWriteArrayList<>();
  private final List<HttpCache> caches = new CopyOnWriteArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  /** The origin: the next scripted answer, or a 200 {@code v<n>} fresh for 60 s. */
  private final Interceptor origin =
      chain -> {
        Request request = chain.request();
        seen.add(request);
        Answer answer = script.poll();
        try {
          return answer != null
              ? answer.answer(request)
              : fresh(
                  request, 200, "v" + versions.incrementAndGet(), "Cache-Control", "max-age=60");
        } catch (InterruptedException e) {
          throw new InterruptedIOException();
        }
      };

  @AfterEach
  void stop() {
    for (HttpCache cache : caches) {
      // Every call of every test has ended, and a background revalidation a test started ends by
      // itself: then no fill may remain (a leaked fill would keep its key's bookkeeping, and
      // fence it, for ever).
      awaitIdle(cache);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (cache.fills.size() != 0 && System.nanoTime() < end) {
        Thread.onSpinWait();
      }
      assertThat(cache.fills.size()).as("keys with fills in flight").isZero();
    }
    pool.shutdownNow();
    caches.forEach(HttpCache::close);
  }

  private HttpCache.Builder builder() {
    return HttpCache.builder().clock(clock).listener(events::add);
  }

  private HttpCache cache(HttpCache.Builder builder) {
    HttpCache cache = builder.build();
    caches.add(cache);
    return cache;
  }

  private OkHttpClient client(HttpCache cache) {
    return new OkHttpClient.Builder()
        .addInterceptor(cache.interceptor())
        .addInterceptor(origin)
        .build();
  }

  private static final byte[] SECRET = "0123456789abcdef0123".getBytes();

  private static Response respond(Request request, int code, String body, String... headers) {
    Response.Builder builder =
        new Response.Builder().request(request).protocol(Protocol.HTTP_1_1).code(code).message("m");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      builder.addHeader(headers[i], headers[i + 1]);
    }
    builder.header("Date", HttpDates.format(System.currentTimeMillis() / 1000 * 1000));
    return builder.body(ResponseBody.create(body, MediaType.get("text/plain"))).build();
  }

  /** A response dated by the test's clock. */
  private Response fresh(Request request, int code, String body, String... headers) {
    return respond(request, code, body, headers)
        .newBuilder()
        .header("Date", HttpDates.format(clock.millis()))
        .build();
  }

  private void then(Answer answer) {
    script.add(answer);
  }

  private void thenAnswer(int code, String body, String... headers) {
    then(request -> fresh(request, code, body, headers));
  }

  private static Request get(String path, String... headers) {
    Request.Builder builder = new Request.Builder().url("http://catalog" + path);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      builder.addHeader(headers[i], headers[i + 1]);
    }
    return builder.build();
  }

  private Reply call(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return new Reply(response.code(), response.body().string(), response.headers());
    }
  }

  private Reply get(OkHttpClient client, String path, String... headers) throws IOException {
    return call(client, get(path, headers));
  }

  // ---- which tier answers ----

  @Test
  void aFresherEntryInTheSharedTierIsPreferredToAStaleOneInTheHeap() throws Exception {
    MapSharedTier tier = new MapSharedTier();
    HttpCache a = cache(builder().sharedTier(tier, SECRET));
    HttpCache b = cache(builder().sharedTier(tier.peer(), SECRET));
    String cc = "max-age=10, stale-while-revalidate=100";
    thenAnswer(200, "v1", "Cache-Control", cc);
    assertThat(get(client(a), "/x").body()).isEqualTo("v1");
    clock.advance(Duration.ofSeconds(5));
    thenAnswer(200, "v2", "Cache-Control", cc);
    assertThat(get(client(b), "/x", "Cache-Control", "no-cache").body()).isEqualTo("v2");
    clock.advance(Duration.ofSeconds(7)); // a's heap: stale (12 s); the shared tier: fresh (7 s)
    Reply reply = get(client(a), "/x");
    assertThat(reply.body()).isEqualTo("v2");
    assertThat(reply.cacheStatus()).startsWith("hyperlane-l2; hit; ttl=3");
    assertThat(seen).hasSize(2);
  }

  @Test
  void aNewerEntryInTheSharedTierIsPreferredWhenBothAreEquallyStale() throws Exception {
    MapSharedTier tier = new MapSharedTier();
    HttpCache a = cache(builder().sharedTier(tier, SECRET));
    HttpCache b = cache(builder().sharedTier(tier.peer(), SECRET));
    String cc = "max-age=10, stale-while-revalidate=100";
    thenAnswer(200, "v1", "Cache-Control", cc);
    get(client(a), "/x");
    clock.advance(Duration.ofSeconds(5));
    thenAnswer(200, "v2", "Cache-Control", cc);
    get(client(b), "/x", "Cache-Control", "no-cache");
    clock.advance(Duration.ofSeconds(15)); // both stale, both within stale-while-revalidate
    thenAnswer(200, "v3", "Cache-Control", cc); // the background revalidation's
    Reply reply = get(client(a), "/x");
    assertThat(reply.body()).isEqualTo("v2");
    assertThat(reply.cacheStatus()).startsWith("hyperlane-l2; hit");
  }

  @Test
  void anOlderOrTheSameEntryInTheSharedTierLeavesTheHeapsAnswer() throws Exception {
    MapSharedTier tier = new MapSharedTier();
    HttpCache a = cache(builder().sharedTier(tier, SECRET));
    HttpCache b = cache(builder().sharedTier(tier.peer(), SECRET));
    String cc = "max-age=10, stale-while-revalidate=100";
    thenAnswer(200, "v1", "Cache-Control", cc);
    get(client(b), "/old"); // the shared tier holds v1
    clock.advance(Duration.ofSeconds(5));
    tier.failing = true; // a's fill of v2 reaches only a's heap
    thenAnswer(200, "v2", "Cache-Control", cc);
    get(client(a), "/old", "Cache-Control", "no-cache");
    tier.failing = false;
    clock.advance(Duration.ofSeconds(15));
    thenAnswer(200, "bg", "Cache-Control", cc);
    Reply older = get(client(a), "/old");
    assertThat(older.body()).isEqualTo("v2");
    assertThat(older.cacheStatus()).startsWith("hyperlane-l1; hit");
    awaitIdle(a);

    thenAnswer(200, "same", "Cache-Control", cc);
    get(client(a), "/same"); // heap and shared tier hold the same entry
    clock.advance(Duration.ofSeconds(15));
    thenAnswer(200, "bg", "Cache-Control", cc);
    Reply same = get(client(a), "/same");
    assertThat(same.body()).isEqualTo("same");
    assertThat(same.cacheStatus()).startsWith("hyperlane-l1; hit");
  }

  @Test
  void aFreshHitSaysHowLongItStaysFresh() throws Exception {
    OkHttpClient client = client(cache(builder()));
    get(client, "/ttl");
    clock.advance(Duration.ofSeconds(10));
    assertThat(get(client, "/ttl").cacheStatus()).isEqualTo("hyperlane-l1; hit; ttl=50");
  }

  @Test
  void onlyIfCachedWithNothingStoredIsA504AndCountsAsAMiss() throws Exception {
    HttpCache cache = cache(builder());
    Reply reply = get(client(cache), "/none", "Cache-Control", "only-if-cached");
    assertThat(reply.code()).isEqualTo(504);
    assertThat(seen).isEmpty();
    assertThat(cache.stats().service("catalog").misses()).isEqualTo(1);
    assertThat(events)
        .contains(new CacheEvent.Lookup("catalog", CacheTier.ORIGIN, CacheResult.MISS));
  }

  @Test
  void aUrlsFragmentIsNotPartOfItsKey() throws Exception {
    OkHttpClient client = client(cache(builder()));
    get(client, "/f#one");
    assertThat(get(client, "/f#two").cacheStatus()).startsWith("hyperlane-l1; hit");
    assertThat(HttpCache.key(HttpUrl.get("http://catalog/f#x")))
        .isEqualTo(HttpCache.key(HttpUrl.get("http://catalog/f")));
    assertThat(HttpCache.serviceOf("|abc")).isNull();
    assertThat(HttpCache.serviceOf("abc")).isNull();
    assertThat(HttpCache.serviceOf("a|b")).isEqualTo("a");
  }

  // ---- what is forwarded and closed ----

  @Test
  void aStaleEntryRefreshedByA304IsServedAndStoredAndThe304Closed() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    thenAnswer(200, "body", "Cache-Control", "max-age=1", "ETag", "\"e1\"");
    get(client, "/e");
    clock.advance(Duration.ofSeconds(5));
    AtomicBoolean closed = new AtomicBoolean();
    then(
        request ->
            closing(
                fresh(request, 304, "", "Cache-Control", "max-age=60", "ETag", "\"e1\""), closed));
    Reply refreshed = get(client, "/e");
    assertThat(seen.get(1).header("If-None-Match")).isEqualTo("\"e1\"");
    assertThat(refreshed.body()).isEqualTo("body");
    assertThat(refreshed.cacheStatus()).contains("fwd=stale").contains("fwd-status=304");
    assertThat(closed).isTrue();
    assertThat(get(client, "/e").cacheStatus()).startsWith("hyperlane-l1; hit");
    assertThat(seen).hasSize(2);

    clock.advance(Duration.ofSeconds(61));
    then(request -> fresh(request, 304, "", "Cache-Control", "private, max-age=60"));
    get(client, "/e");
    get(client, "/e");
    assertThat(seen).as("a 304 that made the entry private left nothing stored").hasSize(4);
  }

  @Test
  void aStaleEntryStandsInForEveryServerErrorStatusAndOnlyThose() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    thenAnswer(200, "kept", "Cache-Control", "max-age=1, stale-if-error=600");
    get(client, "/s");
    for (int code : new int[] {500, 502, 503, 504}) {
      clock.advance(Duration.ofSeconds(2));
      AtomicBoolean closed = new AtomicBoolean();
      then(request -> closing(fresh(request, code, "error"), closed));
      Reply reply = get(client, "/s");
      assertThat(reply.body()).as("%d", code).isEqualTo("kept");
      assertThat(reply.cacheStatus()).contains("fwd-status=" + code);
      assertThat(closed).as("%d closed", code).isTrue();
    }
    for (int code : new int[] {501, 404, 505}) {
      thenAnswer(code, "error");
      assertThat(get(client, "/s").code()).as("%d", code).isEqualTo(code);
    }
    then(
        request -> {
          throw new ConnectException("refused");
        });
    assertThat(get(client, "/s").cacheStatus()).contains("fwd-error=ConnectException");
  }

  @Test
  void anUnstorableResponsePassesThroughUnread() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    thenAnswer(200, "secret", "Cache-Control", "no-store");
    Reply reply = get(client, "/p");
    assertThat(reply.cacheStatus()).isEqualTo("hyperlane; fwd=miss");
    assertThat(cache.passes.getIfPresent(HttpCache.key(HttpUrl.get("http://catalog/p"))))
        .as("its own doing: identical calls stop waiting on each other")
        .isNotNull();
    thenAnswer(503, "down");
    get(client, "/q");
    assertThat(cache.passes.getIfPresent(HttpCache.key(HttpUrl.get("http://catalog/q"))))
        .as("the origin's state: no pass")
        .isNull();
    clock.advance(HttpCache.PASS_WINDOW.plusMillis(1));
    cache.passes.cleanUp();
    assertThat(cache.passes.getIfPresent(HttpCache.key(HttpUrl.get("http://catalog/p"))))
        .as("a pass lasts its window, on the cache's clock")
        .isNull();
  }

  @Test
  void aBodyOfKnownLengthIsStoredAndSaysSo() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    try (Response response = client.newCall(get("/k")).execute()) {
      assertThat(response.header("Cache-Status")).isEqualTo("hyperlane; fwd=miss; stored");
      assertThat(response.body().contentType().toString()).startsWith("text/plain");
      assertThat(response.body().string()).isEqualTo("v1");
    }
    String key = HttpCache.key(HttpUrl.get("http://catalog/k"));
    cache.heap.cleanUp();
    assertThat(cache.stats().heapBytes())
        .as("the heap weighs its entry and key")
        .isEqualTo(cache.heap.getIfPresent(key).weight() + 2L * key.length());
    assertThat(cache.stats().service("catalog").stored()).isEqualTo(1);
  }

  @Test
  void aBodyThatBreaksWhileReadIsNotStored() throws Exception {
    HttpCache cache = cache(builder());
    AtomicBoolean closed = new AtomicBoolean();
    then(
        request ->
            closing(
                fresh(request, 200, "", "Cache-Control", "max-age=60")
                    .newBuilder()
                    .body(ResponseBody.create(Okio.buffer(failing()), null, 10))
                    .build(),
                closed));
    assertThatThrownBy(() -> get(client(cache), "/b")).hasMessage("broken");
    assertThat(closed).isTrue();
    assertThat(cache.heap.estimatedSize()).isZero();
  }

  @Test
  void anEntryLeavesTheHeapWhenItCanServeNothingMore() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    get(client, "/gone");
    clock.advance(Duration.ofSeconds(59));
    cache.heap.cleanUp();
    assertThat(cache.heap.estimatedSize()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(2));
    cache.heap.cleanUp();
    assertThat(cache.heap.estimatedSize()).isZero();
  }

  // ---- streamed bodies ----

  /** A 200 of unknown length, {@code size} bytes, fresh for a minute. */
  private Answer streamed(int size) {
    return request ->
        fresh(request, 200, "", "Cache-Control", "max-age=60")
            .newBuilder()
            .body(ResponseBody.create(new Buffer().write(new byte[size]), MediaType.get("a/b"), -1))
            .build();
  }

  @Test
  void aStreamedBodyUpToTheBoundIsStoredWhenItEndsAndOneByteMoreIsNot() throws Exception {
    HttpCache cache = cache(builder().maximumBodyBytes(100));
    OkHttpClient client = client(cache);
    then(streamed(100));
    try (Response response = client.newCall(get("/s100")).execute()) {
      assertThat(response.body().contentLength()).isEqualTo(-1);
      assertThat(response.body().contentType()).isEqualTo(MediaType.get("a/b"));
      assertThat(response.body().bytes()).hasSize(100);
    }
    assertThat(get(client, "/s100").cacheStatus()).startsWith("hyperlane-l1; hit");
    then(streamed(101));
    assertThat(get(client, "/s101").body()).hasSize(101);
    get(client, "/s101");
    assertThat(seen).as("101 bytes: not stored").hasSize(3);
  }

  @Test
  void aStreamedBodyItsCallerClosesEarlyIsReadToItsEndAndStored() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    then(streamed(20_000));
    try (Response response = client.newCall(get("/early")).execute()) {
      response.body().source().readByte();
    }
    Reply hit = get(client, "/early");
    assertThat(hit.cacheStatus()).startsWith("hyperlane-l1; hit");
    assertThat(hit.body()).hasSize(20_000);
  }

  @Test
  void aStreamedBodyThatBreaksIsNotStoredAndItsFillEnds() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    AtomicBoolean closed = new AtomicBoolean();
    then(
        request ->
            closing(
                fresh(request, 200, "", "Cache-Control", "max-age=60")
                    .newBuilder()
                    .body(ResponseBody.create(Okio.buffer(failing()), null, -1))
                    .build(),
                closed));
    try (Response response = client.newCall(get("/sb")).execute()) {
      assertThatThrownBy(() -> response.body().string()).hasMessage("broken");
    }
    assertThat(closed).isTrue();
    assertThat(cache.fills.size()).as("no fill left open").isZero();
    get(client, "/sb");
    assertThat(get(client, "/sb").cacheStatus()).startsWith("hyperlane-l1; hit");
  }

  @Test
  void aStreamedBodyClosedEarlyThatThenBreaksIsNotStored() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    then(
        request ->
            fresh(request, 200, "", "Cache-Control", "max-age=60")
                .newBuilder()
                .body(
                    ResponseBody.create(
                        Okio.buffer(
                            new ForwardingSource(new Buffer().write(new byte[10])) {
                              private boolean first = true;

                              @Override
                              public long read(Buffer sink, long byteCount) throws IOException {
                                if (!first) {
                                  throw new IOException("broken");
                                }
                                first = false;
                                return super.read(sink, byteCount);
                              }
                            }),
                        null,
                        -1))
                .build());
    try (Response response = client.newCall(get("/cb")).execute()) {
      response.body().source().readByte();
    }
    assertThat(cache.fills.size()).isZero();
    assertThat(cache.heap.estimatedSize()).isZero();
  }

  @Test
  void identicalCallsWaitingForAFillDoNotWaitForItsStreamedBody() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    CountDownLatch leaderIn = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    okio.Pipe pipe = new okio.Pipe(1024);
    then(
        request -> {
          leaderIn.countDown();
          release.await(10, TimeUnit.SECONDS);
          return fresh(request, 200, "", "Cache-Control", "max-age=60")
              .newBuilder()
              .body(ResponseBody.create(Okio.buffer(pipe.source()), null, -1))
              .build();
        });
    Future<String> leader =
        pool.submit(
            () -> {
              try (Response response = client.newCall(get("/stream")).execute()) {
                return response.body().string();
              }
            });
    assertThat(leaderIn.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Reply> waiter = pool.submit(() -> get(client, "/stream"));
    awaitWaiters(cache, 1);
    release.countDown();
    assertThat(waiter.get(10, TimeUnit.SECONDS).body())
        .as("asked on its own while the stream is still open")
        .isEqualTo("v1");
    try (okio.BufferedSink sink = Okio.buffer(pipe.sink())) {
      sink.writeUtf8("streamed");
    }
    assertThat(leader.get(10, TimeUnit.SECONDS)).isEqualTo("streamed");
  }

  @Test
  void aNotModifiedAnswerToTheCallersOwnConditionalReachesItUntouched() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    thenAnswer(304, "", "ETag", "\"a\"");
    Reply reply = get(client, "/own", "If-None-Match", "\"a\"");
    assertThat(reply.code()).isEqualTo(304);
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).header("If-None-Match")).isEqualTo("\"a\"");
    assertThat(get(client, "/own").body()).as("nothing was stored").isEqualTo("v1");
  }

  // ---- unsafe methods ----

  private static Request post(String path) {
    return new Request.Builder()
        .url("http://catalog" + path)
        .post(RequestBody.create("{}", MediaType.get("application/json")))
        .build();
  }

  @Test
  void aSuccessfulUnsafeRequestInvalidatesItsUrlAndSameOriginLocations() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    for (String path : new String[] {"/u", "/loc", "/cloc", "/other"}) {
      get(client, path);
    }
    thenAnswer(200, "ok", "Location", "/loc", "Content-Location", "http://catalog/cloc");
    call(client, post("/u"));
    assertThat(cache.heap.estimatedSize()).isEqualTo(1);
    for (String elsewhere :
        new String[] {"http://other/other", "https://catalog/other", "http://catalog:81/other"}) {
      thenAnswer(201, "ok", "Location", elsewhere);
      call(client, post("/x"));
      assertThat(cache.heap.estimatedSize()).as(elsewhere).isEqualTo(1);
    }
    for (int code : new int[] {200, 399}) {
      get(client, "/u");
      thenAnswer(code, "ok");
      call(client, post("/u"));
      assertThat(cache.heap.getIfPresent(HttpCache.key(HttpUrl.get("http://catalog/u"))))
          .as("%d", code)
          .isNull();
    }
    get(client, "/u");
    thenAnswer(400, "no");
    call(client, post("/u"));
    assertThat(cache.heap.getIfPresent(HttpCache.key(HttpUrl.get("http://catalog/u"))))
        .as("a failed write changes nothing")
        .isNotNull();
  }

  /** A shared tier whose deletions finish only when the test completes them. */
  private static final class SlowDeletions extends ForwardingTier {
    final List<CompletableFuture<Void>> deletions = new CopyOnWriteArrayList<>();

    SlowDeletions(SharedTier delegate) {
      super(delegate);
    }

    @Override
    public CompletionStage<Void> invalidate(String service, String key) {
      CompletableFuture<Void> deletion = new CompletableFuture<>();
      deletions.add(deletion);
      return super.invalidate(service, key).thenCompose(done -> deletion);
    }

    @Override
    public CompletionStage<Void> invalidateService(String service) {
      CompletableFuture<Void> deletion = new CompletableFuture<>();
      deletions.add(deletion);
      return super.invalidateService(service).thenCompose(done -> deletion);
    }
  }

  /** Completes each deletion once {@code caller} is seen waiting for it. */
  private Future<?> completeWhenWaitedFor(SlowDeletions tier, Thread caller, int count) {
    return pool.submit(
        () -> {
          for (int i = 0; i < count; i++) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (tier.deletions.size() <= i || caller.getState() != Thread.State.TIMED_WAITING) {
              if (System.nanoTime() > end) {
                return; // the caller never waited: the test's assertion says so
              }
              Thread.onSpinWait();
            }
            tier.deletions.get(i).complete(null);
          }
        });
  }

  @Test
  void anUnsafeRequestReturnsOnlyOnceTheSharedTierHasDroppedWhatItInvalidated() throws Exception {
    SlowDeletions tier = new SlowDeletions(new MapSharedTier());
    HttpCache cache =
        cache(builder().sharedTier(tier, SECRET).sharedTierTimeout(Duration.ofSeconds(30)));
    OkHttpClient client = client(cache);
    thenAnswer(200, "ok", "Location", "/created");
    Future<?> completer = completeWhenWaitedFor(tier, Thread.currentThread(), 2);
    call(client, post("/orders"));
    assertThat(tier.deletions).hasSize(2).allSatisfy(d -> assertThat(d).isDone());
    completer.get(10, TimeUnit.SECONDS);
  }

  // ---- invalidation ----

  @Test
  void invalidatingAServiceFencesItsFillsUntilTheSharedTierHasDroppedIt() throws Exception {
    MapSharedTier map = new MapSharedTier();
    SlowDeletions tier = new SlowDeletions(map);
    HttpCache cache = cache(builder().sharedTier(tier, SECRET));
    OkHttpClient client = client(cache);
    get(client, "/a");
    get(client, "/b");
    CompletionStage<Void> invalidation = cache.invalidateService("Catalog");
    assertThat(invalidation).isNotNull();
    assertThat(cache.heap.estimatedSize()).isZero();
    assertThat(cache.stats().service("catalog").invalidations()).isEqualTo(2);
    assertThat(events).contains(new CacheEvent.Invalidated("catalog", null, false));
    get(client, "/a"); // while the shared tier may still hold the old entry
    assertThat(cache.heap.estimatedSize()).as("a fenced fill stores nothing").isZero();
    tier.deletions.get(0).complete(null);
    invalidation.toCompletableFuture().get(5, TimeUnit.SECONDS);
    get(client, "/a");
    assertThat(cache.heap.estimatedSize()).as("stored again once the tier dropped it").isEqualTo(1);
    assertThat(map.values).hasSize(1);

    cache.invalidate(HttpUrl.get("http://catalog/a"));
    assertThat(events).contains(new CacheEvent.Invalidated("catalog", "http://catalog/a", false));
  }

  @Test
  void anInvalidationStopsIdenticalCallsWaitingForAFillItFenced() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    CountDownLatch leaderIn = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    then(
        request -> {
          leaderIn.countDown();
          release.await(10, TimeUnit.SECONDS);
          return fresh(request, 200, "old", "Cache-Control", "max-age=60");
        });
    Future<Reply> leader = pool.submit(() -> get(client, "/w"));
    assertThat(leaderIn.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Reply> waiter = pool.submit(() -> get(client, "/w"));
    awaitWaiters(cache, 1);
    cache.invalidate(HttpUrl.get("http://catalog/w"));
    assertThat(waiter.get(10, TimeUnit.SECONDS).body())
        .as("went to the origin itself")
        .isEqualTo("v1");
    release.countDown();
    Reply led = leader.get(10, TimeUnit.SECONDS);
    assertThat(led.body()).isEqualTo("old");
    assertThat(led.cacheStatus())
        .as("a fenced fill says it stored nothing")
        .isEqualTo("hyperlane; fwd=miss");
    assertThat(get(client, "/w").body())
        .as("the fenced fill stored nothing: v1 did")
        .isEqualTo("v1");
  }

  @Test
  void aServiceInvalidationAlsoStopsTheWaiters() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    CountDownLatch leaderIn = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    then(
        request -> {
          leaderIn.countDown();
          release.await(10, TimeUnit.SECONDS);
          return fresh(request, 200, "old", "Cache-Control", "max-age=60");
        });
    Future<Reply> leader = pool.submit(() -> get(client, "/w"));
    assertThat(leaderIn.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Reply> waiter = pool.submit(() -> get(client, "/w"));
    awaitWaiters(cache, 1);
    cache.invalidateService("catalog");
    assertThat(waiter.get(10, TimeUnit.SECONDS).body()).isEqualTo("v1");
    assertThat(cache.flights).isEmpty();
    release.countDown();
    leader.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aWaiterWhoseCallIsCancelledStopsWaitingAtOnce() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    CountDownLatch leaderIn = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    then(
        request -> {
          leaderIn.countDown();
          release.await(10, TimeUnit.SECONDS);
          return fresh(request, 200, "shared", "Cache-Control", "max-age=60");
        });
    Future<Reply> leader = pool.submit(() -> get(client, "/c"));
    assertThat(leaderIn.await(10, TimeUnit.SECONDS)).isTrue();
    Call waiting = client.newCall(get("/c"));
    Future<?> waiter =
        pool.submit(
            () -> {
              assertThatThrownBy(waiting::execute).hasMessage("Canceled");
              return null;
            });
    awaitWaiters(cache, 1);
    waiting.cancel();
    waiter.get(10, TimeUnit.SECONDS);
    assertThat(leader).isNotDone();
    release.countDown();
    assertThat(leader.get(10, TimeUnit.SECONDS).body()).isEqualTo("shared");
    assertThat(call(client, get("/c")).body()).isEqualTo("shared");
  }

  @Test
  void aReconnectedChannelFencesEveryFillAndReleasesEveryWaiter() throws Exception {
    MapSharedTier tier = new MapSharedTier();
    HttpCache cache = cache(builder().sharedTier(tier, SECRET));
    OkHttpClient client = client(cache);
    CountDownLatch leaderIn = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    then(
        request -> {
          leaderIn.countDown();
          release.await(10, TimeUnit.SECONDS);
          return fresh(request, 200, "old", "Cache-Control", "max-age=60");
        });
    Future<Reply> leader = pool.submit(() -> get(client, "/r"));
    assertThat(leaderIn.await(10, TimeUnit.SECONDS)).isTrue();
    Future<Reply> waiter = pool.submit(() -> get(client, "/r"));
    awaitWaiters(cache, 1);
    tier.reconnectAll();
    assertThat(waiter.get(10, TimeUnit.SECONDS).body()).isEqualTo("v1");
    assertThat(cache.flights).isEmpty();
    release.countDown();
    leader.get(10, TimeUnit.SECONDS);
    assertThat(
            cache
                .heap
                .getIfPresent(HttpCache.key(HttpUrl.get("http://catalog/r")))
                .match(get("/r"))
                .body)
        .as("the fill under way when messages were lost stored nothing")
        .isEqualTo("v1".getBytes());
  }

  @Test
  void aServiceMessageFromAnotherInstanceClearsThatServiceAndSaysSo() throws Exception {
    MapSharedTier tier = new MapSharedTier();
    HttpCache a = cache(builder().sharedTier(tier, SECRET));
    HttpCache b = cache(builder().sharedTier(tier.peer(), SECRET));
    get(client(a), "/m");
    events.clear();
    b.invalidateService("catalog").toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(a.heap.estimatedSize()).isZero();
    assertThat(events).contains(new CacheEvent.Invalidated("catalog", null, true));
  }

  private static void awaitWaiters(HttpCache cache, int count) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (cache.waiters.get() < count) {
      assertThat(System.nanoTime()).as("a caller waiting in time").isLessThan(end);
      Thread.onSpinWait();
    }
  }

  // ---- background revalidation ----

  @Test
  void aBackgroundRevalidationFreesItsKeyWhetherItWorksOrFails() throws Exception {
    HttpCache cache = cache(builder());
    OkHttpClient client = client(cache);
    String cc = "max-age=1, stale-while-revalidate=600";
    thenAnswer(200, "v0", "Cache-Control", cc);
    get(client, "/bg");
    clock.advance(Duration.ofSeconds(2));
    then(request -> fresh(request, 200, "v1", "Cache-Control", cc));
    assertThat(get(client, "/bg").body()).as("stale, at once").isEqualTo("v0");
    awaitIdle(cache);
    clock.advance(Duration.ofSeconds(2));
    then(
        request -> {
          throw new IOException("down");
        });
    assertThat(get(client, "/bg").body()).isEqualTo("v1");
    awaitIdle(cache);
    assertThat(seen).hasSize(3);
    clock.advance(Duration.ofSeconds(2));
    get(client, "/bg");
    awaitIdle(cache);
    assertThat(seen).as("each stale read could revalidate again").hasSize(4);
  }

  private static void awaitIdle(HttpCache cache) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!cache.revalidating.isEmpty() || !cache.backgroundCalls.isEmpty()) {
      assertThat(System.nanoTime()).as("the revalidation ended in time").isLessThan(end);
      Thread.onSpinWait();
    }
  }

  // ---- the shared tier's health ----

  @Test
  void aFailedSharedTierIsLeftAloneForASecondThenTriedAgain() throws Exception {
    MapSharedTier tier = new MapSharedTier();
    HttpCache cache = cache(builder().sharedTier(tier, SECRET));
    OkHttpClient client = client(cache);
    tier.failing = true;
    get(client, "/h1");
    assertThat(events)
        .anySatisfy(e -> assertThat(e).isInstanceOf(CacheEvent.SharedTierFailed.class));
    assertThat(cache.sharedUsable(clock.millis())).isFalse();
    tier.failing = false;
    clock.advance(Duration.ofMillis(999));
    assertThat(cache.sharedUsable(clock.millis())).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(cache.sharedUsable(clock.millis())).isTrue();
    get(client, "/h2");
    assertThat(tier.values).hasSize(1);
    assertThat(cache.sharedUsable(clock.millis() - 500)).as("it answered: up again").isTrue();
  }

  @Test
  void aFillThatTookLongerThanHalfAFencesLifetimeIsNotShared() throws Exception {
    MapSharedTier tier = new MapSharedTier();
    HttpCache cache = cache(builder().sharedTier(tier, SECRET));
    OkHttpClient client = client(cache);
    long half = SharedTier.FENCE_LIFETIME.toMillis() / 2;
    then(
        request -> {
          clock.advance(Duration.ofMillis(half));
          return fresh(request, 200, "slow", "Cache-Control", "max-age=600");
        });
    get(client, "/half");
    assertThat(tier.values).as("exactly half: still shared").hasSize(1);
    then(
        request -> {
          clock.advance(Duration.ofMillis(half + 1));
          return fresh(request, 200, "slower", "Cache-Control", "max-age=600");
        });
    get(client, "/later");
    assertThat(tier.values).hasSize(1);
    assertThat(cache.heap.getIfPresent(HttpCache.key(HttpUrl.get("http://catalog/later"))))
        .as("kept in the heap all the same")
        .isNotNull();
  }

  @Test
  void anEntryThatCanServeNothingMoreIsNotShared() throws Exception {
    MapSharedTier tier = new MapSharedTier();
    HttpCache cache = cache(builder().sharedTier(tier, SECRET));
    OkHttpClient client = client(cache);
    then(
        request -> {
          Response response = fresh(request, 200, "x", "Cache-Control", "max-age=1");
          clock.advance(Duration.ofSeconds(1)); // it arrives as it stops being fresh
          return response;
        });
    get(client, "/expired");
    assertThat(tier.values).isEmpty();
  }

  @Test
  void closingTheCacheClosesItsSharedTier() {
    AtomicBoolean closed = new AtomicBoolean();
    HttpCache cache =
        builder()
            .sharedTier(
                new ForwardingTier(new MapSharedTier()) {
                  @Override
                  public void close() {
                    closed.set(true);
                  }
                },
                SECRET)
            .build();
    cache.close();
    assertThat(closed).isTrue();
    assertThat(cache.toString()).startsWith("HttpCache").contains("CacheStats");
  }

  // ---- settings ----

  @Test
  void everySettingRefusesWhatItCannotHoldAndTakesItsEdges() {
    HttpCache.builder()
        .maximumBytes(0)
        .maximumBodyBytes(0)
        .maximumBodyBytes(Integer.MAX_VALUE - 8)
        .heuristicFreshness(1.0, Duration.ofSeconds(1))
        .cacheableStatusCodes(200, 599)
        .sharedTierTimeout(Duration.ofMinutes(1))
        .defaultStaleIfError(Duration.ZERO)
        .defaultStaleWhileRevalidate(Duration.ZERO)
        .sharedTier(new MapSharedTier(), new byte[16]);
    assertThatThrownBy(() -> HttpCache.builder().maximumBytes(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpCache.builder().maximumBodyBytes(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpCache.builder().maximumBodyBytes(Integer.MAX_VALUE - 7))
        .isInstanceOf(IllegalArgumentException.class);
    for (int bad : new int[] {199, 600, 206, 304}) {
      assertThatThrownBy(() -> HttpCache.builder().cacheableStatusCodes(200, bad))
          .as("%d", bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    for (double bad : new double[] {0, -0.1, 1.01, Double.NaN}) {
      assertThatThrownBy(() -> HttpCache.builder().heuristicFreshness(bad, Duration.ofSeconds(1)))
          .as("%s", bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> HttpCache.builder().heuristicFreshness(0.1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpCache.builder().sharedTier(new MapSharedTier(), new byte[15]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> HttpCache.builder().sharedTierTimeout(Duration.ofMinutes(1).plusMillis(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpCache.builder().sharedTierTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpCache.builder().defaultStaleIfError(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    Duration longest = Duration.ofSeconds(Integer.MAX_VALUE);
    HttpCache.builder().defaultStaleIfError(longest).heuristicFreshness(0.5, longest);
    assertThatThrownBy(() -> HttpCache.builder().defaultStaleIfError(longest.plusMillis(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpCache.builder().heuristicFreshness(0.5, longest.plusMillis(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpCache.builder().heuristicFreshness(0.5, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theCodesACacheStoresCanBeChosen() throws Exception {
    HttpCache cache = cache(builder().cacheableStatusCodes(200, 404));
    OkHttpClient client = client(cache);
    thenAnswer(404, "missing", "Cache-Control", "max-age=60");
    get(client, "/404");
    assertThat(get(client, "/404").cacheStatus()).startsWith("hyperlane-l1; hit");
    thenAnswer(410, "gone", "Cache-Control", "max-age=60");
    get(client, "/410");
    get(client, "/410");
    assertThat(seen).hasSize(3);
  }

  @Test
  void heuristicFreshnessAndDefaultStaleWindowsAreApplied() throws Exception {
    HttpCache cache =
        cache(
            builder()
                .heuristicFreshness(0.1, Duration.ofHours(1))
                .defaultStaleIfError(Duration.ofMinutes(10)));
    OkHttpClient client = client(cache);
    thenAnswer(200, "h", "Last-Modified", HttpDates.format(clock.millis() - 100_000));
    get(client, "/h");
    clock.advance(Duration.ofSeconds(9));
    assertThat(get(client, "/h").cacheStatus()).startsWith("hyperlane-l1; hit; ttl=1");
    clock.advance(Duration.ofSeconds(60));
    thenAnswer(503, "down");
    assertThat(get(client, "/h").body()).as("the default stale-if-error").isEqualTo("h");
  }

  // ---- helpers ----

  /** {@code response} with a body that records its closing. */
  private static Response closing(Response response, AtomicBoolean closed) {
    ResponseBody body = response.body();
    BufferedSource source =
        Okio.buffer(
            new ForwardingSource(body.source()) {
              @Override
              public void close() throws IOException {
                closed.set(true);
                super.close();
              }
            });
    return response
        .newBuilder()
        .body(ResponseBody.create(source, body.contentType(), body.contentLength()))
        .build();
  }

  private static Source failing() {
    return new Source() {
      @Override
      public long read(Buffer sink, long byteCount) throws IOException {
        throw new IOException("broken");
      }

      @Override
      public Timeout timeout() {
        return Timeout.NONE;
      }

      @Override
      public void close() {}
    };
  }
}
