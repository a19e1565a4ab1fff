package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.client.OutlierDetection;
import io.hyperlane.client.ServiceSnapshot;
import io.hyperlane.client.SlowStart;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Tuning how a service's calls are spread: a balancing policy, weights, slow start and outlier
 * ejection, set for every service on the builder and overridden for one service. The broken
 * replica's failures are retried on the others (retries are on by default) until it is ejected.
 */
public final class LoadBalancingRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String big, String small, String broken) {
    return Hyperlane.builder()
        // Defaults for every service.
        .loadBalancer(LoadBalancerPolicy.peakEwma(Duration.ofSeconds(10), Duration.ofSeconds(1)))
        .slowStart(SlowStart.of(Duration.ofSeconds(60), 0.05))
        .outlierDetection(
            OutlierDetection.builder()
                .consecutiveFailures(3)
                .baseEjectionTime(Duration.ofSeconds(30))
                .maxEjectedShare(0.34)
                .build())
        // This service overrides the policy: weighted round robin, 3:1:1.
        .service(
            "inventory",
            s ->
                s.endpoint(big, 3)
                    .endpoint(small, 1)
                    .endpoint(broken, 1)
                    .loadBalancer(LoadBalancerPolicy.roundRobin()))
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  public static void main(String[] args) throws IOException {
    try (LocalReplica big = LocalReplica.start("big");
        LocalReplica small = LocalReplica.start("small");
        LocalReplica broken = LocalReplica.start("broken")) {
      broken.status(503);
      ServiceSnapshot snapshot = run(big.url(), small.url(), broken.url());
      snapshot.endpoints().forEach(System.out::println);
    }
  }

  /** Sends 40 calls to "inventory" and returns its snapshot. */
  public static ServiceSnapshot run(String big, String small, String broken) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = configure(big, small, broken)) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      for (int i = 0; i < 40; i++) {
        try (Response response =
            client.newCall(new Request.Builder().url("http://inventory/items").build()).execute()) {
          response.body().string();
        }
      }
      return hyperlane.snapshot().service("inventory");
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
