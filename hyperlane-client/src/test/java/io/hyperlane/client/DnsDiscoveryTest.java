package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CallFailedException;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * DNS discovery against real replicas on two loopback addresses (127.0.0.1 and 127.0.0.2, same
 * port), with a fake resolver and fake time.
 */
class DnsDiscoveryTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();
  private final AtomicInteger lookups = new AtomicInteger();
  private volatile List<InetAddress> answer;
  private volatile IOException failure;

  private List<InetAddress> resolve(String host) throws IOException {
    lookups.incrementAndGet();
    assertThat(host).isEqualTo("inventory.test");
    if (failure != null) {
      throw failure;
    }
    return answer;
  }

  private Hyperlane build(int port) {
    return FakeTimes.drive(time, Hyperlane.builder())
        .slowStart(SlowStart.disabled())
        .service(
            "inventory",
            s ->
                s.discovery(
                    DnsDiscovery.builder("inventory.test")
                        .port(port)
                        .ttl(Duration.ofSeconds(5))
                        .resolver(this::resolve)
                        .build()))
        .build();
  }

  private void startTwoAddresses() {
    replicas = new Replicas();
    replicas.add("127.0.0.1", 0);
    replicas.add("127.0.0.2", replicas.server(0).port());
  }

  @Test
  void reResolvesWhenTheTtlExpiresEvenUnderConstantTraffic() throws Exception {
    startTwoAddresses();
    answer = List.of(InetAddress.getByName("127.0.0.1"));
    try (Hyperlane hyperlane = build(replicas.server(0).port())) {
      OkHttpClient client = hyperlane.wrap(base);
      int[] served = new int[2];
      // 200 calls without a pause, 100 ms of traffic time apart: 20 s in all, 4 TTLs.
      for (int i = 0; i < 200; i++) {
        if (i == 60) { // the record changes at 6 s; the next refresh is due at 10 s
          answer = List.of(InetAddress.getByName("127.0.0.2"));
        }
        int replica = Replicas.get(client, "http://inventory/items/" + i);
        assertThat(replica).as("call %s answered", i).isGreaterThanOrEqualTo(0);
        if (i < 100) {
          assertThat(replica).as("call %s, before the refresh at 10 s", i).isZero();
        } else {
          assertThat(replica).as("call %s, after the refresh at 10 s", i).isEqualTo(1);
        }
        served[replica]++;
        time.advance(Duration.ofMillis(100));
      }
      assertThat(served).containsExactly(100, 100);
      assertThat(lookups.get()).as("one lookup at start, one per 5 s TTL").isEqualTo(1 + 4);
    }
  }

  @Test
  void callsFromSeveralThreadsNeverFailWhileTheAddressSetChanges() throws Exception {
    startTwoAddresses();
    answer = List.of(InetAddress.getByName("127.0.0.1"));
    try (Hyperlane hyperlane = build(replicas.server(0).port())) {
      OkHttpClient client = hyperlane.wrap(base);
      List<String> failures = new CopyOnWriteArrayList<>();
      AtomicInteger calls = new AtomicInteger();
      AtomicBoolean switched = new AtomicBoolean();
      AtomicInteger oldAfterSwitch = new AtomicInteger();
      CountDownLatch beforeSwitch = new CountDownLatch(200);
      CountDownLatch afterSwitch = new CountDownLatch(200);
      ExecutorService callers = Executors.newFixedThreadPool(4);
      try {
        for (int c = 0; c < 4; c++) {
          callers.execute(
              () -> {
                while (afterSwitch.getCount() > 0 && calls.incrementAndGet() < 20_000) {
                  boolean after = switched.get();
                  try {
                    int replica = Replicas.get(client, "http://inventory/");
                    if (after) {
                      if (replica == 0) {
                        oldAfterSwitch.incrementAndGet();
                      }
                      afterSwitch.countDown();
                    } else {
                      beforeSwitch.countDown();
                    }
                  } catch (IOException e) {
                    failures.add(e.toString());
                  }
                }
              });
        }
        assertThat(beforeSwitch.await(30, TimeUnit.SECONDS)).isTrue(); // traffic flows
        answer = List.of(InetAddress.getByName("127.0.0.2"));
        time.advance(Duration.ofSeconds(5)); // the refresh runs here, under the callers' feet
        switched.set(true);
        assertThat(afterSwitch.await(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        callers.shutdown(); // each caller stops by itself once 200 calls ran after the switch
        assertThat(callers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(failures).isEmpty();
      assertThat(oldAfterSwitch.get())
          .as("calls that started after the switch but went to the " + "old address")
          .isZero();
    }
  }

  @Test
  void picksUpEveryAddressOfTheName() throws Exception {
    startTwoAddresses();
    answer = List.of(InetAddress.getByName("127.0.0.1"), InetAddress.getByName("127.0.0.2"));
    try (Hyperlane hyperlane = build(replicas.server(0).port())) {
      assertThat(hyperlane.snapshot().service("inventory").endpoints())
          .extracting(EndpointSnapshot::origin)
          .containsExactly(replicas.url(0), replicas.url(1));
    }
  }

  @Test
  void aFailedLookupKeepsTheLastKnownGoodSetAndRecovers() throws Exception {
    startTwoAddresses();
    answer = List.of(InetAddress.getByName("127.0.0.1"));
    try (Hyperlane hyperlane = build(replicas.server(0).port());
        LogCapture logs = new LogCapture()) {
      OkHttpClient client = hyperlane.wrap(base);
      failure = new UnknownHostException("inventory.test: SERVFAIL");
      for (int i = 0; i < 30; i++) { // 15 s of outage, refreshes retried every 5 s
        assertThat(Replicas.get(client, "http://inventory/")).isZero();
        time.advance(Duration.ofMillis(500));
      }
      assertThat(hyperlane.snapshot().service("inventory").discoveryFailures()).isEqualTo(3);
      assertThat(logs.lines("WARN")).as("one warning for the whole outage").hasSize(1);

      failure = null;
      answer = List.of(InetAddress.getByName("127.0.0.2"));
      time.advance(Duration.ofSeconds(5));
      assertThat(Replicas.get(client, "http://inventory/")).isEqualTo(1);

      failure = new UnknownHostException("inventory.test: SERVFAIL"); // a second outage warns again
      time.advance(Duration.ofSeconds(15));
      assertThat(logs.lines("WARN")).hasSize(2);
    }
  }

  @Test
  void garbageFromTheResolverKeepsTheLastKnownGoodSet() throws Exception {
    startTwoAddresses();
    answer = List.of(InetAddress.getByName("127.0.0.1"));
    try (Hyperlane hyperlane = build(replicas.server(0).port())) {
      OkHttpClient client = hyperlane.wrap(base);
      answer = List.of(); // an empty answer
      time.advance(Duration.ofSeconds(5));
      answer = Arrays.asList(InetAddress.getByName("127.0.0.2"), null); // a null address
      time.advance(Duration.ofSeconds(5));
      answer = null; // nothing at all
      time.advance(Duration.ofSeconds(5));
      assertThat(Replicas.get(client, "http://inventory/")).isZero();
      assertThat(hyperlane.snapshot().service("inventory").discoveryFailures()).isEqualTo(3);
    }
  }

  @Test
  void aNameThatDoesNotResolveAtStartStartsEmptyAndFillsInLater() throws Exception {
    startTwoAddresses();
    failure = new UnknownHostException("inventory.test");
    try (Hyperlane hyperlane = build(replicas.server(0).port())) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThatThrownBy(() -> Replicas.get(client, "http://inventory/"))
          .isInstanceOf(CallFailedException.class)
          .cause()
          .isInstanceOf(NoEndpointException.class)
          .hasMessageContaining("inventory");
      failure = null;
      answer = List.of(InetAddress.getByName("127.0.0.1"));
      time.advance(Duration.ofSeconds(5));
      assertThat(Replicas.get(client, "http://inventory/")).isZero();
    }
  }

  @Test
  void closeCancelsTheRefreshTimer() throws Exception {
    startTwoAddresses();
    answer = List.of(InetAddress.getByName("127.0.0.1"));
    Hyperlane hyperlane = build(replicas.server(0).port());
    assertThat(time.pendingTasks()).isEqualTo(1);
    hyperlane.close();
    assertThat(time.pendingTasks()).isZero();
    time.advance(Duration.ofMinutes(1));
    assertThat(lookups.get()).isEqualTo(1);
  }
}
