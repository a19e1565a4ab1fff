package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.Origin.Answer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import okhttp3.Authenticator;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cache's promises to the users of a multi-user server, tried through every other path that
 * reaches them: credentials added below the cache (a network interceptor, OkHttp's {@link
 * Authenticator}), cookies, a caller's own {@code Host}, a caller's own {@code Accept-Encoding}.
 */
class CacheSafetyTest {

  private final MutableClock clock = MutableClock.startingNow();
  private Origin origin;
  private HttpCache cache;

  @BeforeEach
  void start() throws IOException {
    origin = new Origin();
    cache = HttpCache.builder().clock(clock).build();
  }

  @AfterEach
  void stop() {
    cache.close();
    origin.close();
  }

  /** The profile of whoever the origin was told the caller is, cacheable for a minute. */
  private void profiles() {
    origin.handler(
        request ->
            request.header("Authorization") == null
                ? Answer.of(401, "who are you?", "WWW-Authenticate", "Basic realm=\"shop\"")
                : Answer.of(
                    200,
                    "profile of " + request.header("Authorization"),
                    "Cache-Control",
                    "max-age=60"));
  }

  private static String get(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    }
  }

  private Request as(String user) {
    return new Request.Builder().url(origin.url("/me")).tag(String.class, user).build();
  }

  @Test
  void credentialsAddedByANetworkInterceptorKeepAResponsePrivate() throws Exception {
    profiles();
    OkHttpClient client =
        new OkHttpClient.Builder()
            .addInterceptor(cache.interceptor())
            .addNetworkInterceptor(
                chain ->
                    chain.proceed(
                        chain
                            .request()
                            .newBuilder()
                            .header("Authorization", chain.request().tag(String.class))
                            .build()))
            .build();
    assertThat(get(client, as("alice"))).isEqualTo("profile of alice");
    assertThat(get(client, as("bob"))).isEqualTo("profile of bob");
  }

  @Test
  void credentialsAddedByAnAuthenticatorAfterA401KeepAResponsePrivate() throws Exception {
    profiles();
    OkHttpClient client =
        new OkHttpClient.Builder()
            .addInterceptor(cache.interceptor())
            .authenticator(
                (route, response) ->
                    response
                        .request()
                        .newBuilder()
                        .header("Authorization", response.request().tag(String.class))
                        .build())
            .build();
    assertThat(get(client, as("alice"))).isEqualTo("profile of alice");
    assertThat(get(client, as("bob"))).isEqualTo("profile of bob");
  }

  @Test
  void concurrentCallersWithCredentialsAddedBelowNeverShareOneResponse() throws Exception {
    CountDownLatch bobWaits = new CountDownLatch(1);
    origin.handler(
        request -> {
          if (request.header("Authorization").equals("alice")) {
            bobWaits.await(5, TimeUnit.SECONDS); // bob's identical request waits on alice's (L0)
          }
          return Answer.of(
              200, "profile of " + request.header("Authorization"), "Cache-Control", "max-age=60");
        });
    OkHttpClient client =
        new OkHttpClient.Builder()
            .addInterceptor(cache.interceptor())
            .addNetworkInterceptor(
                chain ->
                    chain.proceed(
                        chain
                            .request()
                            .newBuilder()
                            .header("Authorization", chain.request().tag(String.class))
                            .build()))
            .build();
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try {
      Future<String> alice = callers.submit(() -> get(client, as("alice")));
      while (origin.count() == 0) {
        Thread.onSpinWait(); // alice's request is at the origin: she leads
      }
      Future<String> bob = callers.submit(() -> get(client, as("bob")));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (cache.waiters.get() == 0 && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      assertThat(cache.waiters.get()).as("bob waits on alice's request").isEqualTo(1);
      bobWaits.countDown();
      assertThat(alice.get(10, TimeUnit.SECONDS)).isEqualTo("profile of alice");
      assertThat(bob.get(10, TimeUnit.SECONDS)).isEqualTo("profile of bob");
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aStoredSetCookieIsNeverReplayedToAnotherCaller() throws Exception {
    int[] sessions = {0};
    origin.handler(
        request ->
            Answer.of(
                200,
                "home",
                "Cache-Control",
                "max-age=60",
                "Set-Cookie",
                "session=" + (++sessions[0])));
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(cache.interceptor()).build();
    try (Response first =
        client.newCall(new Request.Builder().url(origin.url("/")).build()).execute()) {
      assertThat(first.header("Set-Cookie")).isEqualTo("session=1");
    }
    try (Response second =
        client.newCall(new Request.Builder().url(origin.url("/")).build()).execute()) {
      assertThat(second.header("Set-Cookie")).isEqualTo("session=2");
    }
    assertThat(origin.count()).as("a response that sets a cookie is not stored").isEqualTo(2);
  }

  @Test
  void twoCallersWithDifferentHostsNeverShareAnEntry() throws Exception {
    origin.handler(
        request ->
            Answer.of(200, "tenant " + request.header("Host"), "Cache-Control", "max-age=60"));
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(cache.interceptor()).build();
    Request.Builder request = new Request.Builder().url(origin.url("/catalog"));
    assertThat(get(client, request.header("Host", "tenant-a.example").build()))
        .isEqualTo("tenant tenant-a.example");
    assertThat(get(client, request.header("Host", "tenant-b.example").build()))
        .isEqualTo("tenant tenant-b.example");
    assertThat(get(client, request.header("Host", "tenant-a.example").build()))
        .as("each still from the cache")
        .isEqualTo("tenant tenant-a.example");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void aCompressedBodyNeverReachesACallerThatDidNotAskForIt() throws Exception {
    origin.handler(
        request -> {
          String accepted = request.header("Accept-Encoding");
          return accepted != null && accepted.contains("gzip")
              ? Answer.gzipped(200, "plain catalog", "Cache-Control", "max-age=60")
              : Answer.of(200, "plain catalog", "Cache-Control", "max-age=60");
        });
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(cache.interceptor()).build();
    // The first caller asks for gzip itself, so it gets (and decodes) the compressed bytes...
    try (Response compressed =
        client
            .newCall(
                new Request.Builder()
                    .url(origin.url("/c"))
                    .header("Accept-Encoding", "gzip")
                    .build())
            .execute()) {
      assertThat(compressed.header("Content-Encoding")).isEqualTo("gzip");
      compressed.body().bytes();
    }
    // ...the next relies on OkHttp's transparent decompression: it must get the plain text.
    assertThat(get(client, new Request.Builder().url(origin.url("/c")).build()))
        .isEqualTo("plain catalog");
  }

  @Test
  void anEventStreamReachesItsCallerAtOnceAndIsNotBuffered() throws Exception {
    CountDownLatch firstEventRead = new CountDownLatch(1);
    try (StreamingOrigin stream =
        new StreamingOrigin("text/event-stream", "no-cache", firstEventRead)) {
      OkHttpClient client = new OkHttpClient.Builder().addInterceptor(cache.interceptor()).build();
      CompletableFuture<String> first =
          CompletableFuture.supplyAsync(
              () -> {
                try (Response response =
                    client.newCall(new Request.Builder().url(stream.url()).build()).execute()) {
                  String event = response.body().source().readUtf8Line();
                  firstEventRead.countDown(); // only now does the origin send the rest
                  return event;
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("data: 1");
    }
  }

  @Test
  void aStorableChunkedResponseStreamsToItsCallerAndIsStoredWhenItEnds() throws Exception {
    CountDownLatch firstRead = new CountDownLatch(1);
    try (StreamingOrigin stream =
        new StreamingOrigin("application/x-ndjson", "max-age=60", firstRead)) {
      OkHttpClient client = new OkHttpClient.Builder().addInterceptor(cache.interceptor()).build();
      CompletableFuture<String> whole =
          CompletableFuture.supplyAsync(
              () -> {
                try (Response response =
                    client.newCall(new Request.Builder().url(stream.url()).build()).execute()) {
                  String line = response.body().source().readUtf8Line();
                  firstRead.countDown();
                  return line + "\n" + response.body().string();
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(whole.get(10, TimeUnit.SECONDS)).isEqualTo("data: 1\ndata: 2\ndata: 3\n");
      try (Response again =
          client.newCall(new Request.Builder().url(stream.url()).build()).execute()) {
        assertThat(again.header("Cache-Status")).startsWith("hyperlane-l1; hit");
        assertThat(again.body().string()).isEqualTo("data: 1\ndata: 2\ndata: 3\n");
      }
    }
  }

  static byte[] gzip(String text) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
