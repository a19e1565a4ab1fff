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
  PEAK_EWMA_3_HEDGED("peak-EWMA, 3 choices (default) + hedging", true);

  final String label;
  final boolean hedged;

  Strategy(String label, boolean hedged) {
    this.label = label;
    this.hedged = hedged;
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
        return LoadBalancerPolicy.peakEwma(); // three choices: the default
      default:
        return LoadBalancerPolicy.peakEwma().choices(2);
    }
  }

  /** Hyperlane's adaptive hedging: one hedge after the service's recent p95. */
  HedgingPolicy hedging() {
    return hedged ? HedgingPolicy.adaptive() : HedgingPolicy.none();
  }
}
