package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.discovery.ConsulDiscovery;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Consul: the passing instances of each service, followed with blocking queries. Copy {@link
 * #withConsul}; one {@link ConsulDiscovery} serves every service.
 */
public final class ConsulRecipe {

  /** Services found in the Consul agent at {@code agentUrl} (such as http://127.0.0.1:8500). */
  static Hyperlane.Builder withConsul(Hyperlane.Builder builder, String agentUrl) {
    ConsulDiscovery.Builder consul = ConsulDiscovery.builder(agentUrl);
    String token = System.getenv("CONSUL_HTTP_TOKEN"); // with ACLs
    if (token != null) {
      consul.token(token);
    }
    // consul.datacenter("eu-west-1");  // another datacenter than the agent's
    ConsulDiscovery discovery = consul.build();
    return builder.service(
        "inventory",
        s -> s.discovery(discovery).awaitEndpoints(Duration.ofSeconds(5))); // or start empty
  }

  public static void main(String[] args) throws IOException {
    System.out.println(run(args.length > 0 ? args[0] : "http://127.0.0.1:8500"));
  }

  // ---- below: how the smoke test runs the recipe (against a stand-in for the agent's API) ----

  /** Finds the inventory through the agent at {@code agentUrl} and calls it once. */
  public static String run(String agentUrl) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane = withConsul(Hyperlane.builder(), agentUrl).build()) {
      try (Response response =
          hyperlane
              .wrap(okHttp)
              .newCall(new Request.Builder().url("http://inventory/items/42").build())
              .execute()) {
        return response.code() + " " + response.body().string().trim();
      }
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
