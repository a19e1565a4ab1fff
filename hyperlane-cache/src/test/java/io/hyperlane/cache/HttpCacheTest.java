package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.Origin.Answer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cache alone, as an interceptor on a plain OkHttpClient, against a loopback origin. */
class HttpCacheTest {

  private final MutableClock clock = MutableClock.startingNow();
  private final List<CacheEvent> events = new CopyOnWriteArrayList<>();
  private Origin origin;
  private HttpCache cache;
  private OkHttpClient client;

  @BeforeEach
  void start() throws IOException {
    origin = new Origin();
    use(HttpCache.builder());
  }

  @AfterEach
  void stop() {
    client.dispatcher().executorService().shutdownNow();
    client.connectionPool().evictAll();
    cache.close();
    origin.close();
  }

  /** Rebuilds the cache and its client from {@code builder}, with the test's clock and listener. */
  private void use(HttpCache.Builder builder) {
    cache = builder.clock(clock).listener(events::add).build();
    client = TestClients.cached(cache, clock);
  }

  private Reply get(String path, String... headers) throws IOException {
    return TestClients.call(client, "GET", origin.url(path), headers);
  }

  @Test
  void oneHundredConcurrentIdenticalMissesMakeOneOriginRequest() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    origin.handler(
        request -> {
          release.await(10, TimeUnit.SECONDS);
          return Answer.of(200, "shared", "Cache-Control", "max-age=60");
        });
    ExecutorService callers = Executors.newFixedThreadPool(100);
    try {
      List<Future<Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        replies.add(callers.submit(() -> get("/hot")));
      }
      // hold the origin until the 99 others are waiting for the first one's answer
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (cache.waiters.get() < 99 && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      assertThat(cache.waiters.get()).isEqualTo(99);
      release.countDown();
      for (Future<Reply> reply : replies) {
        assertThat(reply.get(10, TimeUnit.SECONDS).body()).isEqualTo("shared");
      }
    } finally {
      callers.shutdownNow();
    }
    assertThat(origin.count()).isEqualTo(1);
    assertThat(cache.stats().service("127.0.0.1").l0Hits()).isEqualTo(99);
  }

  @Test
  void freshHitNeverReachesTheNetwork() throws IOException {
    origin.handler(request -> Answer.of(200, "v1", "Cache-Control", "max-age=60"));
    Reply first = get("/items/1");
    clock.advance(Duration.ofSeconds(59));
    Reply second = get("/items/1");

    assertThat(origin.count()).isEqualTo(1);
    assertThat(first.cacheStatus()).isEqualTo("hyperlane; fwd=miss; stored");
    assertThat(second.body()).isEqualTo("v1");
    assertThat(second.cacheStatus()).startsWith("hyperlane-l1; hit");
    assertThat(second.header("Age")).isEqualTo("59");
    assertThat(events)
        .contains(
            new CacheEvent.Lookup("127.0.0.1", CacheTier.ORIGIN, CacheResult.MISS),
            new CacheEvent.Lookup("127.0.0.1", CacheTier.L1, CacheResult.HIT));
  }

  @Test
  void staleEntryWithAnEtagIsRevalidatedAndA304ServesTheBodyAgain() throws IOException {
    origin.handler(
        request ->
            "\"v1\"".equals(request.header("If-None-Match"))
                ? Answer.of(304, "", "ETag", "\"v1\"", "Cache-Control", "max-age=60")
                : Answer.of(200, "body one", "ETag", "\"v1\"", "Cache-Control", "max-age=60"));
    get("/doc");
    clock.advance(Duration.ofSeconds(61));
    Reply revalidated = get("/doc");
    Reply afterwards = get("/doc");

    assertThat(origin.count()).isEqualTo(2);
    assertThat(origin.seen().get(1).header("If-None-Match")).isEqualTo("\"v1\"");
    assertThat(revalidated.code()).isEqualTo(200);
    assertThat(revalidated.body()).isEqualTo("body one");
    assertThat(revalidated.cacheStatus()).contains("fwd=stale").contains("fwd-status=304");
    assertThat(afterwards.cacheStatus()).startsWith("hyperlane-l1; hit");
    assertThat(cache.stats().service("127.0.0.1").revalidations()).isEqualTo(1);
  }

  @Test
  void lastModifiedAloneValidatesWithIfModifiedSince() throws IOException {
    String lastModified = HttpDates.format(clock.millis() - 3_600_000);
    origin.handler(
        request ->
            request.header("If-Modified-Since") != null
                ? Answer.of(304, "")
                : Answer.of(
                    200, "dated", "Last-Modified", lastModified, "Cache-Control", "no-cache"));
    get("/dated");
    Reply second = get("/dated");

    assertThat(origin.seen().get(1).header("If-Modified-Since")).isEqualTo(lastModified);
    assertThat(second.body()).isEqualTo("dated");
  }

  @Test
  void varyOnAcceptLanguageKeepsTwoVariantsApart() throws IOException {
    origin.handler(
        request ->
            Answer.of(
                200,
                "hello in " + request.header("Accept-Language"),
                "Cache-Control",
                "max-age=60",
                "Vary",
                "Accept-Language"));
    assertThat(get("/greeting", "Accept-Language", "en").body()).isEqualTo("hello in en");
    assertThat(get("/greeting", "Accept-Language", "fr").body()).isEqualTo("hello in fr");
    assertThat(get("/greeting", "Accept-Language", "en").body()).isEqualTo("hello in en");
    assertThat(get("/greeting", "Accept-Language", "fr").body()).isEqualTo("hello in fr");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void varyStarIsNeverStored() throws IOException {
    origin.handler(request -> Answer.of(200, "x", "Cache-Control", "max-age=60", "Vary", "*"));
    get("/star");
    get("/star");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void staleWhileRevalidateAnswersAtOnceAndRevalidatesOnceInTheBackground() throws Exception {
    AtomicInteger version = new AtomicInteger(1);
    CountDownLatch revalidationMayAnswer = new CountDownLatch(1);
    origin.handler(
        request -> {
          if (version.get() > 1) {
            revalidationMayAnswer.await(10, TimeUnit.SECONDS);
          }
          return Answer.of(
              200, "v" + version.get(), "Cache-Control", "max-age=1, stale-while-revalidate=60");
        });
    get("/swr");
    version.set(2);
    clock.advance(Duration.ofSeconds(5));

    CountDownLatch backgroundDone = new CountDownLatch(1);
    events.clear();
    List<Reply> stale = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      stale.add(get("/swr")); // answered while the origin still holds the revalidation
    }
    assertThat(stale)
        .allSatisfy(
            reply -> {
              assertThat(reply.body()).isEqualTo("v1");
              assertThat(reply.cacheStatus()).contains("hit").contains("stale-while-revalidate");
            });
    Thread watcher =
        new Thread(
            () -> {
              while (cache.stats().service("127.0.0.1").stored() < 2) {
                Thread.onSpinWait();
              }
              backgroundDone.countDown();
            });
    watcher.setDaemon(true);
    watcher.start();
    revalidationMayAnswer.countDown();
    assertThat(backgroundDone.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(origin.count()).isEqualTo(2); // the first fill and exactly one revalidation
    assertThat(get("/swr").body()).isEqualTo("v2");
    assertThat(cache.stats().service("127.0.0.1").staleServed()).isEqualTo(5);
  }

  @Test
  void staleIfErrorServesTheEntryWhenTheOriginAnswers503() throws IOException {
    AtomicInteger status = new AtomicInteger(200);
    origin.handler(
        request ->
            status.get() == 200
                ? Answer.of(200, "good", "Cache-Control", "max-age=1, stale-if-error=300")
                : Answer.of(status.get(), "broken"));
    get("/sie");
    status.set(503);
    clock.advance(Duration.ofSeconds(10));
    Reply served = get("/sie");

    assertThat(served.code()).isEqualTo(200);
    assertThat(served.body()).isEqualTo("good");
    assertThat(served.cacheStatus()).contains("stale-if-error").contains("fwd-status=503");
    clock.advance(Duration.ofSeconds(300));
    assertThat(get("/sie").code()).isEqualTo(503); // past the window the error shows
  }

  @Test
  void staleIfErrorServesTheEntryWhenTheOriginIsUnreachable() throws IOException {
    origin.handler(request -> Answer.of(200, "kept", "Cache-Control", "max-age=1"));
    use(HttpCache.builder().defaultStaleIfError(Duration.ofMinutes(5)));
    HttpUrl url = origin.url("/down");
    TestClients.call(client, "GET", url);
    origin.close(); // connection refused from now on
    clock.advance(Duration.ofSeconds(30));

    Reply served = TestClients.call(client, "GET", url);
    assertThat(served.body()).isEqualTo("kept");
    assertThat(served.cacheStatus()).contains("stale-if-error");
    origin = new Origin(); // for stop()
  }

  @Test
  void mustRevalidateForbidsServingStaleOnError() throws IOException {
    AtomicInteger status = new AtomicInteger(200);
    origin.handler(
        request ->
            Answer.of(
                status.get(),
                "x",
                "Cache-Control",
                "max-age=1, must-revalidate, stale-if-error=300"));
    get("/strict");
    status.set(503);
    clock.advance(Duration.ofSeconds(10));
    assertThat(get("/strict").code()).isEqualTo(503);
  }

  @Test
  void anAuthorizedResponseWithoutPublicIsNeverServedToAnotherAuthorization() throws IOException {
    origin.handler(
        request ->
            Answer.of(
                200, "for " + request.header("Authorization"), "Cache-Control", "max-age=60"));
    assertThat(get("/me", "Authorization", "Bearer alice").body()).isEqualTo("for Bearer alice");
    assertThat(get("/me", "Authorization", "Bearer bob").body()).isEqualTo("for Bearer bob");
    assertThat(origin.count()).isEqualTo(2);

    origin.handler(
        request -> Answer.of(200, "same for all", "Cache-Control", "public, max-age=60"));
    get("/catalog", "Authorization", "Bearer alice");
    assertThat(get("/catalog", "Authorization", "Bearer bob").cacheStatus()).contains("hit");
  }

  @Test
  void noStoreAndPrivateResponsesAreNotStored() throws IOException {
    origin.handler(
        request ->
            Answer.of(
                200,
                "secret",
                "Cache-Control",
                request.path().equals("/a") ? "no-store" : "private, max-age=60"));
    get("/a");
    get("/a");
    get("/b");
    get("/b");
    assertThat(origin.count()).isEqualTo(4);
  }

  @Test
  void aRequestWithNoStoreBypassesAndNoCacheRevalidates() throws IOException {
    origin.handler(request -> Answer.of(200, "x", "Cache-Control", "max-age=60", "ETag", "\"e\""));
    get("/r");
    get("/r", "Cache-Control", "no-cache");
    assertThat(origin.seen().get(1).header("If-None-Match")).isEqualTo("\"e\"");
    get("/r", "Cache-Control", "no-store");
    assertThat(origin.count()).isEqualTo(3);
    assertThat(cache.stats().service("127.0.0.1").bypassed()).isEqualTo(1);
  }

  @Test
  void aSuccessfulUnsafeMethodInvalidatesItsUrlAndLocation() throws IOException {
    origin.handler(
        request ->
            request.method().equals("POST")
                ? Answer.of(201, "", "Location", "/orders/7")
                : Answer.of(200, "order", "Cache-Control", "max-age=600"));
    get("/orders");
    get("/orders/7");
    TestClients.call(client, "POST", origin.url("/orders"));
    get("/orders");
    get("/orders/7");
    assertThat(origin.seen().stream().filter(s -> s.method().equals("GET")).count()).isEqualTo(4);
    assertThat(cache.stats().service("127.0.0.1").invalidations()).isEqualTo(2);
  }

  @Test
  void explicitInvalidationRemovesAUrlOrAWholeService() throws IOException {
    origin.handler(request -> Answer.of(200, "x", "Cache-Control", "max-age=600"));
    get("/one");
    get("/two");
    cache.invalidate(origin.url("/one"));
    get("/one");
    get("/two");
    assertThat(origin.count()).isEqualTo(3);
    cache.invalidateService("127.0.0.1");
    get("/two");
    assertThat(origin.count()).isEqualTo(4);
  }

  @Test
  void malformedFreshnessFieldsMakeAResponseStaleNotAnError() throws IOException {
    String[][] cases = {
      {"Cache-Control", "max-age=abc"},
      {"Cache-Control", "max-age=60, max-age=120"},
      {"Expires", "not a date"},
      {"Expires", "0"},
      {"Cache-Control", "max-age=\"unterminated"},
      {"Vary", "Accept, bad header name"},
    };
    for (int i = 0; i < cases.length; i++) {
      String[] field = cases[i];
      origin.handler(request -> Answer.of(200, "ok", field[0], field[1], "Age", "garbage"));
      assertThat(get("/bad/" + i).code()).isEqualTo(200);
      assertThat(get("/bad/" + i).cacheStatus()).as(field[1]).startsWith("hyperlane; fwd=miss");
    }
    // an invalid Age is ignored, not a reason to refuse an otherwise fresh response
    origin.handler(request -> Answer.of(200, "ok", "Cache-Control", "max-age=60", "Age", "x"));
    get("/age");
    assertThat(get("/age").cacheStatus()).startsWith("hyperlane-l1; hit");
  }

  @Test
  void ageFromUpstreamCachesCountsAgainstFreshness() throws IOException {
    origin.handler(request -> Answer.of(200, "aged", "Cache-Control", "max-age=60", "Age", "50"));
    get("/aged");
    clock.advance(Duration.ofSeconds(11));
    assertThat(get("/aged").cacheStatus()).startsWith("hyperlane; fwd=miss");
  }

  @Test
  void hopByHopFieldsAreNotStored() throws IOException {
    origin.handler(
        request ->
            Answer.of(
                200,
                "x",
                "Cache-Control",
                "max-age=60",
                "Connection",
                "X-Private-Hop",
                "X-Private-Hop",
                "1",
                "Keep-Alive",
                "timeout=5"));
    get("/hop");
    Reply hit = get("/hop");
    assertThat(hit.cacheStatus()).startsWith("hyperlane-l1; hit");
    assertThat(hit.header("X-Private-Hop")).isNull();
    assertThat(hit.header("Keep-Alive")).isNull();
  }

  @Test
  void bodiesOverTheLimitPassThroughUnstored() throws IOException {
    use(HttpCache.builder().maximumBodyBytes(10));
    origin.handler(request -> Answer.of(200, "0123456789ABCDEF", "Cache-Control", "max-age=60"));
    assertThat(get("/big").body()).isEqualTo("0123456789ABCDEF");
    assertThat(get("/big").body()).isEqualTo("0123456789ABCDEF");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void onlyIfCachedAnswers504WhenNothingIsStored() throws IOException {
    assertThat(get("/nothing", "Cache-Control", "only-if-cached").code()).isEqualTo(504);
    assertThat(origin.count()).isZero();
  }

  @Test
  void theHeapTierStaysUnderItsByteBoundWith100000DistinctUrls() throws IOException {
    long bound = 2L << 20;
    HttpCache bounded = HttpCache.builder().maximumBytes(bound).clock(clock).build();
    byte[] body = new byte[200];
    // a canned origin behind the cache: the bound is about the heap, not the network
    OkHttpClient canned =
        new OkHttpClient.Builder()
            .addInterceptor(bounded.interceptor())
            .addInterceptor(
                chain ->
                    new Response.Builder()
                        .request(chain.request())
                        .protocol(Protocol.HTTP_1_1)
                        .code(200)
                        .message("OK")
                        .header("Cache-Control", "max-age=600")
                        .body(ResponseBody.create(body, null))
                        .build())
            .build();
    for (int i = 0; i < 100_000; i++) {
      try (Response response =
          canned
              .newCall(new Request.Builder().url("http://catalog/items/" + i).build())
              .execute()) {
        response.body().bytes();
      }
    }
    bounded.heap.cleanUp();
    CacheStats stats = bounded.stats();
    assertThat(stats.heapBytes()).isLessThanOrEqualTo(bound).isGreaterThan(bound / 2);
    assertThat(stats.heapEntries()).isBetween(1000L, 99_999L);
    assertThat(stats.service("catalog").stored()).isEqualTo(100_000);
  }

  @Test
  void postIsNeverAnsweredFromTheCache() throws IOException {
    origin.handler(request -> Answer.of(200, "posted", "Cache-Control", "max-age=60"));
    TestClients.call(client, "POST", origin.url("/p"));
    try (Response response =
        client
            .newCall(
                new Request.Builder()
                    .url(origin.url("/p"))
                    .post(RequestBody.create(new byte[0], null))
                    .build())
            .execute()) {
      assertThat(response.header("Cache-Status")).isNull();
    }
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void identicalCallsWhoseAnswerCannotBeSharedStopWaitingInLine() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    origin.handler(
        request -> {
          release.await(10, TimeUnit.SECONDS);
          return Answer.of(200, "not cacheable"); // no freshness, no validators
        });
    ExecutorService callers = Executors.newFixedThreadPool(10);
    try {
      List<Future<Reply>> first = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        first.add(callers.submit(() -> get("/uncacheable")));
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (cache.waiters.get() < 9 && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      assertThat(cache.waiters.get()).as("the first time, the cache cannot know").isEqualTo(9);
      release.countDown();
      for (Future<Reply> reply : first) {
        assertThat(reply.get(10, TimeUnit.SECONDS).body()).isEqualTo("not cacheable");
      }
      assertThat(origin.count()).as("each waiter asked the origin itself").isEqualTo(10);

      // Now the cache knows: identical calls go straight to the origin, none waits in line.
      CountDownLatch allTen = new CountDownLatch(10);
      origin.handler(
          request -> {
            allTen.countDown();
            assertThat(allTen.await(10, TimeUnit.SECONDS))
                .as("all ten at the origin at once")
                .isTrue();
            return Answer.of(200, "not cacheable");
          });
      List<Future<Reply>> second = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        second.add(callers.submit(() -> get("/uncacheable")));
      }
      for (Future<Reply> reply : second) {
        assertThat(reply.get(10, TimeUnit.SECONDS).code()).isEqualTo(200);
      }
      assertThat(origin.count()).isEqualTo(20);
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aCrawlerLikeClientKeepsTheCountersBounded() throws Exception {
    OkHttpClient crawler =
        new OkHttpClient.Builder()
            .addInterceptor(cache.interceptor())
            .addInterceptor(
                chain ->
                    new Response.Builder()
                        .request(chain.request())
                        .protocol(Protocol.HTTP_1_1)
                        .code(200)
                        .message("OK")
                        .body(ResponseBody.create("page", null))
                        .build())
            .build();
    for (int i = 0; i < HttpCache.MAX_COUNTED_SERVICES + 500; i++) {
      TestClients.call(crawler, "GET", okhttp3.HttpUrl.get("http://site-" + i + ".example/"));
    }
    CacheStats stats = cache.stats();
    assertThat(stats.services()).hasSize(HttpCache.MAX_COUNTED_SERVICES + 1);
    assertThat(stats.service(HttpCache.OTHER_SERVICES).misses()).isEqualTo(500);
  }
}
