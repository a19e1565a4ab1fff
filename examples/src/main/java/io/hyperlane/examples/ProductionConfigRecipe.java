package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.OutlierDetection;
import io.hyperlane.resilience.ConcurrencyLimit;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A reference configuration for production: copy {@link #production()} and register your services
 * on it. Each line says why it differs from the default, or why the default is written out;
 * `hyperlane.describe()` shows the result, setting by setting.
 */
public final class ProductionConfigRecipe {

  /** The settings every service shares; add {@code .service(…)} and {@code .build()}. */
  static Hyperlane.Builder production() {
    return Hyperlane.builder()
        // There is no total timeout by default: without one a call may take 3 attempts × OkHttp's
        // 10 s phases. Pick the longest a caller will wait, and give slow services their own.
        .timeout(Duration.ofSeconds(2))
        // The defaults, written out: 3 attempts of idempotent requests (a POST only when it
        // provably never left), on I/O errors, 502, 503, 504. The attempt timeout bounds each
        // attempt's connect, write and every read (not the attempt as a whole): 3 × 500 ms and the
        // pauses fit in the 2 s above, so a hung endpoint still leaves time for the others.
        .retry(RetryPolicy.builder().maxAttempts(3).attemptTimeout(Duration.ofMillis(500)).build())
        // Retries may add at most 20% load (and 10/s) to a service that is failing.
        .retryBudget(RetryBudget.ofDefaults())
        // Hedge the slowest ~5% of idempotent calls once, never more than 10% of calls.
        .hedging(HedgingPolicy.adaptive())
        // Shed load before a struggling service queues it: an AIMD limit per service.
        .concurrencyLimit(ConcurrencyLimit.aimd())
        // The default ejection, written out: 5 failures in a row, 30 s, at most half the endpoints.
        .outlierDetection(OutlierDetection.defaults())
        // Every short host name this client calls is a service: refuse typos (off by default,
        // since short names can be real hosts under DNS search domains).
        .typoGuard(true)
        // Say at start what every service runs under.
        .logConfiguration(true);
  }

  public static void main(String[] args) throws IOException {
    System.out.println(run("http://127.0.0.1:8081", "http://127.0.0.1:8082"));
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** Builds the configuration with one service, calls it once, returns the description. */
  public static String run(String... endpoints) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = production().service("inventory", endpoints).build()) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      try (Response response =
          client
              .newCall(new Request.Builder().url("http://inventory/items/42").build())
              .execute()) {
        return response.code() + "\n" + hyperlane.describe();
      }
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
