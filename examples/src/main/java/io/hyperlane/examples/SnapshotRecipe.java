package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.Snapshot;
import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The snapshot and the configuration report: {@code describe()} once at start, the snapshot as a
 * table for people and as JSON for an admin endpoint or a log line. {@link #report} is the part to
 * copy.
 */
public final class SnapshotRecipe {

  /** What an admin page or a periodic log line would show. */
  static String report(Hyperlane hyperlane) {
    Snapshot snapshot = hyperlane.snapshot();
    return snapshot + "\n" + snapshot.toJson() + "\n";
  }

  public static void main(String[] args) throws IOException {
    System.out.println(run("http://127.0.0.1:8081", "http://127.0.0.1:8082"));
  }

  /** Makes a few calls, then returns the configuration report and the snapshot in both forms. */
  public static String run(String... endpoints) throws IOException {
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", endpoints).build()) {
      OkHttpClient client = hyperlane.wrap(new OkHttpClient());
      for (int i = 0; i < 6; i++) {
        Request request = new Request.Builder().url("http://inventory/items/" + i).build();
        try (Response response = client.newCall(request).execute()) {
          response.body().string();
        }
      }
      return hyperlane.describe() + "\n" + report(hyperlane);
    }
  }
}
