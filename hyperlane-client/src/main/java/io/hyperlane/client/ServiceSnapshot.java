package io.hyperlane.client;

import io.hyperlane.cache.CacheStats;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The state of one service at the moment {@link Hyperlane#snapshot()} was taken.
 *
 * @param name the service name, the host a caller writes in {@code http://<name>/…}
 * @param loadBalancer the balancing policy in use
 * @param endpoints its current endpoints, in discovery order
 * @param discoveryFailures refreshes of its endpoint set that failed or were refused since start
 * @param cache what its response cache answered, per tier; null when the service has no cache
 */
public record ServiceSnapshot(
    String name,
    String loadBalancer,
    List<EndpointSnapshot> endpoints,
    long discoveryFailures,
    CacheStats.@Nullable Service cache) {

  /** Checks the components and copies the list. */
  public ServiceSnapshot {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(loadBalancer, "loadBalancer");
    endpoints = List.copyOf(endpoints);
  }

  ServiceSnapshot withCache(CacheStats.Service stats) {
    return new ServiceSnapshot(name, loadBalancer, endpoints, discoveryFailures, stats);
  }

  /** The endpoint with this origin, such as {@code http://127.0.0.1:8081}. */
  public Optional<EndpointSnapshot> endpoint(String origin) {
    return endpoints.stream().filter(e -> e.origin().equals(origin)).findFirst();
  }

  /** Total calls sent to the service's current endpoints. */
  public long requests() {
    return endpoints.stream().mapToLong(EndpointSnapshot::requests).sum();
  }
}
