package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.Origin.Answer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an adversarial review of the cache found, each tried the way it would happen: an
 * invalidation racing a read of the shared tier, validators OkHttp cannot send, a redirect's rules,
 * a 304 that makes an entry private, a body its caller closes early, replayed control messages.
 */
class CacheAdversarialTest {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();

  private final MutableClock clock = MutableClock.startingNow();
  private Origin origin;
  private HttpCache cache;

  @BeforeEach
  void start() throws IOException {
    origin = new Origin();
  }

  @AfterEach
  void stop() {
    if (cache != null) {
      cache.close();
    }
    origin.close();
  }

  private OkHttpClient client(HttpCache c) {
    return TestClients.cached(c, clock);
  }

  /** A shared tier whose invalidations complete only when the test says so. */
  private static final class SlowInvalidations extends ForwardingTier {
    final CompletableFuture<Void> release = new CompletableFuture<>();

    SlowInvalidations(SharedTier delegate) {
      super(delegate);
    }

    @Override
    public CompletionStage<Void> invalidate(String service, String key) {
      return release.thenCompose(v -> super.invalidate(service, key));
    }
  }

  @Test
  void whileAnInvalidationIsUnderWayNoReadTakesTheOldEntryFromTheSharedTier() throws Exception {
    AtomicInteger version = new AtomicInteger(1);
    origin.handler(request -> Answer.of(200, "v" + version.get(), "Cache-Control", "max-age=60"));
    MapSharedTier tier = new MapSharedTier();
    SlowInvalidations slow = new SlowInvalidations(tier);
    cache = HttpCache.builder().clock(clock).sharedTier(slow, SECRET).build();
    OkHttpClient client = client(cache);
    assertThat(TestClients.call(client, "GET", origin.url("/x")).body()).isEqualTo("v1");
    assertThat(tier.values).hasSize(1); // v1 is in the shared tier too

    version.set(2);
    CompletionStage<Void> invalidation = cache.invalidate(origin.url("/x"));
    // The heap is clear, but the shared tier has not deleted yet: a read now must not put v1
    // back into the heap from there.
    assertThat(TestClients.call(client, "GET", origin.url("/x")).body()).isEqualTo("v2");
    slow.release.complete(null);
    invalidation.toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(TestClients.call(client, "GET", origin.url("/x")).body()).isEqualTo("v2");
  }

  @Test
  void aValidatorOkHttpCannotSendNeverBreaksACall() throws Exception {
    origin.handler(
        request -> Answer.of(200, "body", "Cache-Control", "max-age=1", "ETag", "\"caf\u00e9\""));
    cache = HttpCache.builder().clock(clock).build();
    OkHttpClient client = client(cache);
    TestClients.call(client, "GET", origin.url("/etag"));
    clock.advance(Duration.ofSeconds(5)); // stale: it would be revalidated with its ETag
    assertThat(TestClients.call(client, "GET", origin.url("/etag")).body()).isEqualTo("body");
  }

  @Test
  void aResponseAfterARedirectIsNotStoredUnderTheFirstUrl() throws Exception {
    origin.handler(
        request ->
            request.path().equals("/me")
                ? Answer.of(302, "", "Location", "/users/42", "Cache-Control", "private")
                : Answer.of(200, "profile 42", "Cache-Control", "max-age=300"));
    cache = HttpCache.builder().clock(clock).build();
    OkHttpClient client = client(cache);
    TestClients.call(client, "GET", origin.url("/me"));
    TestClients.call(client, "GET", origin.url("/me"));
    assertThat(origin.seen().stream().filter(s -> s.path().equals("/me")).count())
        .as("each caller of /me is redirected by the origin")
        .isEqualTo(2);
  }

  @Test
  void aNotModifiedThatMakesTheEntryPrivateIsNotStored() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    origin.handler(
        request ->
            calls.incrementAndGet() == 1
                ? Answer.of(200, "shared", "Cache-Control", "max-age=1", "ETag", "\"1\"")
                : Answer.of(304, "", "Cache-Control", "private, max-age=60", "ETag", "\"1\""));
    cache = HttpCache.builder().clock(clock).build();
    OkHttpClient client = client(cache);
    TestClients.call(client, "GET", origin.url("/p"));
    clock.advance(Duration.ofSeconds(5));
    assertThat(TestClients.call(client, "GET", origin.url("/p")).body()).isEqualTo("shared");
    assertThat(TestClients.call(client, "GET", origin.url("/p")).cacheStatus())
        .as("the private refresh was not stored")
        .doesNotStartWith("hyperlane-l1; hit");
  }

  @Test
  void aStreamedBodyItsCallerClosesEarlyIsStillStoredWhenTheRestComesAtOnce() throws Exception {
    CountDownLatch rest = new CountDownLatch(1);
    rest.countDown(); // the origin sends everything at once
    try (StreamingOrigin stream = new StreamingOrigin("application/json", "max-age=60", rest)) {
      cache = HttpCache.builder().clock(clock).build();
      OkHttpClient client = new OkHttpClient.Builder().addInterceptor(cache.interceptor()).build();
      try (Response response =
          client.newCall(new Request.Builder().url(stream.url()).build()).execute()) {
        assertThat(response.body().source().readUtf8Line()).isEqualTo("data: 1");
      } // closed after the first line, as a JSON parser that found its end would
      try (Response again =
          client.newCall(new Request.Builder().url(stream.url()).build()).execute()) {
        assertThat(again.header("Cache-Status")).startsWith("hyperlane-l1; hit");
        assertThat(again.body().string()).isEqualTo("data: 1\ndata: 2\ndata: 3\n");
      }
    }
  }

  @Test
  void aCapturedSignedMessageCannotBeReplayedNorAnOldOneUsed() throws Exception {
    origin.handler(request -> Answer.of(200, "x", "Cache-Control", "max-age=600"));
    MapSharedTier tierA = new MapSharedTier();
    MapSharedTier tierB = tierA.peer();
    List<String> captured = new CopyOnWriteArrayList<>();
    tierA.subscribe(
        new SharedTier.Subscriber() {
          @Override
          public void onMessage(String message) {
            captured.add(message);
          }

          @Override
          public void onReconnected() {}
        });
    cache = HttpCache.builder().clock(clock).sharedTier(tierA, SECRET).build();
    try (HttpCache b = HttpCache.builder().clock(clock).sharedTier(tierB, SECRET).build()) {
      OkHttpClient clientB = client(b);
      TestClients.call(clientB, "GET", origin.url("/r"));
      cache.invalidate(origin.url("/r")).toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(captured).hasSize(1);
      assertThat(TestClients.call(clientB, "GET", origin.url("/r")).cacheStatus())
          .as("the genuine message dropped it")
          .isEqualTo("hyperlane; fwd=miss; stored");
      tierA.publish(captured.get(0)); // replayed
      assertThat(TestClients.call(clientB, "GET", origin.url("/r")).cacheStatus())
          .as("the replay was ignored")
          .startsWith("hyperlane-l1; hit");
      clock.advance(Duration.ofMinutes(5));
      String old = captured.get(0).replace(captured.get(0).split(" ")[5], "another-nonce");
      tierA.publish(old); // a changed nonce breaks the signature; an old one is refused anyway
      assertThat(TestClients.call(clientB, "GET", origin.url("/r")).cacheStatus())
          .startsWith("hyperlane-l1; hit");
    }
  }
}
