package io.hyperlane.client;

import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.ResilienceListener;
import java.time.Duration;

/**
 * A decision of the routing stage or of discovery: an endpoint taken out of rotation or back, a
 * discovery refresh that failed or recovered. Delivered, with the resilience stages' events, to the
 * {@link ResilienceListener} given to {@link Hyperlane.Builder#listener(ResilienceListener)}.
 */
public sealed interface RoutingEvent extends ResilienceEvent {

  /** Which of {@link OutlierDetection}'s rules ejected an endpoint. */
  enum EjectionReason {
    /** Failures (or attempts outrun by a hedge) in a row. */
    CONSECUTIVE_FAILURES,
    /** A failure rate far above its peers'. */
    FAILURE_RATE,
    /** A failure share above the absolute threshold. */
    FAILURE_SHARE,
    /** Answers far slower than its peers'. */
    LATENCY
  }

  /**
   * Outlier detection took an endpoint out of rotation.
   *
   * @param service the service
   * @param endpoint the endpoint's origin
   * @param duration how long it stays out
   * @param failures the failures in a row when it was ejected, attempts outrun by a later hedge
   *     included
   * @param reason the rule that ejected it
   * @param detail what the rule saw, for people: for example {@code "failed 23% of 180 calls in 10
   *     s; its peers' median 0%"}
   */
  record EndpointEjected(
      String service,
      String endpoint,
      Duration duration,
      int failures,
      EjectionReason reason,
      String detail)
      implements RoutingEvent {}

  /**
   * An endpoint failed its health check's probes and takes no calls until it passes them again.
   *
   * @param service the service
   * @param endpoint the endpoint's origin
   * @param detail what the probes saw, such as {@code "3 failed probes, the last: 503 in 2 ms"}
   */
  record EndpointUnhealthy(String service, String endpoint, String detail)
      implements RoutingEvent {}

  /**
   * An endpoint that failed its health check passes it again and is back in rotation, through slow
   * start.
   *
   * @param service the service
   * @param endpoint the endpoint's origin
   * @param probe what the last probe saw, such as {@code "200 in 2 ms"}
   */
  record EndpointHealthy(String service, String endpoint, String probe) implements RoutingEvent {}

  /**
   * An ejected endpoint is back in rotation.
   *
   * @param service the service
   * @param endpoint the endpoint's origin
   */
  record EndpointReturned(String service, String endpoint) implements RoutingEvent {}

  /**
   * A discovery refresh failed or delivered nothing usable; the last good endpoints stay.
   *
   * @param service the service
   * @param cause what went wrong (never a credential)
   */
  record DiscoveryFailed(String service, String cause) implements RoutingEvent {}

  /**
   * Discovery delivered a usable set again after failing.
   *
   * @param service the service
   * @param endpoints how many endpoints the service has now
   */
  record DiscoveryRecovered(String service, int endpoints) implements RoutingEvent {}
}
