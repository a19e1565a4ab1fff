package io.hyperlane.client;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a service's calls are spread over its endpoints.
 *
 * <ul>
 *   <li>{@link #peakEwma()} (the default): three candidates drawn at random (all of them when a
 *       service has no more), comparing each one's peak-EWMA latency times its in-flight count plus
 *       one. An endpoint that answers slowly or is loaded gets less traffic; a failed call counts
 *       as a slow one, so an endpoint that fails fast does not attract traffic. Three choices
 *       rather than Finagle's two: with few endpoints of which some are degraded, a pair often
 *       holds no good one (with four endpoints, half the pairs miss a given one), and in the
 *       simulation ({@code benchmarks/simulation/REPORT.md}) three were better or tied in every
 *       scenario without hedging. When a server reports its load in an ORCA {@code
 *       endpoint-load-metrics} response header (as {@code hyperlane-load-report}'s filters do), the
 *       requests it said it had from other callers count as in flight for a second.
 *   <li>{@link #hotCold()}: Prequal's split of candidates into hot and cold by requests in flight,
 *       then peak-EWMA among the cold ones.
 *   <li>{@link #leastInFlight()}: power of two choices on in-flight count alone.
 *   <li>{@link #roundRobin()}: smooth weighted round robin; exactly even with equal weights.
 *   <li>{@link #consistentHash(String)}: sticky routing — a ring hash over the endpoints, so calls
 *       with the same key (a header, or a {@link StickyKey} tag) go to the same endpoint, and when
 *       one of ten endpoints leaves only its own keys (about a tenth) move.
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
    PEAK_EWMA,
    HOT_COLD,
    CONSISTENT_HASH
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
      new LoadBalancerPolicy(Kind.PEAK_EWMA, DEFAULT_DECAY, DEFAULT_FAILURE_PENALTY).choices(3);
  private static final LoadBalancerPolicy HOT_COLD =
      new LoadBalancerPolicy(Kind.HOT_COLD, DEFAULT_DECAY, DEFAULT_FAILURE_PENALTY).choices(10);

  /**
   * Under {@link #hotCold()}, a candidate is hot when its requests in flight are above this
   * quantile of the candidates'.
   */
  static final double HOT_QUANTILE = 0.75;

  final Kind kind;
  final long decayNanos;
  final long failurePenaltyNanos;
  final @Nullable String keyHeader; // consistent hash only; null: the StickyKey tag only
  final int choices; // candidates drawn by the power-of-choices policies

  private LoadBalancerPolicy(Kind kind, Duration decay, Duration failurePenalty) {
    this(kind, decay.toNanos(), failurePenalty.toNanos(), null, 2);
  }

  private LoadBalancerPolicy(
      Kind kind,
      long decayNanos,
      long failurePenaltyNanos,
      @Nullable String keyHeader,
      int choices) {
    this.kind = kind;
    this.decayNanos = decayNanos;
    this.failurePenaltyNanos = failurePenaltyNanos;
    this.keyHeader = keyHeader;
    this.choices = choices;
  }

  /**
   * The same policy drawing {@code choices} candidates instead of two (all of them when a service
   * has no more); the cheapest wins. More choices find a good endpoint more often when few are
   * good, at the price of more callers agreeing on the same one. Applies to {@link #peakEwma()},
   * {@link #leastInFlight()}, {@link #hotCold()} (ten by default) and the calls without a key under
   * {@link #consistentHash(String)}.
   *
   * @throws IllegalArgumentException if not between 2 and 10
   */
  public LoadBalancerPolicy choices(int choices) {
    if (choices < 2 || choices > 10) {
      throw new IllegalArgumentException("choices must be between 2 and 10 but was " + choices);
    }
    return new LoadBalancerPolicy(kind, decayNanos, failurePenaltyNanos, keyHeader, choices);
  }

  /** How many candidates a power-of-choices pick compares. */
  public int choices() {
    return choices;
  }

  /**
   * Sticky routing by consistent hashing: the key of a call is its {@link StickyKey} tag, else the
   * value of header {@code keyHeader}; equal keys go to the same endpoint while it is available,
   * and to the next endpoint on the ring while it is not (ejected, circuit open, already tried by
   * this call). Calls without a key are balanced by peak-EWMA. Weights give an endpoint a
   * proportional share of the ring; slow start does not apply.
   *
   * @param keyHeader the header that carries the key, such as {@code X-User-Id}; null to use only
   *     the {@link StickyKey} tag
   */
  public static LoadBalancerPolicy consistentHash(@Nullable String keyHeader) {
    if (keyHeader != null && !keyHeader.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")) {
      throw new IllegalArgumentException("keyHeader must be a header name but was " + keyHeader);
    }
    return new LoadBalancerPolicy(
        Kind.CONSISTENT_HASH,
        DEFAULT_DECAY.toNanos(),
        DEFAULT_FAILURE_PENALTY.toNanos(),
        keyHeader,
        2);
  }

  /** Smooth weighted round robin: with equal weights every endpoint gets exactly its turn. */
  public static LoadBalancerPolicy roundRobin() {
    return ROUND_ROBIN;
  }

  /** Power of two choices: the candidate with fewer calls in flight (per unit of weight) wins. */
  public static LoadBalancerPolicy leastInFlight() {
    return LEAST_IN_FLIGHT;
  }

  /**
   * Three choices on peak-EWMA latency × (in-flight + 1), with the default settings; {@code
   * peakEwma().choices(2)} is Finagle's and Linkerd's power of two choices.
   */
  public static LoadBalancerPolicy peakEwma() {
    return PEAK_EWMA;
  }

  /**
   * Three choices on peak-EWMA latency × (in-flight + 1).
   *
   * @param decay the time constant of the moving average: a latency sample weighs {@code 1/e} after
   *     this long; between 1 ms and 10 minutes
   * @param failurePenalty the latency a failed call (an I/O error or a 5xx response) counts as when
   *     it was faster than that; zero turns the penalty off; at most 10 minutes
   * @throws IllegalArgumentException naming the setting and the bad value
   */
  public static LoadBalancerPolicy peakEwma(Duration decay, Duration failurePenalty) {
    Objects.requireNonNull(decay, "decay");
    Objects.requireNonNull(failurePenalty, "failurePenalty");
    if (decay.compareTo(Duration.ofMillis(1)) < 0 || decay.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("decay must be between 1ms and 10m but was " + decay);
    }
    if (failurePenalty.isNegative() || failurePenalty.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException(
          "failurePenalty must be between 0 and 10m but was " + failurePenalty);
    }
    return new LoadBalancerPolicy(Kind.PEAK_EWMA, decay, failurePenalty).choices(3);
  }

  /**
   * Prequal's hot–cold split (Wydrowski, Kleinberg, Rumble: "Load is not what you should balance",
   * NSDI 2024) over up to ten candidates drawn at random: those whose requests in flight are above
   * the candidates' third quartile are hot and left out; of the others, the one with the lowest
   * peak-EWMA cost (latency × (requests in flight + 1)) wins. Requests in flight are this client's
   * own plus, for a second after a response, the ones from other callers that the server reported
   * in its {@code endpoint-load-metrics} header: what Prequal's probes ask for, carried here on
   * responses instead of separate probes.
   *
   * <p>Not the default. In the simulation ({@code benchmarks/simulation/REPORT.md}) it lowers the
   * tail when replicas differ in speed or capacity and there are good ones to spare (one slow
   * replica, one on half the CPU, a noisy neighbour, high utilization without hedging), but with
   * few good endpoints it sends calls away from the best one as soon as that one is busier than the
   * rest: on the demo's four replicas its p99 is 40% higher than the default's.
   */
  public static LoadBalancerPolicy hotCold() {
    return HOT_COLD;
  }

  @Override
  public String toString() {
    switch (kind) {
      case HOT_COLD:
        return "hotCold(choices=" + choices + ")";
      case ROUND_ROBIN:
        return "roundRobin";
      case LEAST_IN_FLIGHT:
        return "leastInFlight" + (choices == 2 ? "" : "(choices=" + choices + ")");
      case CONSISTENT_HASH:
        return "consistentHash(" + (keyHeader == null ? "StickyKey" : keyHeader) + ")";
      default:
        return "peakEwma(decay="
            + Durations.nanos(decayNanos)
            + ", failurePenalty="
            + Durations.nanos(failurePenaltyNanos)
            + ", choices="
            + choices
            + ")";
    }
  }
}
