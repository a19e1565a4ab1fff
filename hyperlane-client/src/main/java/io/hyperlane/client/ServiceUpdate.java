package io.hyperlane.client;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The policies of a running service to change, given to {@link Hyperlane#updateService(String,
 * java.util.function.Consumer)}: what is set here replaces the service's current policy, what is
 * not set stays. A policy counts as changed unless it is the very instance in force, so re-applying
 * the same objects (a reconcile loop) disturbs nothing. Every setter checks its value at once, so
 * an update that reaches {@code updateService} is applied whole or, when a setter refused a value,
 * not at all.
 */
public final class ServiceUpdate {

  @Nullable Duration timeout;
  boolean timeoutSet;
  @Nullable RetryPolicy retry;
  @Nullable HedgingPolicy hedging;
  @Nullable CircuitBreakerPolicy serviceCircuit;
  @Nullable LoadBalancerPolicy loadBalancer;
  @Nullable OutlierDetection outlierDetection;
  @Nullable SlowStart slowStart;

  ServiceUpdate() {}

  /**
   * The total time a call may take, across its attempts.
   *
   * @throws IllegalArgumentException if not between 1 ms and 1 hour
   */
  public ServiceUpdate timeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("timeout must be between 1ms and 1h but was " + timeout);
    }
    this.timeout = timeout;
    this.timeoutSet = true;
    return this;
  }

  /** No total timeout: a call may take every attempt × OkHttp's own timeouts. */
  public ServiceUpdate noTimeout() {
    this.timeout = null;
    this.timeoutSet = true;
    return this;
  }

  /** The retry policy; the service's retry budget and its balance stay. */
  public ServiceUpdate retry(RetryPolicy policy) {
    this.retry = Objects.requireNonNull(policy, "retry");
    return this;
  }

  /** The hedging policy; the latencies an adaptive delay is drawn from stay. */
  public ServiceUpdate hedging(HedgingPolicy policy) {
    this.hedging = Objects.requireNonNull(policy, "hedging");
    return this;
  }

  /** The service circuit; it starts again, closed, under the new settings. */
  public ServiceUpdate serviceCircuitBreaker(CircuitBreakerPolicy policy) {
    this.serviceCircuit = Objects.requireNonNull(policy, "serviceCircuitBreaker");
    return this;
  }

  /** The balancer; every endpoint's latency estimate and in-flight count stay. */
  public ServiceUpdate loadBalancer(LoadBalancerPolicy policy) {
    this.loadBalancer = Objects.requireNonNull(policy, "loadBalancer");
    return this;
  }

  /** Outlier detection; ejections under way run their course. */
  public ServiceUpdate outlierDetection(OutlierDetection outlierDetection) {
    this.outlierDetection = Objects.requireNonNull(outlierDetection, "outlierDetection");
    return this;
  }

  /** Slow start; endpoints ramping up finish their ramp under the new window. */
  public ServiceUpdate slowStart(SlowStart slowStart) {
    this.slowStart = Objects.requireNonNull(slowStart, "slowStart");
    return this;
  }

  /** What changes, name to value, for the log and {@link Hyperlane#describe()}. */
  Map<String, String> changes() {
    Map<String, String> out = new LinkedHashMap<>();
    if (timeoutSet) {
      out.put("timeout", timeout == null ? "none" : Durations.human(timeout));
    }
    put(out, "retry", retry);
    put(out, "hedging", hedging);
    put(out, "service circuit", serviceCircuit);
    put(out, "load balancer", loadBalancer);
    put(out, "outlier detection", outlierDetection);
    put(out, "slow start", slowStart);
    return out;
  }

  private static void put(Map<String, String> out, String name, @Nullable Object value) {
    if (value != null) {
      out.put(name, value.toString());
    }
  }

  /** The service's policies with this update's over them. */
  ServicePolicies.Resolved over(ServicePolicies.Resolved p) {
    return new ServicePolicies.Resolved(
        loadBalancer != null ? loadBalancer : p.loadBalancer(),
        outlierDetection != null ? outlierDetection : p.outlierDetection(),
        slowStart != null ? slowStart : p.slowStart(),
        retry != null ? retry : p.retry(),
        p.retryBudget(),
        timeoutSet ? timeout : p.timeout(),
        serviceCircuit != null ? serviceCircuit : p.serviceCircuit(),
        p.endpointCircuit(),
        hedging != null ? hedging : p.hedging(),
        p.concurrencyLimit(),
        p.cache(),
        p.zonePreference(),
        p.healthCheck());
  }
}
