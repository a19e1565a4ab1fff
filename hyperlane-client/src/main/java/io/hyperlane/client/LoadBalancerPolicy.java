package io.hyperlane.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How a service's calls are spread over its endpoints.
 *
 * <ul>
 *   <li>{@link #peakEwma()} (the default): power of two choices, comparing each candidate's
 *       peak-EWMA latency times its in-flight count plus one. An endpoint that answers slowly or is
 *       loaded gets less traffic; a failed call counts as a slow one, so an endpoint that fails fast
 *       does not attract traffic.
 *   <li>{@link #leastInFlight()}: power of two choices on in-flight count alone.
 *   <li>{@link #roundRobin()}: smooth weighted round robin; exactly even with equal weights.
 * </ul>
 *
 * <p>Every policy honours endpoint weights and slow start, and skips endpoints ejected by {@link
 * OutlierDetection}. Instances are immutable and may be shared between services; each service keeps
 * its own balancing state.
 */
public final class LoadBalancerPolicy {

  enum Kind {
    ROUND_ROBIN,
    LEAST_IN_FLIGHT,
    PEAK_EWMA
  }

  /** The default decay of the latency average: a sample's weight halves in about 7 s. */
  public static final Duration DEFAULT_DECAY = Duration.ofSeconds(10);

  /** The default latency charged for a failed call. */
  public static final Duration DEFAULT_FAILURE_PENALTY = Duration.ofSeconds(1);

  private static final LoadBalancerPolicy ROUND_ROBIN =
      new LoadBalancerPolicy(Kind.ROUND_ROBIN, DEFAULT_DECAY, DEFAULT_FAILURE_PENALTY);
  private static final LoadBalancerPolicy LEAST_IN_FLIGHT =
      new LoadBalancerPolicy(Kind.LEAST_IN_FLIGHT, DEFAULT_DECAY, DEFAULT_FAILURE_PENALTY);
  private static final LoadBalancerPolicy PEAK_EWMA =
      new LoadBalancerPolicy(Kind.PEAK_EWMA, DEFAULT_DECAY, DEFAULT_FAILURE_PENALTY);

  final Kind kind;
  final long decayNanos;
  final long failurePenaltyNanos;

  private LoadBalancerPolicy(Kind kind, Duration decay, Duration failurePenalty) {
    this.kind = kind;
    this.decayNanos = decay.toNanos();
    this.failurePenaltyNanos = failurePenalty.toNanos();
  }

  /** Smooth weighted round robin: with equal weights every endpoint gets exactly its turn. */
  public static LoadBalancerPolicy roundRobin() {
    return ROUND_ROBIN;
  }

  /** Power of two choices: the candidate with fewer calls in flight (per unit of weight) wins. */
  public static LoadBalancerPolicy leastInFlight() {
    return LEAST_IN_FLIGHT;
  }

  /** Power of two choices on peak-EWMA latency × (in-flight + 1), with the default settings. */
  public static LoadBalancerPolicy peakEwma() {
    return PEAK_EWMA;
  }

  /**
   * Power of two choices on peak-EWMA latency × (in-flight + 1).
   *
   * @param decay the time constant of the moving average: a latency sample weighs {@code 1/e} after
   *     this long; between 1 ms and 10 minutes
   * @param failurePenalty the latency a failed call (an I/O error or a 5xx response) counts as when it
   *     was faster than that; zero turns the penalty off; at most 10 minutes
   * @throws IllegalArgumentException naming the setting and the bad value
   */
  public static LoadBalancerPolicy peakEwma(Duration decay, Duration failurePenalty) {
    Objects.requireNonNull(decay, "decay");
    Objects.requireNonNull(failurePenalty, "failurePenalty");
    if (decay.compareTo(Duration.ofMillis(1)) < 0 || decay.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException(
          "decay must be between 1ms and 10m but was " + decay);
    }
    if (failurePenalty.isNegative() || failurePenalty.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException(
          "failurePenalty must be between 0 and 10m but was " + failurePenalty);
    }
    return new LoadBalancerPolicy(Kind.PEAK_EWMA, decay, failurePenalty);
  }

  @Override
  public String toString() {
    switch (kind) {
      case ROUND_ROBIN:
        return "roundRobin";
      case LEAST_IN_FLIGHT:
        return "leastInFlight";
      default:
        return "peakEwma(decay=" + Duration.ofNanos(decayNanos) + ", failurePenalty="
            + Duration.ofNanos(failurePenaltyNanos) + ")";
    }
  }
}
