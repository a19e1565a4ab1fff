package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.resilience.CallOptions;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Per-call options: one call gets its own timeout and no retry, while the service keeps its own
 * policies for every other call. {@link #FAST_LOOKUP} and {@link #fastLookup} are the part to copy.
 */
public final class CallOptionsRecipe {

  /** Shared by every call that must answer within 200 ms, or not at all. */
  static final CallOptions FAST_LOOKUP =
      CallOptions.builder()
          .timeout(Duration.ofMillis(200)) // instead of the service's timeout
          .retry(RetryPolicy.none()) // a late answer is worth nothing: do not try again
          .build();

  /** A request that runs under {@link #FAST_LOOKUP}. */
  static Request fastLookup(String url) {
    return new Request.Builder().url(url).tag(CallOptions.class, FAST_LOOKUP).build();
  }

  public static void main(String[] args) throws IOException {
    System.out.println(run("http://127.0.0.1:8081"));
  }

  /** Calls a service once with the options; returns the status, or what the failure says. */
  public static String run(String endpoint) throws IOException {
    try (Hyperlane hyperlane =
        Hyperlane.builder().timeout(Duration.ofSeconds(5)).service("inventory", endpoint).build()) {
      OkHttpClient client = hyperlane.wrap(new OkHttpClient());
      try (Response response = client.newCall(fastLookup("http://inventory/items/42")).execute()) {
        return "answered " + response.code();
      } catch (IOException e) {
        return e.getMessage(); // "deadline of 200 ms exceeded for inventory: ..."
      }
    }
  }
}
