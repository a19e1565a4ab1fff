package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.Origin.Answer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The L2 logic of the cache over an in-memory tier: two caches stand for two instances of a
 * service. {@code RedisSharedTierTest} repeats the essentials over a real Redis.
 */
class SharedTierTest {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();

  private final MutableClock clock = MutableClock.startingNow();
  private final MapSharedTier tierA = new MapSharedTier();
  private final MapSharedTier tierB = tierA.peer();
  private final List<CacheEvent> eventsB = new CopyOnWriteArrayList<>();
  private Origin origin;
  private HttpCache a;
  private HttpCache b;
  private OkHttpClient clientA;
  private OkHttpClient clientB;

  @BeforeEach
  void start() throws IOException {
    origin = new Origin();
    origin.handler(request -> Answer.of(200, "from origin", "Cache-Control", "max-age=60"));
    a = HttpCache.builder().clock(clock).sharedTier(tierA, SECRET).build();
    b = HttpCache.builder().clock(clock).sharedTier(tierB, SECRET).listener(eventsB::add).build();
    clientA = TestClients.cached(a, clock);
    clientB = TestClients.cached(b, clock);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    origin.close();
  }

  private Reply get(OkHttpClient client, String path, String... headers) throws IOException {
    return TestClients.call(client, "GET", origin.url(path), headers);
  }

  @Test
  void aFillInOneInstanceIsASharedTierHitInAnother() throws IOException {
    get(clientA, "/x");
    clock.advance(Duration.ofSeconds(20));
    Reply fromB = get(clientB, "/x");

    assertThat(origin.count()).isEqualTo(1);
    assertThat(fromB.body()).isEqualTo("from origin");
    assertThat(fromB.cacheStatus()).startsWith("hyperlane-l2; hit");
    assertThat(fromB.header("Age")).isEqualTo("20"); // the age travelled with the entry
    assertThat(get(clientB, "/x").cacheStatus()).startsWith("hyperlane-l1; hit"); // promoted
    assertThat(b.stats().service("127.0.0.1").l2Hits()).isEqualTo(1);
  }

  @Test
  void aTamperedSharedEntryIsRejectedAsAMiss() throws IOException {
    get(clientA, "/t");
    String key = tierA.values.keySet().iterator().next();
    byte[] value = tierA.values.get(key).clone();
    value[value.length / 2] ^= 1;
    tierA.values.put(key, value);

    Reply fromB = get(clientB, "/t");
    assertThat(fromB.cacheStatus()).startsWith("hyperlane; fwd=miss");
    assertThat(origin.count()).isEqualTo(2);
    assertThat(eventsB).contains(new CacheEvent.SharedTierEntryRejected("127.0.0.1"));
    assertThat(b.stats().service("127.0.0.1").sharedTierErrors()).isEqualTo(1);
  }

  @Test
  void anEntryWrittenWithAnotherSecretIsAMiss() throws IOException {
    HttpCache stranger =
        HttpCache.builder()
            .clock(clock)
            .sharedTier(tierA.peer(), "another secret, 16+ bytes".getBytes())
            .build();
    get(clientA, "/s");
    assertThat(get(TestClients.cached(stranger, clock), "/s").cacheStatus())
        .startsWith("hyperlane; fwd=miss");
  }

  @Test
  void responsesThatSetCookiesAreStoredInNoTier() throws IOException {
    origin.handler(
        request -> Answer.of(200, "x", "Cache-Control", "max-age=60", "Set-Cookie", "session=abc"));
    get(clientA, "/cookie");
    assertThat(get(clientA, "/cookie").cacheStatus()).isEqualTo("hyperlane; fwd=miss");
    assertThat(tierA.values).isEmpty();
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void aFailingTierIsInvisibleToCallersAndUsedAgainWhenItRecovers() throws IOException {
    tierA.failing = true;
    assertThat(get(clientA, "/f").code()).isEqualTo(200);
    assertThat(get(clientA, "/f").cacheStatus()).startsWith("hyperlane-l1; hit");
    assertThat(a.stats().service("127.0.0.1").sharedTierErrors()).isPositive();

    tierA.failing = false;
    clock.advance(Duration.ofSeconds(2)); // past the pause after a failure
    get(clientA, "/g");
    assertThat(get(clientB, "/g").cacheStatus()).startsWith("hyperlane-l2; hit");
  }

  @Test
  void aRevalidationRefreshesTheEntryInEveryTier() throws IOException {
    origin.handler(
        request ->
            request.header("If-None-Match") != null
                ? Answer.of(304, "", "Cache-Control", "max-age=60")
                : Answer.of(200, "etagged", "ETag", "\"1\"", "Cache-Control", "max-age=60"));
    get(clientA, "/e");
    clock.advance(Duration.ofSeconds(90));
    get(clientA, "/e"); // 304: fresh again, in L1 and L2
    Reply fromB = get(clientB, "/e");
    assertThat(fromB.cacheStatus()).startsWith("hyperlane-l2; hit");
    assertThat(fromB.body()).isEqualTo("etagged");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void invalidationsReachTheOtherInstancesHeap() throws IOException {
    get(clientA, "/i");
    get(clientB, "/i"); // now in B's heap too
    a.invalidate(origin.url("/i"));

    assertThat(tierA.values).isEmpty();
    assertThat(get(clientB, "/i").cacheStatus()).startsWith("hyperlane; fwd=miss");
    assertThat(eventsB).contains(new CacheEvent.Invalidated("127.0.0.1", null, true));
  }

  @Test
  void aReconnectedChannelClearsTheHeap() throws IOException {
    get(clientB, "/r");
    tierA.values.clear(); // so that only the heap could answer
    tierB.reconnectAll();
    assertThat(get(clientB, "/r").cacheStatus()).startsWith("hyperlane; fwd=miss");
  }

  @Test
  void malformedInvalidationMessagesAreIgnored() throws IOException {
    get(clientB, "/m");
    String key = HttpCache.key(origin.url("/m"));
    for (String garbage :
        new String[] {
          "",
          "1",
          "2 x key 127.0.0.1:abc",
          "1 x key nocolon",
          "2 x frob 127.0.0.1 sig",
          "2 x key :leading sig",
          "x".repeat(5000),
          // well formed, but unsigned or signed with another secret: anyone who can PUBLISH
          "2 intruder key " + key + " forged",
          "2 intruder service " + origin.url("/").host(),
          "2 intruder service "
              + origin.url("/").host()
              + " "
              + new Envelope("another secret, 32 bytes long!!".getBytes())
                  .sign("2 intruder service " + origin.url("/").host())
        }) {
      tierA.publish(garbage);
    }
    assertThat(get(clientB, "/m").cacheStatus()).startsWith("hyperlane-l1; hit");
    assertThat(b.stats().services())
        .as("no counters for names from messages")
        .containsOnlyKeys(origin.url("/").host());
  }
}
