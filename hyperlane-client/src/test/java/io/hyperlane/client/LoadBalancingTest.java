package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/** Load balancing over real loopback replicas. */
class LoadBalancingTest extends LoopbackTest {

  @Test
  void roundRobinSpreadsRequestsExactlyEvenly() throws Exception {
    replicas = Replicas.start(3);
    try (Hyperlane hyperlane =
        Hyperlane.builder()
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
        assertThat(
                hyperlane
                    .snapshot()
                    .service("inventory")
                    .endpoint(replicas.url(i))
                    .orElseThrow()
                    .requests())
            .isEqualTo(100);
      }
    }
  }

  @Test
  void roundRobinHonoursWeightsExactly() throws Exception {
    replicas = Replicas.start(2);
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .service(
                "inventory",
                s ->
                    s.endpoint(replicas.url(0), 3)
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
    replicas.warmUp(base);
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .service("inventory", replicas.urls())
            .build()) { // peak-EWMA is the default
      OkHttpClient client = hyperlane.wrap(base);
      int[] served = sendConcurrently(client, 4, 150);
      int total = served[0] + served[1] + served[2];
      assertThat(total).isEqualTo(600);
      assertThat(served[2])
          .as("requests served by the slow replica, of %s", total)
          .isLessThan(total / 10);
      assertThat(
              hyperlane
                  .snapshot()
                  .service("inventory")
                  .endpoint(replicas.url(2))
                  .orElseThrow()
                  .latencyEwma())
          .isGreaterThanOrEqualTo(Duration.ofMillis(15));
    }
  }

  @Test
  void peakEwmaKeepsTrafficOffAReplicaThatFailsFast() throws Exception {
    // linkerd2#11669: an endpoint answering 503 at once looks like the fastest one.
    replicas = Replicas.start(3);
    for (int i = 0; i < 3; i++) {
      replicas.answer(i, 200, 5);
    }
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .service("inventory", replicas.urls())
            // The balancer alone must avoid it: no ejection, no circuit, no retry hiding the 503s.
            .outlierDetection(OutlierDetection.disabled())
            .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
            .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
            .retry(RetryPolicy.none())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      sendConcurrently(client, 2, 30); // all healthy: connections and estimates settle
      replicas.answer(2, 503, 0); // now it fails, and fast
      int before = replicas.received(2);
      sendConcurrently(client, 2, 150);
      // Without the penalty it would keep about a third (its 5 ms estimate only drifts down).
      assertThat(replicas.received(2) - before)
          .as("requests that reached the failing replica, of 300")
          .isLessThan(30);
    }
  }

  /** Sends {@code perCaller} GETs from each of {@code callers} threads; counts who served them. */
  static int[] sendConcurrently(OkHttpClient client, int callers, int perCaller) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<int[]>> futures = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        futures.add(
            pool.submit(
                () -> {
                  int[] served = new int[8];
                  for (int i = 0; i < perCaller; i++) {
                    int replica = Replicas.get(client, "http://inventory/load");
                    served[replica]++; // the replica that answered, whatever the status
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

  @Test
  void aSeededGeneratorRepeatsEveryPickAndAttemptInterceptorsSeeTheEndpoint() throws Exception {
    String[] origins = {
      "http://127.0.0.1:9001",
      "http://127.0.0.1:9002",
      "http://127.0.0.1:9003",
      "http://127.0.0.1:9004",
      "http://127.0.0.1:9005"
    };
    List<String> first = picks(new Random(42), origins);
    List<String> second = picks(new Random(42), origins);
    List<String> other = picks(new Random(43), origins);
    assertThat(first)
        .hasSize(200)
        .allSatisfy(url -> assertThat(url).startsWith("http://127.0.0.1:900"));
    assertThat(second).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    assertThat(new HashSet<>(first)).as("every endpoint drawn").hasSize(5);
  }

  /**
   * The URL each of 200 calls was sent to, answered by an attempt interceptor: no socket opened.
   */
  private static List<String> picks(Random random, String... origins) throws Exception {
    List<String> seen = new ArrayList<>();
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .service("inventory", origins)
            .loadBalancer(LoadBalancerPolicy.leastInFlight())
            .random(random)
            .attemptInterceptor(
                chain -> {
                  seen.add(chain.request().url().toString());
                  return new Response.Builder()
                      .request(chain.request())
                      .protocol(Protocol.HTTP_1_1)
                      .code(200)
                      .message("OK")
                      .body(ResponseBody.create("", null))
                      .build();
                })
            .build()) {
      OkHttpClient client = hyperlane.wrap(new OkHttpClient());
      for (int i = 0; i < 200; i++) {
        try (Response response =
            client
                .newCall(new Request.Builder().url("http://inventory/items/" + i).build())
                .execute()) {
          assertThat(response.code()).isEqualTo(200);
        }
      }
    }
    for (int i = 0; i < seen.size(); i++) {
      assertThat(seen.get(i)).as("the routed URL keeps the path").endsWith("/items/" + i);
      seen.set(i, seen.get(i).substring(0, seen.get(i).indexOf("/items/")));
    }
    return seen;
  }
}
