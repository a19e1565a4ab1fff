package io.hyperlane.examples;

import io.hyperlane.client.DnsDiscovery;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.ServiceSnapshot;
import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.stream.Collectors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A service whose endpoints are every address of a DNS name, re-resolved each TTL. Here the name is
 * {@code localhost}, kept to its IPv4 addresses; in production it is a name with one A record per
 * instance (a Kubernetes headless Service, a Consul DNS name, a round-robin record).
 */
public final class DnsDiscoveryRecipe {

  public static void main(String[] args) throws IOException {
    try (LocalReplica replica = LocalReplica.start("dns")) {
      System.out.println(run(replica.port()));
    }
  }

  /** Calls the service once and returns its snapshot. */
  public static ServiceSnapshot run(int port) throws IOException {
    DnsDiscovery discovery =
        DnsDiscovery.builder("localhost")
            .port(port)
            .ttl(Duration.ofSeconds(10))
            // Keep IPv4 only: the stand-in replica listens on 127.0.0.1.
            .resolver(
                host ->
                    DnsDiscovery.Resolver.system().resolve(host).stream()
                        .filter(address -> address instanceof Inet4Address)
                        .collect(Collectors.toList()))
            .build();
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane =
        Hyperlane.builder().service("inventory", s -> s.discovery(discovery)).build()) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      try (Response response =
          client.newCall(new Request.Builder().url("http://inventory/health").build()).execute()) {
        System.out.print(response.body().string());
      }
      return hyperlane.snapshot().service("inventory");
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
