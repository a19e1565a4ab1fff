package io.hyperlane.examples;

import io.hyperlane.client.Endpoint;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.client.RouteRule;
import io.hyperlane.client.RoutingRules;
import io.hyperlane.client.StickyKey;
import io.hyperlane.client.ZonePreference;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Routing: a 90/10 canary between two versions of a service, beta testers (a header) always on the
 * new version, calls kept in the caller's zone, and a cart service whose users stick to one
 * instance.
 */
public final class RoutingRecipe {

  /** The routing rules: a header rule for beta testers first, then a 90/10 canary. */
  static RoutingRules rules() {
    return RoutingRules.of(
        RouteRule.named("beta-testers") // first match wins: the header rule comes first
            .service("inventory")
            .header("X-User-Group", "beta")
            .to("inventory", Map.of("version", "v2"), 1)
            .build(),
        RouteRule.named("canary")
            .service("inventory")
            .to("inventory", Map.of("version", "v1"), 90)
            .to("inventory", Map.of("version", "v2"), 10)
            .build());
  }

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String v1, String v2, String cartA, String cartB) {
    return Hyperlane.builder()
        .routing(rules()) // replace later, atomically, with hyperlane.replaceRouting(...)
        .zonePreference(ZonePreference.local("zone-a")) // stay in zone-a while it is healthy
        .service(
            "inventory",
            s ->
                s.endpoint(Endpoint.builder(v1).metadata("version", "v1").zone("zone-a").build())
                    .endpoint(
                        Endpoint.builder(v2).metadata("version", "v2").zone("zone-a").build()))
        .service(
            "carts",
            s ->
                s.endpoint(cartA)
                    .endpoint(cartB)
                    .loadBalancer(LoadBalancerPolicy.consistentHash("X-User-Id")))
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** Which replica answered, counted per replica name, for each kind of call. */
  public record Outcome(
      Map<String, Integer> canary, Map<String, Integer> beta, Map<String, Integer> sticky) {}

  public static void main(String[] args) throws IOException {
    try (LocalReplica v1 = LocalReplica.start("v1");
        LocalReplica v2 = LocalReplica.start("v2");
        LocalReplica cartA = LocalReplica.start("cart-a");
        LocalReplica cartB = LocalReplica.start("cart-b")) {
      Outcome outcome = run(v1.url(), v2.url(), cartA.url(), cartB.url());
      System.out.println("canary (90/10):   " + outcome.canary());
      System.out.println("beta testers:     " + outcome.beta());
      System.out.println("user-42's carts:  " + outcome.sticky());
    }
  }

  public static Outcome run(String v1, String v2, String cartA, String cartB) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = configure(v1, v2, cartA, cartB)) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      Map<String, Integer> canary = new LinkedHashMap<>();
      Map<String, Integer> beta = new LinkedHashMap<>();
      Map<String, Integer> sticky = new LinkedHashMap<>();
      for (int i = 0; i < 200; i++) {
        count(canary, client, new Request.Builder().url("http://inventory/items/" + i));
      }
      for (int i = 0; i < 20; i++) {
        count(
            beta,
            client,
            new Request.Builder()
                .url("http://inventory/items/" + i)
                .header("X-User-Group", "beta"));
      }
      for (int i = 0; i < 10; i++) {
        count(
            sticky,
            client,
            new Request.Builder().url("http://carts/current").header("X-User-Id", "user-42"));
        // or, without a header: .tag(StickyKey.class, new StickyKey("user-42"))
        count(
            sticky,
            client,
            new Request.Builder()
                .url("http://carts/current")
                .tag(StickyKey.class, new StickyKey("user-42")));
      }
      return new Outcome(canary, beta, sticky);
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }

  private static void count(
      Map<String, Integer> counts, OkHttpClient client, Request.Builder request)
      throws IOException {
    try (Response response = client.newCall(request.build()).execute()) {
      counts.merge(response.header("X-Replica"), 1, Integer::sum);
    }
  }
}
