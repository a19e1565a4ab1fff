package io.hyperlane.client;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The state of one endpoint at the moment {@link Hyperlane#snapshot()} was taken.
 *
 * @param origin the endpoint, such as {@code http://127.0.0.1:8081}
 * @param weight the configured weight
 * @param effectiveWeight the weight the balancer uses now: lower while the endpoint ramps up under
 *     slow start, 0 while it is ejected or its circuit is not closed
 * @param inFlight calls sent to it whose response headers have not arrived yet
 * @param latencyEwma what it answers in: its peak-EWMA latency estimate over its responses and
 *     failures at their real duration, decayed to now; zero before its first call
 * @param balancerLatency the estimate the balancer ranks it by: {@code latencyEwma}, except that
 *     each failure counts as at least the balancer's failure penalty (1 s by default), so that an
 *     endpoint that fails fast does not look fast; it decays back as it answers again
 * @param requests calls sent to it since it joined that ended with a response or an error (a call
 *     cancelled on the way is not counted)
 * @param failures of those, the ones that ended in an I/O error or a 5xx response
 * @param lostRaces calls sent to it that were cancelled because a hedge sent after them answered
 *     first; like failures, they count toward its ejection
 * @param ejected whether outlier detection has taken it out of rotation
 * @param ejections how many times it has been ejected since it joined
 * @param ejectedFor while it is ejected, what the rule that ejected it saw (for example {@code
 *     "answered in 21 ms on average over 140 calls in the last 10 s; the median of 4 endpoints 1.1
 *     ms"}); else empty
 * @param health what the service's {@link HealthCheck} says of it, such as {@code "healthy (last
 *     probe: 200 in 2 ms)"} or {@code "unhealthy (last probe: ConnectException: Connection
 *     refused)"}; empty when the service has no health check
 * @param reportedLoad what the endpoint last reported of its own load in an {@code
 *     endpoint-load-metrics} response header, such as {@code "12 requests in flight (9 from other
 *     callers), utilization 0.40, 35 ms ago"}; empty when it has reported nothing readable
 * @param circuit the state of its circuit: {@code CLOSED}, {@code OPEN}, {@code HALF_OPEN}, or
 *     {@code NONE} when endpoint circuits are off
 * @param zone the zone it runs in, null when unknown
 * @param metadata what routing rules may select it by, such as {@code version=v2}
 */
public record EndpointSnapshot(
    String origin,
    int weight,
    double effectiveWeight,
    int inFlight,
    Duration latencyEwma,
    Duration balancerLatency,
    long requests,
    long failures,
    long lostRaces,
    boolean ejected,
    int ejections,
    String ejectedFor,
    String health,
    String reportedLoad,
    String circuit,
    @Nullable String zone,
    Map<String, String> metadata) {

  /** Checks the components and copies the metadata. */
  public EndpointSnapshot {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(latencyEwma, "latencyEwma");
    Objects.requireNonNull(balancerLatency, "balancerLatency");
    Objects.requireNonNull(ejectedFor, "ejectedFor");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(reportedLoad, "reportedLoad");
    Objects.requireNonNull(circuit, "circuit");
    metadata = Map.copyOf(metadata);
  }
}
