package io.hyperlane.examples;

import io.hyperlane.client.DnsSrvDiscovery;
import io.hyperlane.client.Hyperlane;
import java.time.Duration;

/**
 * DNS SRV: host, port and weight of each instance from SRV records, such as a Kubernetes headless
 * Service's or Consul's DNS interface publish. Copy {@link #withDnsSrv}.
 */
public final class DnsSrvRecipe {

  /** The instances named by the SRV records of {@code recordName}. */
  static Hyperlane.Builder withDnsSrv(Hyperlane.Builder builder, String recordName) {
    DnsSrvDiscovery srv =
        DnsSrvDiscovery.builder(recordName) // such as _http._tcp.inventory.shop.svc.cluster.local
            .refreshEvery(Duration.ofSeconds(10)) // 30 s by default
            .build();
    return builder.service("inventory", s -> s.discovery(srv));
  }

  public static void main(String[] args) {
    String name = args.length > 0 ? args[0] : "_http._tcp.inventory.shop.svc.cluster.local";
    try (Hyperlane hyperlane = withDnsSrv(Hyperlane.builder(), name).build()) {
      System.out.println(hyperlane.describe());
      System.out.println(hyperlane.snapshot());
    }
  }
}
