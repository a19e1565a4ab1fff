package io.hyperlane.resilience;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * When a slow call gets a second (or third) attempt in parallel, on another endpoint, and the first
 * good response wins.
 *
 * <ul>
 *   <li>{@link #adaptive()}: hedge once after the service's recent 95th-percentile latency, so
 *       about 5% of calls get a hedge, or after 4 times its recent median when latency has two
 *       modes; no hedging until 50 calls have been measured;
 *   <li>{@link #fixed(Duration, int)}: after a fixed delay, up to {@code maxHedges} times.
 * </ul>
 *
 * <p>Two modes: when more than 5% of calls meet a slow replica, a slow disk or a cold cache, the
 * p95 lies in the slow mode and a hedge sent then comes too late to help; the median lies in the
 * fast mode, and a call that has taken 4 times as long is already in the slow one. Latency counts
 * as having two modes when fewer calls fall between twice the median and half the p95 than a fifth
 * of those beyond; a tail that thins out as it grows, however heavy, keeps the p95.
 *
 * <p>Only idempotent requests are hedged, and every hedge draws on the service's {@link
 * RetryBudget}, so a brownout cannot turn every call into two (grafana/loki#4826). The losing
 * attempts are cancelled with {@code Call.cancel()}. Hedging is off unless turned on. Instances are
 * immutable.
 */
public final class HedgingPolicy {

  /** With two modes, an adaptive delay is this many times the service's recent median. */
  static final double MEDIAN_MULTIPLE = 4;

  private static final HedgingPolicy NONE = new HedgingPolicy(0, 0, 0, 0);
  private static final HedgingPolicy ADAPTIVE = new HedgingPolicy(0, 0.95, 1, 50);

  final long fixedDelayNanos;
  final double percentile;
  final int maxHedges;
  final int minSamples;

  private HedgingPolicy(long fixedDelayNanos, double percentile, int maxHedges, int minSamples) {
    this.fixedDelayNanos = fixedDelayNanos;
    this.percentile = percentile;
    this.maxHedges = maxHedges;
    this.minSamples = minSamples;
  }

  /** No hedging. */
  public static HedgingPolicy none() {
    return NONE;
  }

  /**
   * One hedge after the service's recent p95 latency (4 times its median when latency has two
   * modes): about 5% of calls are hedged, and never more than 10% over 10 s (plus one per second).
   */
  public static HedgingPolicy adaptive() {
    return ADAPTIVE;
  }

  /**
   * Hedges after the given percentile of the service's recent latency (4 times its median when
   * latency has two modes and that is shorter).
   *
   * @param percentile between 0.5 and 0.999
   * @param maxHedges extra attempts, 1 to 3
   * @throws IllegalArgumentException naming the bad value
   */
  public static HedgingPolicy adaptive(double percentile, int maxHedges) {
    if (!(percentile >= 0.5 && percentile <= 0.999)) {
      throw new IllegalArgumentException(
          "percentile must be between 0.5 and 0.999 but was " + percentile);
    }
    return new HedgingPolicy(0, percentile, checkedHedges(maxHedges), 50);
  }

  /**
   * Hedges after a fixed delay.
   *
   * @param delay between 1 ms and 1 minute
   * @param maxHedges extra attempts, 1 to 3
   * @throws IllegalArgumentException naming the bad value
   */
  public static HedgingPolicy fixed(Duration delay, int maxHedges) {
    Objects.requireNonNull(delay, "delay");
    if (delay.compareTo(Duration.ofMillis(1)) < 0 || delay.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException(
          "hedging delay must be between 1ms and 1m but was " + delay);
    }
    return new HedgingPolicy(delay.toNanos(), 0, checkedHedges(maxHedges), 0);
  }

  private static int checkedHedges(int maxHedges) {
    if (maxHedges < 1 || maxHedges > 3) {
      throw new IllegalArgumentException("maxHedges must be between 1 and 3 but was " + maxHedges);
    }
    return maxHedges;
  }

  /** Whether hedging is on. */
  public boolean enabled() {
    return maxHedges > 0;
  }

  /**
   * The share of calls an adaptive policy may hedge over a 10 s window: twice what its percentile
   * implies, so a service whose latency shifts at once (every call outlasting the old percentile)
   * is not hedged wholesale while the percentile catches up. 0 for a fixed delay: no such cap.
   */
  double maxHedgedShare() {
    return fixedDelayNanos > 0 || !enabled() ? 0 : Math.min(1.0, 2 * (1 - percentile));
  }

  /** The hedging delay for a service with these recent latencies, or -1 when not known yet. */
  long delayNanos(LatencyWindow latencies, long now) {
    if (fixedDelayNanos > 0) {
      return fixedDelayNanos;
    }
    return latencies.percentileNanos(percentile, MEDIAN_MULTIPLE, minSamples, now);
  }

  @Override
  public String toString() {
    if (!enabled()) {
      return "HedgingPolicy{none}";
    }
    return fixedDelayNanos > 0
        ? "HedgingPolicy{delay="
            + Durations.nanos(fixedDelayNanos)
            + ", maxHedges="
            + maxHedges
            + "}"
        : "HedgingPolicy{percentile=" + percentile + ", maxHedges=" + maxHedges + "}";
  }
}
