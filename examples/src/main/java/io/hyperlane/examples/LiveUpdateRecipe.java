package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Live policy updates: change a running service's timeout, retries, hedging or balancer — from your
 * configuration system's change callback, say — without restarting anything.
 */
public final class LiveUpdateRecipe {

  /** The update to copy: call it when your configuration changes. */
  static void apply(Hyperlane hyperlane, Duration timeout, int attempts) {
    hyperlane.updateService(
        "inventory",
        s ->
            s.timeout(timeout)
                .retry(RetryPolicy.builder().maxAttempts(attempts).build())
                .hedging(HedgingPolicy.adaptive())
                .loadBalancer(LoadBalancerPolicy.peakEwma()));
  }

  // ---- below: how the smoke test runs the recipe against a local replica ----

  /** What the call saw before and after the update, and what describe() says. */
  public record Outcome(String before, String after, String described) {}

  public static void main(String[] args) throws IOException {
    try (LocalReplica slow = LocalReplica.start("slow", Duration.ofMillis(300))) {
      System.out.println(run(slow.url()));
    }
  }

  public static Outcome run(String slowReplica) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .timeout(Duration.ofSeconds(5))
            .service("inventory", slowReplica)
            .build()) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      String before = call(client);
      apply(hyperlane, Duration.ofMillis(100), 1); // now the 300 ms replica is too slow
      String after = call(client);
      return new Outcome(before, after, hyperlane.describe());
    } finally {
      okHttp.connectionPool().evictAll();
    }
  }

  private static String call(OkHttpClient client) {
    try (Response response =
        client.newCall(new Request.Builder().url("http://inventory/items/1").build()).execute()) {
      return String.valueOf(response.code());
    } catch (IOException e) {
      return e.getClass().getSimpleName();
    }
  }
}
