package io.hyperlane.client;

import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Ticker;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Where a service's endpoints come from: the SPI behind static lists, {@link DnsDiscovery} and
 * registries.
 *
 * <p>{@link Hyperlane} calls {@link #subscribe(Context)} once per service when it is built. The
 * implementation delivers the whole current endpoint set through {@link Context#update(List)} — at
 * once if it can, and again every time the set changes — and reports a failed refresh through
 * {@link Context#failed(Throwable)}. Hyperlane keeps the last good set when a refresh fails or
 * delivers nothing usable (an empty set, or nulls only), counts the failure and logs one warning
 * per outage. An origin listed twice is one endpoint; a null in a set is left out. {@link
 * Subscription#cancel()} is called by {@link Hyperlane#close()}.
 *
 * <p>An implementation may call the context from any thread. It must not block the {@link
 * Context#scheduler() scheduler}: blocking work (a DNS lookup, an HTTP call to a registry) goes to
 * {@link Context#blockingExecutor()}.
 *
 * <pre>{@code
 * ServiceDiscovery fixed = ServiceDiscovery.of(List.of(Endpoint.of("http://127.0.0.1:8081")));
 * }</pre>
 */
@FunctionalInterface
public interface ServiceDiscovery {

  /**
   * Starts delivering endpoint sets for {@code context.serviceName()}.
   *
   * @return the handle that stops the deliveries
   */
  Subscription subscribe(Context context);

  /** A discovery that delivers one fixed set of endpoints. */
  static ServiceDiscovery of(List<Endpoint> endpoints) {
    List<Endpoint> copy = List.copyOf(endpoints);
    return context -> {
      context.update(copy);
      return () -> {};
    };
  }

  /** Stops a discovery's deliveries. */
  @FunctionalInterface
  interface Subscription {
    /** Stops deliveries and timers; updates that still arrive are ignored. Idempotent. */
    void cancel();
  }

  /**
   * What Hyperlane gives a discovery: the service it serves, time, threads, and the update sink.
   */
  interface Context {

    /** The service whose endpoints are wanted. */
    String serviceName();

    /** The clock to measure TTLs and intervals with. */
    Ticker ticker();

    /** Runs short tasks later, such as the next refresh. */
    Scheduler scheduler();

    /** Runs work that may block, such as a lookup. */
    Executor blockingExecutor();

    /**
     * Replaces the service's endpoint set. Null elements are left out; an origin listed more than
     * once becomes one endpoint with the largest of its weights and the zone and metadata of its
     * first listing. A set with no usable endpoint counts as a failure: the last good set stays.
     * The same set again changes nothing.
     */
    void update(List<Endpoint> endpoints);

    /** Reports a refresh that failed; the last good set stays. */
    void failed(Throwable cause);
  }
}
