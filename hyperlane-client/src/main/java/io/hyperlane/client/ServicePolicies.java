package io.hyperlane.client;

import io.hyperlane.cache.HttpCache;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ConcurrencyLimit;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The policies one builder was given: the defaults of every service on {@link Hyperlane.Builder},
 * one service's own on {@link Hyperlane.ServiceBuilder}. The same type on both sides, so that they
 * merge in one place ({@link #over}); null where nothing was set.
 */
final class ServicePolicies {

  @Nullable LoadBalancerPolicy loadBalancer;
  @Nullable OutlierDetection outlierDetection;
  @Nullable SlowStart slowStart;
  @Nullable RetryPolicy retry;
  @Nullable RetryBudget retryBudget;
  @Nullable Duration timeout;
  @Nullable CircuitBreakerPolicy serviceCircuit;
  @Nullable CircuitBreakerPolicy endpointCircuit;
  @Nullable HedgingPolicy hedging;
  @Nullable ConcurrencyLimit concurrencyLimit;
  @Nullable HttpCache cache;
  boolean cacheSet; // a service's noCache() sets it with no cache
  @Nullable ZonePreference zonePreference;
  @Nullable HealthCheck healthCheck;

  /** Hyperlane's defaults: what a service gets when neither it nor the builder set a policy. */
  static final Resolved DEFAULTS =
      new Resolved(
          LoadBalancerPolicy.peakEwma(),
          OutlierDetection.defaults(),
          SlowStart.defaults(),
          RetryPolicy.ofDefaults(),
          RetryBudget.ofDefaults(),
          null,
          CircuitBreakerPolicy.serviceDefaults(),
          CircuitBreakerPolicy.endpointDefaults(),
          HedgingPolicy.none(),
          ConcurrencyLimit.none(),
          null,
          ZonePreference.none(),
          HealthCheck.none());

  /** Every policy resolved: what one service's calls run under. */
  record Resolved(
      LoadBalancerPolicy loadBalancer,
      OutlierDetection outlierDetection,
      SlowStart slowStart,
      RetryPolicy retry,
      RetryBudget retryBudget,
      @Nullable Duration timeout,
      CircuitBreakerPolicy serviceCircuit,
      CircuitBreakerPolicy endpointCircuit,
      HedgingPolicy hedging,
      ConcurrencyLimit concurrencyLimit,
      @Nullable HttpCache cache,
      ZonePreference zonePreference,
      HealthCheck healthCheck) {}

  /** This set's values where it has them, {@code base}'s elsewhere. */
  Resolved over(Resolved base) {
    return new Resolved(
        loadBalancer != null ? loadBalancer : base.loadBalancer(),
        outlierDetection != null ? outlierDetection : base.outlierDetection(),
        slowStart != null ? slowStart : base.slowStart(),
        retry != null ? retry : base.retry(),
        retryBudget != null ? retryBudget : base.retryBudget(),
        timeout != null ? timeout : base.timeout(),
        serviceCircuit != null ? serviceCircuit : base.serviceCircuit(),
        endpointCircuit != null ? endpointCircuit : base.endpointCircuit(),
        hedging != null ? hedging : base.hedging(),
        concurrencyLimit != null ? concurrencyLimit : base.concurrencyLimit(),
        cacheSet ? cache : base.cache(),
        zonePreference != null ? zonePreference : base.zonePreference(),
        healthCheck != null ? healthCheck : base.healthCheck());
  }
}
