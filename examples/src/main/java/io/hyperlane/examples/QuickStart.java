package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** The README's quick start: two replicas of "inventory", called by name through Hyperlane. */
public final class QuickStart {

  public static void main(String[] args) throws IOException {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      System.out.print(run(a.url(), b.url()));
    }
  }

  /** Calls {@code http://inventory/items/42} four times and returns what came back. */
  public static String run(String replicaA, String replicaB) throws IOException {
    OkHttpClient okHttp = new OkHttpClient(); // the client you already have
    StringBuilder out = new StringBuilder();
    try (Hyperlane hyperlane =
        Hyperlane.builder().service("inventory", replicaA, replicaB).build()) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      for (int i = 0; i < 4; i++) {
        Request request = new Request.Builder().url("http://inventory/items/42").build();
        try (Response response = client.newCall(request).execute()) {
          out.append(response.code()).append(' ').append(response.body().string());
        }
      }
      out.append(hyperlane.snapshot().service("inventory").requests()).append(" calls\n");
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
    return out.toString();
  }
}
