package io.hyperlane.client;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks one endpoint among candidates that are all eligible (not ejected, or all ejected). One
 * instance per service.
 */
abstract class Balancer {

  abstract EndpointState pick(EndpointState[] candidates, long now, ServiceState service);

  static Balancer create(LoadBalancerPolicy policy) {
    switch (policy.kind) {
      case ROUND_ROBIN:
        return new RoundRobin();
      case LEAST_IN_FLIGHT:
        return new PowerOfTwoChoices(policy, false);
      case PEAK_EWMA:
        return new PowerOfTwoChoices(policy, true);
      default:
        throw new AssertionError(policy.kind);
    }
  }

  /**
   * Smooth weighted round robin (as in nginx): every pick adds each candidate's weight to its running
   * total, takes the largest, and subtracts the sum of weights from the winner. Equal weights rotate
   * exactly; unequal weights interleave instead of bursting.
   */
  static final class RoundRobin extends Balancer {
    @Override
    synchronized EndpointState pick(EndpointState[] candidates, long now, ServiceState service) {
      EndpointState best = null;
      double total = 0;
      for (EndpointState e : candidates) {
        double w = service.effectiveWeight(e, now);
        e.roundRobinCurrent += w;
        total += w;
        if (best == null || e.roundRobinCurrent > best.roundRobinCurrent) {
          best = e;
        }
      }
      best.roundRobinCurrent -= total;
      return best;
    }
  }

  /**
   * Power of two choices: two distinct candidates drawn at random, the one with the lower cost per
   * unit of effective weight wins. Cost is the in-flight count, or peak-EWMA latency × (in-flight + 1).
   */
  static final class PowerOfTwoChoices extends Balancer {
    private final boolean latencyAware;
    private final long decayNanos;

    PowerOfTwoChoices(LoadBalancerPolicy policy, boolean latencyAware) {
      this.latencyAware = latencyAware;
      this.decayNanos = policy.decayNanos;
    }

    @Override
    EndpointState pick(EndpointState[] candidates, long now, ServiceState service) {
      int n = candidates.length;
      if (n == 1) {
        return candidates[0];
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int i = random.nextInt(n);
      int j = random.nextInt(n - 1);
      if (j >= i) {
        j++;
      }
      EndpointState a = candidates[i];
      EndpointState b = candidates[j];
      double costA = cost(a, now) / service.effectiveWeight(a, now);
      double costB = cost(b, now) / service.effectiveWeight(b, now);
      return costB < costA ? b : a;
    }

    private double cost(EndpointState e, long now) {
      return latencyAware ? e.peakEwmaCost(now, decayNanos) : e.inFlight() + 1;
    }
  }
}
