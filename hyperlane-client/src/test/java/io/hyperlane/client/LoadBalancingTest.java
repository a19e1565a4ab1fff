package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Load balancing over real loopback replicas. */
class LoadBalancingTest extends LoopbackTest {

  @Test
  void roundRobinSpreadsRequestsExactlyEvenly() throws Exception {
    replicas = Replicas.start(3);
    try (Hyperlane hyperlane = Hyperlane.builder()
        .service("inventory", replicas.urls())
        .loadBalancer(LoadBalancerPolicy.roundRobin())
        .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      int[] served = new int[3];
      for (int i = 0; i < 300; i++) {
        served[Replicas.get(client, "http://inventory/items/" + i)]++;
      }
      assertThat(served).containsExactly(100, 100, 100);
      for (int i = 0; i < 3; i++) {
        assertThat(replicas.received(i)).isEqualTo(100);
        assertThat(hyperlane.snapshot().service("inventory").endpoint(replicas.url(i)).orElseThrow()
            .requests()).isEqualTo(100);
      }
    }
  }

  @Test
  void roundRobinHonoursWeightsExactly() throws Exception {
    replicas = Replicas.start(2);
    try (Hyperlane hyperlane = Hyperlane.builder()
        .service("inventory", s -> s
            .endpoint(replicas.url(0), 3)
            .endpoint(replicas.url(1), 1)
            .loadBalancer(LoadBalancerPolicy.roundRobin()))
        .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      int[] served = new int[2];
      for (int i = 0; i < 200; i++) {
        served[Replicas.get(client, "http://inventory/")]++;
      }
      assertThat(served).containsExactly(150, 50);
    }
  }

  @Test
  void peakEwmaSendsASlowReplicaLessThanTenPercent() throws Exception {
    replicas = Replicas.start(3);
    replicas.answer(2, 200, 20); // the slow one: +20 ms
    try (Hyperlane hyperlane = Hyperlane.builder()
        .service("inventory", replicas.urls())
        .build()) { // peak-EWMA is the default
      OkHttpClient client = hyperlane.wrap(base);
      int[] served = sendConcurrently(client, 4, 150);
      int total = served[0] + served[1] + served[2];
      assertThat(total).isEqualTo(600);
      assertThat(served[2]).as("requests served by the slow replica, of %s", total)
          .isLessThan(total / 10);
      assertThat(hyperlane.snapshot().service("inventory").endpoint(replicas.url(2)).orElseThrow()
          .latencyEwma()).isGreaterThanOrEqualTo(Duration.ofMillis(15));
    }
  }

  @Test
  void peakEwmaKeepsTrafficOffAReplicaThatFailsFast() throws Exception {
    // linkerd2#11669: an endpoint answering 503 at once looks like the fastest one.
    replicas = Replicas.start(3);
    replicas.answer(0, 200, 5);
    replicas.answer(1, 200, 5);
    replicas.answer(2, 503, 0);
    try (Hyperlane hyperlane = Hyperlane.builder()
        .service("inventory", replicas.urls())
        .outlierDetection(OutlierDetection.disabled()) // the balancer alone must avoid it
        .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      int[] served = sendConcurrently(client, 2, 150);
      assertThat(served[2]).as("requests sent to the failing replica, of 300").isLessThan(30);
    }
  }

  /** Sends {@code perCaller} GETs from each of {@code callers} threads; counts who served them. */
  static int[] sendConcurrently(OkHttpClient client, int callers, int perCaller)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<int[]>> futures = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        futures.add(pool.submit(() -> {
          int[] served = new int[8];
          for (int i = 0; i < perCaller; i++) {
            int replica = Replicas.get(client, "http://inventory/load");
            served[replica]++;
          }
          return served;
        }));
      }
      int[] total = new int[8];
      for (Future<int[]> f : futures) {
        int[] served = f.get(60, TimeUnit.SECONDS);
        for (int i = 0; i < total.length; i++) {
          total[i] += served[i];
        }
      }
      return total;
    } finally {
      pool.shutdownNow();
    }
  }
}
