package io.hyperlane.examples;

import feign.Feign;
import feign.Param;
import feign.RequestLine;
import io.hyperlane.client.Hyperlane;
import okhttp3.OkHttpClient;

/**
 * OpenFeign through Hyperlane: {@code feign-okhttp}'s client takes an {@code OkHttpClient}, so a
 * wrapped one is all it needs; the interface's URL is the service's name.
 */
public final class FeignRecipe {

  /** The service's API, as a Feign interface. */
  public interface Inventory {
    @RequestLine("GET /items/{id}")
    String item(@Param("id") String id);
  }

  /** The part to copy: Feign's OkHttp client over the wrapped client. */
  static Inventory inventory(Hyperlane hyperlane, OkHttpClient base) {
    return Feign.builder()
        .client(new feign.okhttp.OkHttpClient(hyperlane.wrap(base)))
        .target(Inventory.class, "http://inventory");
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  public static void main(String[] args) throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      System.out.println(run(a.url(), b.url()));
    }
  }

  /** Four calls through Feign; the answers, which name the replica that gave them. */
  public static String run(String... replicas) {
    OkHttpClient base = new OkHttpClient();
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas).build()) {
      Inventory inventory = inventory(hyperlane, base);
      StringBuilder answers = new StringBuilder();
      for (int i = 0; i < 4; i++) {
        answers.append(inventory.item(Integer.toString(i)));
      }
      return answers.toString();
    } finally {
      base.dispatcher().executorService().shutdown();
    }
  }
}
