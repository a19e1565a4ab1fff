package io.hyperlane.examples;

import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.client.OutlierDetection;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Outlier detection that compares replicas with each other: a replica far slower than the others
 * (or failing far more often) is ejected for a while, even though it never fails five times in a
 * row.
 */
public final class OutlierDetectionRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String... replicas) {
    return Hyperlane.builder()
        .outlierDetection(
            OutlierDetection.builder()
                .interval(Duration.ofSeconds(1)) // compare every second...
                .window(Duration.ofSeconds(10)) // ...over the last 10 s
                .requestVolume(20) // an endpoint needs 20 calls in the window to be judged
                .latencyFactor(3) // 3× the median answer time, and...
                .latencyMargin(Duration.ofMillis(5)) // ...5 ms more, is an outlier
                .failureRateMargin(0.05) // 5 points above the median failure rate is too
                .baseEjectionTime(Duration.ofSeconds(30))
                .build())
        // Round robin keeps calling the slow replica until it is ejected: the rule at work.
        .loadBalancer(LoadBalancerPolicy.roundRobin())
        .service("inventory", replicas)
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** Which endpoints were ejected, and why. */
  public record Outcome(List<String> ejected, List<String> why) {}

  public static void main(String[] args) throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b");
        LocalReplica slow = LocalReplica.start("slow", Duration.ofMillis(40))) {
      System.out.println(run(a.url(), b.url(), slow.url()));
    }
  }

  public static Outcome run(String... replicas) throws IOException, InterruptedException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = configure(replicas)) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline && ejected(hyperlane).isEmpty()) {
        try (Response response =
            client
                .newCall(new Request.Builder().url("http://inventory/items/1").build())
                .execute()) {
          response.body().string();
        }
      }
      List<EndpointSnapshot> out = ejected(hyperlane);
      return new Outcome(
          out.stream().map(EndpointSnapshot::origin).toList(),
          out.stream().map(EndpointSnapshot::ejectedFor).toList());
    } finally {
      okHttp.connectionPool().evictAll();
    }
  }

  private static List<EndpointSnapshot> ejected(Hyperlane hyperlane) {
    return hyperlane.snapshot().service("inventory").endpoints().stream()
        .filter(EndpointSnapshot::ejected)
        .toList();
  }
}
