package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.resilience.HedgingPolicy;
import java.io.IOException;
import java.time.Duration;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Hedging: a call still running after the service's usual latency gets a second attempt on another
 * replica; the first answer wins and the other attempt is cancelled.
 */
public final class HedgingRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String stuck, String quick) {
    return Hyperlane.builder()
        // In production: HedgingPolicy.adaptive(), which hedges after the service's recent p95.
        .hedging(HedgingPolicy.fixed(Duration.ofMillis(100), 1))
        .service(
            "inventory",
            s ->
                s.endpoint(stuck)
                    .endpoint(quick)
                    .loadBalancer(
                        LoadBalancerPolicy.roundRobin())) // the first call goes to "stuck"
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** Which replica answered, and how long the call took. */
  public record Outcome(String answeredBy, Duration took) {}

  public static void main(String[] args) throws IOException {
    try (LocalReplica stuck = LocalReplica.start("stuck", Duration.ofSeconds(3));
        LocalReplica quick = LocalReplica.start("quick")) {
      System.out.println(run(stuck.url(), quick.url()));
    }
  }

  public static Outcome run(String stuck, String quick) throws IOException {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequestsPerHost(32); // hedges are extra calls: leave them room
    OkHttpClient okHttp = new OkHttpClient.Builder().dispatcher(dispatcher).build();
    try (Hyperlane hyperlane = configure(stuck, quick)) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      long started = System.nanoTime();
      try (Response response =
          client
              .newCall(new Request.Builder().url("http://inventory/items/42").build())
              .execute()) {
        return new Outcome(
            response.header("X-Replica"), Duration.ofNanos(System.nanoTime() - started));
      }
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
