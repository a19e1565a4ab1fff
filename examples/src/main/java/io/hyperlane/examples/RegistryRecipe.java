package io.hyperlane.examples;

import io.hyperlane.client.Endpoint;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.ServiceSnapshot;
import io.hyperlane.discovery.EtcdDiscovery;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A registry: one application registers its instance in etcd (under a lease Hyperlane keeps alive
 * and revokes on close), another finds it there and calls it by service name. Needs an etcd: pass
 * its URL or set {@code HYPERLANE_ETCD_URL} ({@code ./scripts/test} starts one). Consul ({@code
 * ConsulDiscovery}), Kubernetes ({@code KubernetesDiscovery.inCluster()}) and DNS SRV ({@code
 * DnsSrvDiscovery}) plug in the same way: {@code s.discovery(...)}.
 */
public final class RegistryRecipe {

  public static void main(String[] args) throws IOException {
    String etcdUrl = args.length > 0 ? args[0] : System.getenv("HYPERLANE_ETCD_URL");
    if (etcdUrl == null) {
      System.err.println("give an etcd URL, such as http://127.0.0.1:2379");
      return;
    }
    try (LocalReplica inventory = LocalReplica.start("inventory-1")) {
      ServiceSnapshot seen = run(etcdUrl, inventory.url(), "/hyperlane/services/");
      System.out.println("the caller found: " + seen.endpoints());
    }
  }

  /** Registers {@code instanceUrl}, calls it through a second Hyperlane, returns what it saw. */
  @SuppressWarnings("try") // inventoryApp works by being open: it keeps the registration alive
  public static ServiceSnapshot run(String etcdUrl, String instanceUrl, String keyPrefix)
      throws IOException {
    EtcdDiscovery etcd = EtcdDiscovery.builder(etcdUrl).keyPrefix(keyPrefix).build();
    OkHttpClient okHttp = new OkHttpClient();
    // The inventory service's own process: registers itself while it runs.
    try (Hyperlane inventoryApp =
            Hyperlane.builder()
                .selfRegistration(
                    etcd.registration(
                        "inventory",
                        "inventory-1",
                        Endpoint.builder(instanceUrl)
                            .zone("zone-a")
                            .metadata("version", "v1")
                            .build(),
                        Duration.ofSeconds(10)))
                .build();
        // A caller: finds the inventory in etcd, and follows it as instances come and go.
        Hyperlane caller =
            Hyperlane.builder()
                .service(
                    "inventory",
                    s ->
                        s.discovery(etcd)
                            .awaitEndpoints(
                                Duration.ofSeconds(5))) // fail build() rather than start empty
                .build()) {
      try (Response response =
          caller
              .wrap(okHttp)
              .newCall(new Request.Builder().url("http://inventory/items/42").build())
              .execute()) {
        System.out.println(
            "GET http://inventory/items/42 -> "
                + response.code()
                + " "
                + response.body().string().trim());
      }
      return caller.snapshot().service("inventory");
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
