package io.hyperlane.benchmarks.simulation;

import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.resilience.HedgingPolicy;

/** A balancer, with or without hedging: the columns the report compares. */
enum Strategy {
  ROUND_ROBIN("round robin", false),
  ROUND_ROBIN_HEDGED("round robin + hedging", true),
  LEAST_IN_FLIGHT("P2C least-in-flight", false),
  LEAST_IN_FLIGHT_HEDGED("P2C least-in-flight + hedging", true),
  PEAK_EWMA("P2C peak-EWMA", false),
  PEAK_EWMA_HEDGED("P2C peak-EWMA + hedging", true),
  PEAK_EWMA_3("peak-EWMA, 3 choices (default)", false),
  PEAK_EWMA_3_HEDGED("peak-EWMA, 3 choices (default) + hedging", true),
  PEAK_EWMA_3_REPORTED("default, servers report load", false, true),
  PEAK_EWMA_3_REPORTED_HEDGED("default, servers report load + hedging", true, true),
  HOT_COLD("hot-cold (Prequal), servers report load", false, true),
  HOT_COLD_HEDGED("hot-cold (Prequal), servers report load + hedging", true, true);

  final String label;
  final boolean hedged;

  /** Whether the replicas send {@code endpoint-load-metrics} on their answers. */
  final boolean reportsLoad;

  Strategy(String label, boolean hedged) {
    this(label, hedged, false);
  }

  Strategy(String label, boolean hedged, boolean reportsLoad) {
    this.label = label;
    this.hedged = hedged;
    this.reportsLoad = reportsLoad;
  }

  LoadBalancerPolicy loadBalancer() {
    switch (this) {
      case ROUND_ROBIN:
      case ROUND_ROBIN_HEDGED:
        return LoadBalancerPolicy.roundRobin();
      case LEAST_IN_FLIGHT:
      case LEAST_IN_FLIGHT_HEDGED:
        return LoadBalancerPolicy.leastInFlight();
      case PEAK_EWMA_3:
      case PEAK_EWMA_3_HEDGED:
      case PEAK_EWMA_3_REPORTED:
      case PEAK_EWMA_3_REPORTED_HEDGED:
        return LoadBalancerPolicy.peakEwma(); // three choices: the default
      case HOT_COLD:
      case HOT_COLD_HEDGED:
        return LoadBalancerPolicy.hotCold();
      default:
        return LoadBalancerPolicy.peakEwma().choices(2);
    }
  }

  /** Hyperlane's adaptive hedging: one hedge after the service's recent p95. */
  HedgingPolicy hedging() {
    return hedged ? HedgingPolicy.adaptive() : HedgingPolicy.none();
  }
}
