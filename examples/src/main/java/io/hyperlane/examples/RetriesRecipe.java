package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Retries: a GET that fails on one replica is retried on another; a POST is retried only because it
 * carries an {@code Idempotency-Key}; every decision is seen by a listener.
 */
public final class RetriesRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String broken, String healthy, ResilienceListener listener) {
    return Hyperlane.builder()
        .retry(
            RetryPolicy.builder()
                .maxAttempts(3)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(200))
                .build())
        .retryBudget(RetryBudget.builder().maxRetryShare(0.1).build())
        .listener(listener) // must be fast and never throw
        .service("inventory", broken, healthy)
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** What the recipe saw: the status of each call, and the retry decisions. */
  public record Outcome(int getStatus, int postStatus, List<ResilienceEvent> events) {}

  public static void main(String[] args) throws IOException {
    try (LocalReplica broken = LocalReplica.start("broken");
        LocalReplica healthy = LocalReplica.start("healthy")) {
      broken.status(503);
      Outcome outcome = run(broken.url(), healthy.url());
      System.out.println("GET -> " + outcome.getStatus() + ", POST -> " + outcome.postStatus());
      outcome.events().forEach(System.out::println);
    }
  }

  public static Outcome run(String broken, String healthy) throws IOException {
    List<ResilienceEvent> events = new CopyOnWriteArrayList<>();
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = configure(broken, healthy, events::add)) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      int get;
      try (Response response =
          client
              .newCall(new Request.Builder().url("http://inventory/items/42").build())
              .execute()) {
        get = response.code();
      }
      int post;
      Request order =
          new Request.Builder()
              .url("http://inventory/orders")
              .header(RetryPolicy.IDEMPOTENCY_KEY, "order-7f3a") // the server deduplicates on it
              .post(RequestBody.create("{\"item\":42}", MediaType.get("application/json")))
              .build();
      try (Response response = client.newCall(order).execute()) {
        post = response.code();
      }
      return new Outcome(get, post, List.copyOf(events));
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
