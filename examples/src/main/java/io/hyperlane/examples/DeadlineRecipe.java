package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.resilience.Deadline;
import io.hyperlane.resilience.DeadlineExceededException;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Deadlines: a total timeout per service, one deadline for a whole unit of work, and the remaining
 * time read back from the header a caller sent.
 */
public final class DeadlineRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String fast, String slow) {
    return Hyperlane.builder()
        .timeout(Duration.ofSeconds(5)) // every service call: 5 s in all, retries included
        .service("inventory", fast)
        .service("pricing", s -> s.endpoint(slow).timeout(Duration.ofMillis(300)))
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** What happened: the fast call's status, and whether the slow one hit its deadline. */
  public record Outcome(int fastStatus, boolean slowTimedOut, long inheritedMillis) {}

  public static void main(String[] args) throws IOException {
    try (LocalReplica fast = LocalReplica.start("fast");
        LocalReplica slow = LocalReplica.start("slow", Duration.ofSeconds(2))) {
      System.out.println(run(fast.url(), slow.url()));
    }
  }

  @SuppressWarnings("try") // the scope works by being open
  public static Outcome run(String fast, String slow) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = configure(fast, slow)) {
      OkHttpClient client = hyperlane.wrap(okHttp);

      // A request handler: the caller said it has 1.5 s left (header X-Hyperlane-Timeout-Ms).
      Deadline inherited =
          Deadline.fromHeader("1500").orElse(Deadline.after(Duration.ofSeconds(2)));
      int fastStatus;
      boolean slowTimedOut = false;
      try (Deadline.Scope scope = inherited.enter()) {
        try (Response response =
            client
                .newCall(new Request.Builder().url("http://inventory/items/42").build())
                .execute()) {
          fastStatus = response.code(); // inventory was told how much of the 1.5 s is left
        }
        try (Response response =
            client.newCall(new Request.Builder().url("http://pricing/quote").build()).execute()) {
          response.body().string();
        } catch (DeadlineExceededException e) {
          slowTimedOut = true; // pricing's own 300 ms ran out first
        }
      }
      return new Outcome(fastStatus, slowTimedOut, inherited.remaining().toMillis());
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
