package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.resilience.ConcurrencyLimit;
import io.hyperlane.resilience.LimitExceededException;
import io.hyperlane.resilience.RateLimit;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Limits: at most 5 calls per second to "pricing", and an adaptive cap on calls in flight to
 * "inventory" that shrinks when it answers 503 and grows back when it is healthy.
 */
public final class LimitsRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String inventory, String pricing) {
    return Hyperlane.builder()
        .concurrencyLimit(
            ConcurrencyLimit.builder()
                .initialLimit(20)
                .maxLimit(100)
                .maxWait(Duration.ofMillis(50)) // wait a little for a free slot before refusing
                .build())
        .service("inventory", inventory)
        .service("pricing", s -> s.endpoint(pricing).rateLimit(RateLimit.perSecond(5)))
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** How many of 8 calls to pricing were sent, and how many were refused. */
  public record Outcome(int sent, int refused) {}

  public static void main(String[] args) throws IOException {
    try (LocalReplica inventory = LocalReplica.start("inventory");
        LocalReplica pricing = LocalReplica.start("pricing")) {
      System.out.println(run(inventory.url(), pricing.url()));
    }
  }

  public static Outcome run(String inventory, String pricing) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = configure(inventory, pricing)) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      try (Response response =
          client.newCall(new Request.Builder().url("http://inventory/items").build()).execute()) {
        response.body().string();
      }
      int sent = 0;
      int refused = 0;
      for (int i = 0; i < 8; i++) {
        try (Response response =
            client.newCall(new Request.Builder().url("http://pricing/quote").build()).execute()) {
          response.body().string();
          sent++;
        } catch (LimitExceededException e) {
          refused++; // not sent: back off, or serve something cached
        }
      }
      return new Outcome(sent, refused);
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
