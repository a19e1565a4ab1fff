package io.hyperlane.client;

import io.hyperlane.cache.HttpCache;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ConcurrencyLimit;
import io.hyperlane.resilience.DeadlineInterceptor;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * The policies a service's calls run under. Set on {@link Hyperlane.Builder}, a policy is the
 * default of every service; set on {@link Hyperlane.ServiceBuilder}, it is that service's own and
 * overrides the default. Both builders hold the same settings, merged once by {@link
 * Hyperlane.Builder#build()}: a service takes its own value where it set one, the builder's
 * otherwise, Hyperlane's default when neither did.
 *
 * <p>Every setter checks its value at once and names it when it refuses it.
 *
 * @param <B> the builder the setters return, for chaining
 */
public abstract sealed class PolicyBuilder<B extends PolicyBuilder<B>>
    permits Hyperlane.Builder, Hyperlane.ServiceBuilder {

  /** What was set here; null where nothing was. */
  final ServicePolicies set = new ServicePolicies();

  PolicyBuilder() {}

  abstract B self();

  /**
   * The balancing policy; {@link LoadBalancerPolicy#peakEwma()} by default.
   *
   * @param policy how an endpoint is chosen for each attempt
   * @return this builder
   */
  public B loadBalancer(LoadBalancerPolicy policy) {
    set.loadBalancer = Objects.requireNonNull(policy, "loadBalancer");
    return self();
  }

  /**
   * Outlier ejection; {@link OutlierDetection#defaults()} (on) by default.
   *
   * @param outlierDetection when an endpoint is taken out of rotation, and for how long
   * @return this builder
   */
  public B outlierDetection(OutlierDetection outlierDetection) {
    set.outlierDetection = Objects.requireNonNull(outlierDetection, "outlierDetection");
    return self();
  }

  /**
   * Active health checking; {@link HealthCheck#none()} by default.
   *
   * @param healthCheck the probe each endpoint is sent, and when it counts as unhealthy
   * @return this builder
   */
  public B healthCheck(HealthCheck healthCheck) {
    set.healthCheck = Objects.requireNonNull(healthCheck, "healthCheck");
    return self();
  }

  /**
   * Slow start; {@link SlowStart#defaults()} (a 30 s ramp) by default.
   *
   * @param slowStart how a new or returning endpoint is eased in
   * @return this builder
   */
  public B slowStart(SlowStart slowStart) {
    set.slowStart = Objects.requireNonNull(slowStart, "slowStart");
    return self();
  }

  /**
   * The retry policy; {@link RetryPolicy#ofDefaults()} (3 attempts, idempotent requests or requests
   * proven unsent) by default. {@link RetryPolicy#none()} turns retries off.
   *
   * @param policy when a failed attempt is tried again
   * @return this builder
   */
  public B retry(RetryPolicy policy) {
    set.retry = Objects.requireNonNull(policy, "retry");
    return self();
  }

  /**
   * The retry budget's settings; each service has its own budget, shared by its retries and hedges.
   *
   * @param budget how many retries and hedges a service may add to its calls
   * @return this builder
   */
  public B retryBudget(RetryBudget budget) {
    set.retryBudget = Objects.requireNonNull(budget, "retryBudget");
    return self();
  }

  /**
   * The total time a call may take, all attempts and the body included; none by default (deadlines
   * from {@link io.hyperlane.resilience.Deadline} scopes and tags still apply).
   *
   * @param timeout from 1 ms to 1 hour
   * @return this builder
   * @throws IllegalArgumentException if not between 1 ms and 1 hour
   */
  public B timeout(Duration timeout) {
    DeadlineInterceptor.builder().timeout(timeout); // checks it as the deadline stage will
    set.timeout = timeout;
    return self();
  }

  /**
   * The circuit around each logical call (retries included); {@link
   * CircuitBreakerPolicy#serviceDefaults()} by default. When it is open, calls fail at once with
   * {@link io.hyperlane.resilience.CircuitOpenException}.
   *
   * @param policy when the service's circuit opens and closes
   * @return this builder
   */
  public B serviceCircuitBreaker(CircuitBreakerPolicy policy) {
    set.serviceCircuit = Objects.requireNonNull(policy, "serviceCircuitBreaker");
    return self();
  }

  /**
   * The circuit of each endpoint; {@link CircuitBreakerPolicy#endpointDefaults()} by default. An
   * endpoint whose circuit is open gets no calls but the probes that may close it again.
   *
   * @param policy when an endpoint's circuit opens and closes
   * @return this builder
   */
  public B endpointCircuitBreaker(CircuitBreakerPolicy policy) {
    set.endpointCircuit = Objects.requireNonNull(policy, "endpointCircuitBreaker");
    return self();
  }

  /**
   * Hedging; off by default. {@link HedgingPolicy#adaptive()} sends a second attempt to another
   * endpoint when a call runs longer than the service's recent p95, within the retry budget.
   * Hedging runs on real time.
   *
   * @param policy when a slow call gets another attempt in parallel
   * @return this builder
   */
  public B hedging(HedgingPolicy policy) {
    set.hedging = Objects.requireNonNull(policy, "hedging");
    return self();
  }

  /**
   * The adaptive concurrency limit; none by default. A call over it fails with {@link
   * io.hyperlane.resilience.LimitExceededException} without being sent. Each service has its own.
   *
   * @param limit how many calls a service may have in flight
   * @return this builder
   */
  public B concurrencyLimit(ConcurrencyLimit limit) {
    set.concurrencyLimit = Objects.requireNonNull(limit, "concurrencyLimit");
    return self();
  }

  /**
   * The response cache; none by default. The cache answers before the resilience and routing
   * stages, so a hit sends no request and opens no attempt span; its {@code stale-if-error} window
   * also covers calls that fail because a circuit is open or the retry budget is spent. Hyperlane
   * does not close the cache: its owner does.
   *
   * @param cache the cache that answers the calls
   * @return this builder
   */
  public B cache(HttpCache cache) {
    set.cache = Objects.requireNonNull(cache, "cache");
    set.cacheSet = true;
    return self();
  }

  /**
   * Zone preference; {@link ZonePreference#none()} by default.
   *
   * @param preference which endpoints are preferred while enough of them are healthy
   * @return this builder
   */
  public B zonePreference(ZonePreference preference) {
    set.zonePreference = Objects.requireNonNull(preference, "zonePreference");
    return self();
  }
}
