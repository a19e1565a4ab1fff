package io.hyperlane.client;

import io.hyperlane.cache.CacheStats;
import java.time.Duration;
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
 * @param circuit the state of the service's circuit: {@code CLOSED}, {@code OPEN}, {@code
 *     HALF_OPEN}, or {@code NONE} when service circuits are off or none was made yet
 * @param retriesAvailable how many retries its retry budget allows at this moment
 * @param concurrencyLimit its adaptive concurrency limit now, 0 when it has none
 * @param hedgeDelay how long a call waits before it is hedged now; null when the service does not
 *     hedge, or while an adaptive delay has too few latencies to be known
 * @param routingRules the names of the routing rules that match its calls, in order
 * @param cache what its response cache answered, per tier; null when the service has no cache
 */
public record ServiceSnapshot(
    String name,
    String loadBalancer,
    List<EndpointSnapshot> endpoints,
    long discoveryFailures,
    String circuit,
    double retriesAvailable,
    int concurrencyLimit,
    @Nullable Duration hedgeDelay,
    List<String> routingRules,
    CacheStats.@Nullable Service cache) {

  /** Checks the components and copies the lists. */
  public ServiceSnapshot {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(loadBalancer, "loadBalancer");
    Objects.requireNonNull(circuit, "circuit");
    endpoints = List.copyOf(endpoints);
    routingRules = List.copyOf(routingRules);
  }

  /** What the service's own state holds; the stages' state is added by {@link #withStages}. */
  static ServiceSnapshot ofEndpoints(
      String name, String loadBalancer, List<EndpointSnapshot> endpoints, long discoveryFailures) {
    return new ServiceSnapshot(
        name, loadBalancer, endpoints, discoveryFailures, "NONE", 0, 0, null, List.of(), null);
  }

  ServiceSnapshot withStages(
      String circuit,
      double retriesAvailable,
      int concurrencyLimit,
      @Nullable Duration hedgeDelay,
      List<String> routingRules) {
    return new ServiceSnapshot(
        name,
        loadBalancer,
        endpoints,
        discoveryFailures,
        circuit,
        retriesAvailable,
        concurrencyLimit,
        hedgeDelay,
        routingRules,
        cache);
  }

  ServiceSnapshot withCache(CacheStats.Service stats) {
    return new ServiceSnapshot(
        name,
        loadBalancer,
        endpoints,
        discoveryFailures,
        circuit,
        retriesAvailable,
        concurrencyLimit,
        hedgeDelay,
        routingRules,
        stats);
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
