package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CallFailedException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Threads Hyperlane starts, and that close() stops them all. */
class LifecycleTest {

  /**
   * The threads of Hyperlane instances; not the timer and work threads all of them share for
   * deadlines and hedges (daemons that end themselves when idle), which must outlive an instance's
   * close() so that calls in flight still end by their deadlines.
   */
  private static Set<Thread> hyperlaneThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(HyperlaneThreads.THREAD_PREFIX) && t.isAlive())
        .filter(
            t ->
                !(t.getName().equals("hyperlane-shared-timer")
                        || t.getName().equals("hyperlane-work"))
                    || !t.isDaemon())
        .collect(Collectors.toSet());
  }

  @Test
  void closeLeavesNoThreadOfHyperlaneRunning() throws Exception {
    CountDownLatch refreshed = new CountDownLatch(2);
    Hyperlane hyperlane =
        Hyperlane.builder()
            .service(
                "inventory",
                s ->
                    s.discovery(
                        DnsDiscovery.builder("inventory.test")
                            .ttl(Duration.ofMillis(100))
                            .resolver(
                                host -> {
                                  refreshed.countDown();
                                  return List.of(InetAddress.getLoopbackAddress());
                                })
                            .build()))
            .build();
    // The initial lookup ran in build(); the second one runs on Hyperlane's own threads.
    assertThat(refreshed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(hyperlaneThreads()).isNotEmpty();

    hyperlane.close();

    assertThat(hyperlaneThreads()).isEmpty();
  }

  @Test
  void staticServicesStartNoThreadAtAll() {
    Set<Thread> before = hyperlaneThreads();
    try (Hyperlane hyperlane =
        Hyperlane.builder().service("inventory", "http://127.0.0.1:1").build()) {
      assertThat(hyperlane.snapshot().services()).hasSize(1);
      assertThat(hyperlaneThreads()).isEqualTo(before);
    }
  }

  @Test
  void aClosedInstanceRefusesCallsAndWrapping() {
    OkHttpClient base = new OkHttpClient();
    Hyperlane hyperlane = Hyperlane.builder().service("inventory", "http://127.0.0.1:1").build();
    OkHttpClient client = hyperlane.wrap(base);
    hyperlane.close();
    hyperlane.close(); // idempotent
    assertThatThrownBy(() -> Replicas.get(client, "http://inventory/"))
        .isInstanceOf(CallFailedException.class)
        .cause()
        .isInstanceOf(NoEndpointException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> hyperlane.wrap(base)).isInstanceOf(IllegalStateException.class);
  }
}
