package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.Origin.Answer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Response headers an origin (or anything on the way) may send that are not what RFC 9111 expects:
 * the cache answers with a defined result, never an unchecked exception, through {@code execute()}
 * and {@code enqueue()} alike.
 */
class HostileHeadersTest {

  private final MutableClock clock = MutableClock.startingNow();
  private Origin origin;
  private HttpCache cache;
  private OkHttpClient client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.dispatcher().executorService().shutdownNow();
      client.connectionPool().evictAll();
    }
    if (cache != null) {
      cache.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  /** A cache whose origin answers 200 with {@code name: value} (no Date rewriting). */
  private void serve(String name, String value) throws IOException {
    origin = new Origin();
    origin.handler(request -> Answer.of(200, "body", "Cache-Control", "max-age=60"));
    cache = HttpCache.builder().clock(clock).build();
    client =
        new OkHttpClient.Builder()
            .addInterceptor(cache.interceptor())
            .addNetworkInterceptor(
                chain -> {
                  Response response = chain.proceed(chain.request());
                  return response
                      .newBuilder()
                      .headers(
                          response
                              .headers()
                              .newBuilder()
                              .removeAll(name)
                              .addUnsafeNonAscii(name, value)
                              .build())
                      .build();
                })
            .build();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Date: Sat Jan  1 00:00:00 +300000000",
        "Date: Sun, 06 Nov 292278994 08:49:37 GMT",
        "Expires: Sun, 06 Nov -1994 08:49:37 GMT",
        "Expires: Fri, 31 Dec 99999 23:59:59 GMT",
        "Last-Modified: Sat Jan  1 00:00:00 +300000000",
        "Age: 99999999999999999999999999",
        "Cache-Control: max-age=99999999999999999999",
        "Cache-Control: s-maxage=9223372036854775808, stale-if-error=99999999999999999999",
        "Vary: \u00ff, *, x",
        "Cache-Control: max-age=\"60, private=\"\u00e9\"",
        "Expires: Sun, 06 Nov 1994 08:49:37 GMT garbage after it"
      })
  void aHostileFieldNeverBreaksACallSyncOrAsync(String field) throws Exception {
    int colon = field.indexOf(':');
    serve(field.substring(0, colon), field.substring(colon + 2));
    Request request = new Request.Builder().url(origin.url("/hostile")).build();
    for (int i = 0; i < 2; i++) { // the second may be answered from the cache
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.body().string()).isEqualTo("body");
      }
      CompletableFuture<String> async = new CompletableFuture<>();
      client
          .newCall(request)
          .enqueue(
              new Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                  async.completeExceptionally(e);
                }

                @Override
                public void onResponse(Call call, Response response) throws IOException {
                  try (response) {
                    async.complete(response.body().string());
                  }
                }
              });
      assertThat(async.get(10, TimeUnit.SECONDS)).isEqualTo("body");
    }
  }

  @Test
  void aFieldWithANameOkHttpCouldNotWriteIsLeftOutOfTheStoredCopy() throws Exception {
    cache = HttpCache.builder().clock(clock).build();
    client = new OkHttpClient.Builder().addInterceptor(cache.interceptor()).build();
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread responder =
          new Thread(
              () -> {
                try (Socket socket = server.accept()) {
                  socket.getInputStream().read(new byte[8192]);
                  socket
                      .getOutputStream()
                      .write(
                          ("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
                                  + "Bad Name: x\r\n\u00e9t\u00e9: y\r\nContent-Length: 4\r\n\r\nbody")
                              .getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException ignored) {
                  // the test's assertions report what went wrong
                }
              });
      responder.start();
      String url = "http://127.0.0.1:" + server.getLocalPort() + "/lenient";
      for (int i = 0; i < 2; i++) { // the second from the cache: no server is left to answer
        try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
          assertThat(response.code()).isEqualTo(200);
          assertThat(response.body().string()).isEqualTo("body");
          assertThat(response.header("Bad Name")).isEqualTo(i == 0 ? "x" : null);
        }
      }
      responder.join(5_000);
    }
  }

  @Test
  void maxAgeBeyondRangeSaturatesInsteadOfOverflowing() {
    assertThat(Directives.parseSeconds("99999999999999999999")).isEqualTo(Directives.MAX_SECONDS);
    assertThat(Directives.parseSeconds("9223372036854775807")).isEqualTo(Directives.MAX_SECONDS);
    assertThat(Directives.parseSeconds("0000000000000000000000060")).isEqualTo(60);
  }

  @Test
  void obsoleteDateFormsAreReadAndTwoDigitYearsFollowTheFiftyYearRule() {
    long now = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
    assertThat(date("Sunday, 06-Nov-94 08:49:37 GMT", now))
        .isEqualTo(Instant.parse("1994-11-06T08:49:37Z").toEpochMilli());
    assertThat(date("Sun Nov  6 08:49:37 1994", now))
        .isEqualTo(Instant.parse("1994-11-06T08:49:37Z").toEpochMilli());
    // "60" is 34 years ahead: not more than 50, so 2060 (OkHttp alone reads 1960)
    assertThat(date("Monday, 01-Jan-60 00:00:00 GMT", now))
        .isEqualTo(Instant.parse("2060-01-01T00:00:00Z").toEpochMilli());
    // "77" would be 51 years ahead: the most recent past year ending in 77
    assertThat(date("Saturday, 01-Jan-77 00:00:00 GMT", now))
        .isEqualTo(Instant.parse("1977-01-01T00:00:00Z").toEpochMilli());
  }

  private static long date(String value, long now) {
    return HttpDates.parse(okhttp3.Headers.of("Date", value), "Date", now);
  }

  @Test
  void everyDurationSettingRefusesWhatItCannotHoldWithANamedError() {
    for (Duration extreme :
        new Duration[] {
          Duration.ofSeconds(Long.MAX_VALUE, 999_999_999),
          Duration.ofSeconds(Long.MIN_VALUE),
          Duration.ofNanos(-1)
        }) {
      List<Runnable> settings =
          List.of(
              () -> HttpCache.builder().defaultStaleIfError(extreme).build().close(),
              () -> HttpCache.builder().defaultStaleWhileRevalidate(extreme).build().close(),
              () -> HttpCache.builder().sharedTierTimeout(extreme).build().close(),
              () -> HttpCache.builder().heuristicFreshness(0.1, extreme).build().close(),
              () -> RedisSharedTier.builder("redis://127.0.0.1:1").timeout(extreme),
              () -> RedisSharedTier.builder("redis://127.0.0.1:1").connectTimeout(extreme),
              () -> RedisSharedTier.builder("redis://127.0.0.1:1").maxReconnectDelay(extreme));
      for (Runnable setting : settings) {
        org.assertj.core.api.Assertions.assertThatThrownBy(setting::run)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(extreme.toString());
      }
    }
  }
}
