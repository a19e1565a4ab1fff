package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitOpenException;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Circuits: when every replica of a service fails, the service's circuit opens and calls fail at
 * once, without touching the network, until probes find it healthy again.
 */
public final class CircuitBreakerRecipe {

  /** The configuration to copy; returns the builder, to which the scaffolding adds its own. */
  static Hyperlane.Builder configure(String a, String b) {
    return Hyperlane.builder()
        .serviceCircuitBreaker(
            CircuitBreakerPolicy.serviceDefaults().toBuilder() // the rest: the defaults
                .window(10)
                .minimumCalls(10)
                .failureRateAbove(0.5) // a fraction
                .openFor(Duration.ofSeconds(30))
                .build())
        .service("inventory", a, b);
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** How many calls failed with a 5xx, and how many were refused by the open circuit. */
  public record Outcome(int failed, int rejected) {}

  public static void main(String[] args) throws IOException {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      a.status(503);
      b.status(503);
      System.out.println(run(a.url(), b.url()));
    }
  }

  public static Outcome run(String a, String b) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane =
        configure(a, b)
            .retry(RetryPolicy.none()) // the scaffolding's: one attempt per call, to count them
            .build()) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      int failed = 0;
      int rejected = 0;
      for (int i = 0; i < 25; i++) {
        try (Response response =
            client.newCall(new Request.Builder().url("http://inventory/items").build()).execute()) {
          if (response.code() >= 500) {
            failed++;
          }
        } catch (CircuitOpenException e) {
          rejected++; // no request was sent
        }
      }
      return new Outcome(failed, rejected);
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
