package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.Origin.Answer;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Read-your-write against fills already in flight: a GET that started before a write (or an {@code
 * invalidate()}) completed must not hand its older body to a caller that arrives after the write,
 * nor leave it in any tier. The origin holds the first GET on a latch, so the order is forced,
 * never timed.
 */
class FencingTest {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();

  private final MutableClock clock = MutableClock.startingNow();
  private final MapSharedTier tierA = new MapSharedTier();
  private final MapSharedTier tierB = tierA.peer();
  private final AtomicReference<String> version = new AtomicReference<>("v1");
  private final AtomicInteger gets = new AtomicInteger();
  private final CountDownLatch firstGetArrived = new CountDownLatch(1);
  private final CountDownLatch releaseFirstGet = new CountDownLatch(1);
  private Origin origin;
  private HttpCache a;
  private HttpCache b;
  private OkHttpClient clientA;
  private OkHttpClient clientB;

  @BeforeEach
  void start() throws IOException {
    origin = new Origin();
    origin.handler(
        request -> {
          if (!request.method().equals("GET")) {
            version.set("v2");
            return Answer.of(204, "");
          }
          String body = version.get(); // read when the request arrives, as a server would
          if (gets.incrementAndGet() == 1) {
            firstGetArrived.countDown();
            releaseFirstGet.await(10, TimeUnit.SECONDS);
          }
          return Answer.of(200, body, "Cache-Control", "max-age=60");
        });
    a = HttpCache.builder().clock(clock).sharedTier(tierA, SECRET).build();
    b = HttpCache.builder().clock(clock).sharedTier(tierB, SECRET).build();
    clientA = TestClients.cached(a, clock);
    clientB = TestClients.cached(b, clock);
  }

  @AfterEach
  void stop() {
    releaseFirstGet.countDown();
    a.close();
    b.close();
    origin.close();
  }

  private String get(OkHttpClient client) throws IOException {
    return TestClients.call(client, "GET", origin.url("/item")).body();
  }

  /** Starts a GET through {@code client} that the origin holds; returns when it is held. */
  private CompletableFuture<String> heldGet(OkHttpClient client) throws InterruptedException {
    CompletableFuture<String> held =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return get(client);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(firstGetArrived.await(10, TimeUnit.SECONDS)).isTrue();
    return held;
  }

  @ParameterizedTest
  @ValueSource(strings = {"PUT", "invalidate(url)", "invalidateService"})
  void aFillThatStartedBeforeAWriteIsNeitherSharedNorStored(String write) throws Exception {
    CompletableFuture<String> stale = heldGet(clientA);
    writeThrough(write, a, clientA);
    assertThat(get(clientA)).as("the writer's next read").isEqualTo("v2");

    releaseFirstGet.countDown();
    assertThat(stale.get(10, TimeUnit.SECONDS))
        .as("the old read, to its own caller")
        .isEqualTo("v1");
    assertThat(get(clientA)).as("after the old fill ended, here").isEqualTo("v2");
    assertThat(get(clientB)).as("after the old fill ended, in another instance").isEqualTo("v2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"PUT", "invalidate(url)", "invalidateService"})
  void aFillInAnotherInstanceThatStartedBeforeAWriteNeverReachesTheSharedTier(String write)
      throws Exception {
    CompletableFuture<String> stale = heldGet(clientA);
    writeThrough(write, b, clientB);
    releaseFirstGet.countDown();
    assertThat(stale.get(10, TimeUnit.SECONDS)).isEqualTo("v1");
    assertThat(get(clientB)).as("the writer's instance").isEqualTo("v2");
    assertThat(get(clientA)).as("the instance whose fill was old").isEqualTo("v2");
  }

  private void writeThrough(String write, HttpCache cache, OkHttpClient client) throws Exception {
    Consumer<String> none = s -> {};
    switch (write) {
      case "PUT" -> TestClients.call(client, "PUT", origin.url("/item"));
      case "invalidate(url)" -> {
        TestClients.call(client, "PUT", origin.url("/other")); // the origin changes silently
        cache.invalidate(origin.url("/item")).toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
      case "invalidateService" -> {
        TestClients.call(client, "PUT", origin.url("/other"));
        cache
            .invalidateService(origin.url("/").host())
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
      }
      default -> none.accept(write);
    }
  }
}
