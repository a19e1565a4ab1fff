package io.hyperlane.client;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * Passive outlier ejection: an endpoint that fails several times in a row, fails far more often
 * than its peers, or answers far slower than they do is taken out of rotation for a while, longer
 * each time it is ejected again, and eased back in by slow start.
 *
 * <p>A failure is an I/O error or a 5xx response; a cancelled call is neither a failure nor a
 * success. Four rules eject an endpoint:
 *
 * <ul>
 *   <li><b>Consecutive failures</b>, at once: {@link Builder#consecutiveFailures(int)} failures in
 *       a row (attempts outrun by a hedge count too).
 *   <li><b>Failure rate against its peers</b>, checked every {@link Builder#interval(Duration)}
 *       over the last {@link Builder#window(Duration)}: among the endpoints with at least {@link
 *       Builder#requestVolume(int)} calls in the window (and at least {@link
 *       Builder#minimumHosts(int)} of them), an endpoint whose failure rate exceeds their median by
 *       more than {@code max(failureRateMargin, failureRateStdevFactor × σ)}, σ being their spread
 *       estimated robustly (1.4826 × the median absolute deviation), is ejected. This is Envoy's
 *       {@code success_rate} rule on the median instead of the mean: one outlier among five
 *       identical endpoints can never sit 1.9 standard deviations from their mean (the most it can
 *       is {@code (n − 1)/√n} = 1.79), and a second bad endpoint inflates a standard deviation
 *       enough to hide the first while it barely moves a median.
 *   <li><b>Failure share</b>, off by default (as Envoy's {@code failure_percentage} is not enforced
 *       by default): an endpoint with enough calls that fails more than {@link
 *       Builder#failureShareAbove(double)} of them, whatever its peers do.
 *   <li><b>Latency</b>, on the same schedule: an endpoint whose mean successful answer in the
 *       window is at least {@link Builder#latencyFactor(double)} times the median of the endpoints
 *       with enough successful calls and at least {@link Builder#latencyMargin(Duration)} slower
 *       than it. When the whole service slows down (a brownout) the median slows with it and nobody
 *       is ejected.
 * </ul>
 *
 * <p>An ejection lasts {@code baseEjectionTime × n}, where {@code n} counts the endpoint's recent
 * ejections, up to {@link Builder#maxEjectionTime(Duration)} (where {@code n} stops growing);
 * {@code n} drops by one for every {@code baseEjectionTime} the endpoint spends in rotation without
 * being ejected. An endpoint back from ejection starts a fresh window. At most {@link
 * Builder#maxEjectedShare(double)} of a service's endpoints (and always at least one) are ejected
 * at once, whatever the rule, and when every endpoint of a service is ejected, calls are spread
 * over all of them rather than failing.
 *
 * <pre>{@code
 * OutlierDetection od = OutlierDetection.builder()
 *     .consecutiveFailures(3)
 *     .latencyFactor(5)
 *     .baseEjectionTime(Duration.ofSeconds(10))
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable. Every setter checks its value at once and names it when it refuses
 * it.
 */
public final class OutlierDetection {

  private static final OutlierDetection DEFAULTS = new Builder().build();
  private static final OutlierDetection DISABLED = new Builder().enabled(false).build();

  final boolean enabled;
  final int consecutiveFailures;
  final long baseEjectionNanos;
  final long maxEjectionNanos;
  final double maxEjectedShare;
  final long intervalNanos;
  final long windowNanos;
  final int requestVolume;
  final int minimumHosts;
  final double failureRateStdevFactor;
  final double failureRateMargin;
  final double failureShareAbove;
  final double latencyFactor;
  final long latencyMarginNanos;

  private OutlierDetection(Builder b) {
    this.enabled = b.enabled;
    this.consecutiveFailures = b.consecutiveFailures;
    this.baseEjectionNanos = b.baseEjectionTime.toNanos();
    this.maxEjectionNanos = b.maxEjectionTime.toNanos();
    this.maxEjectedShare = b.maxEjectedShare;
    this.intervalNanos = b.interval.toNanos();
    this.windowNanos = b.window.toNanos();
    this.requestVolume = b.requestVolume;
    this.minimumHosts = b.minimumHosts;
    this.failureRateStdevFactor = b.failureRateStdevFactor;
    this.failureRateMargin = b.failureRateMargin;
    this.failureShareAbove = b.failureShareAbove;
    this.latencyFactor = b.latencyFactor;
    this.latencyMarginNanos = b.latencyMargin.toNanos();
  }

  /**
   * 5 consecutive failures; every second, over the last 10 s, among at least 3 endpoints with 100
   * calls each: a failure rate 1.9 σ (and at least 5 points) above the peers' median, or a mean
   * answer 3 times the peers' median and 5 ms slower; no absolute failure share; ejections of 30 s
   * base, 5 min at most, at most half of the endpoints.
   */
  public static OutlierDetection defaults() {
    return DEFAULTS;
  }

  /** No endpoint is ever ejected. */
  public static OutlierDetection disabled() {
    return DISABLED;
  }

  /** Returns a builder that starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether ejection is on. */
  public boolean enabled() {
    return enabled;
  }

  /** Failures in a row that eject an endpoint. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** How long a first ejection lasts. */
  public Duration baseEjectionTime() {
    return Duration.ofNanos(baseEjectionNanos);
  }

  /** The longest an ejection lasts. */
  public Duration maxEjectionTime() {
    return Duration.ofNanos(maxEjectionNanos);
  }

  /** The largest share of a service's endpoints ejected at once. */
  public double maxEjectedShare() {
    return maxEjectedShare;
  }

  /** How often failure rates and latencies are compared across peers. */
  public Duration interval() {
    return Duration.ofNanos(intervalNanos);
  }

  /** How far back the comparison looks. */
  public Duration window() {
    return Duration.ofNanos(windowNanos);
  }

  /** The calls an endpoint needs in the window to be compared, or to count as a peer. */
  public int requestVolume() {
    return requestVolume;
  }

  /** How many endpoints with enough calls a comparison needs, the compared one included. */
  public int minimumHosts() {
    return minimumHosts;
  }

  /** How many of the peers' standard deviations above their median failure rate eject; 0: off. */
  public double failureRateStdevFactor() {
    return failureRateStdevFactor;
  }

  /** The least excess over the peers' median failure rate that ejects, as a fraction. */
  public double failureRateMargin() {
    return failureRateMargin;
  }

  /** The failure share above which an endpoint is ejected whatever its peers do; 1: off. */
  public double failureShareAbove() {
    return failureShareAbove;
  }

  /** How many times the peers' median latency ejects an endpoint; 0: off. */
  public double latencyFactor() {
    return latencyFactor;
  }

  /** The least excess over the peers' median latency that ejects. */
  public Duration latencyMargin() {
    return Duration.ofNanos(latencyMarginNanos);
  }

  /** Whether anything is compared across peers on a schedule. */
  boolean comparesPeers() {
    return enabled && (failureRateStdevFactor > 0 || failureShareAbove < 1 || latencyFactor > 0);
  }

  @Override
  public String toString() {
    if (!enabled) {
      return "OutlierDetection{disabled}";
    }
    return "OutlierDetection{consecutiveFailures="
        + consecutiveFailures
        + ", failureRate="
        + (failureRateStdevFactor > 0
            ? failureRateStdevFactor + "σ and " + failureRateMargin + " above the peers' median"
            : "off")
        + ", failureShareAbove="
        + (failureShareAbove < 1 ? Double.toString(failureShareAbove) : "off")
        + ", latency="
        + (latencyFactor > 0
            ? latencyFactor + "× and " + Durations.nanos(latencyMarginNanos) + " over the peers'"
            : "off")
        + ", every "
        + Durations.nanos(intervalNanos)
        + " over "
        + Durations.nanos(windowNanos)
        + " with "
        + requestVolume
        + " calls on "
        + minimumHosts
        + " endpoints, baseEjectionTime="
        + Durations.human(baseEjectionTime())
        + ", maxEjectionTime="
        + Durations.human(maxEjectionTime())
        + ", maxEjectedShare="
        + maxEjectedShare
        + "}";
  }

  /** Builds an {@link OutlierDetection}; each setter validates its argument at once. */
  public static final class Builder {
    private boolean enabled = true;
    private int consecutiveFailures = 5;
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private Duration maxEjectionTime = Duration.ofMinutes(5);
    private double maxEjectedShare = 0.5;
    private Duration interval = Duration.ofSeconds(1);
    private Duration window = Duration.ofSeconds(10);
    private int requestVolume = 100;
    private int minimumHosts = 3;
    private double failureRateStdevFactor = 1.9;
    private double failureRateMargin = 0.05;
    private double failureShareAbove = 1.0;
    private double latencyFactor = 3.0;
    private Duration latencyMargin = Duration.ofMillis(5);

    private Builder() {}

    /**
     * How often failure rates and latencies are compared across an service's endpoints.
     *
     * @throws IllegalArgumentException if not between 100 ms and 10 minutes
     */
    public Builder interval(Duration interval) {
      this.interval =
          Durations.checkBetween(
              "interval", interval, Duration.ofMillis(100), Duration.ofMinutes(10));
      return this;
    }

    /**
     * How far back the comparison looks; it is at least one interval long (see {@link #build()}).
     *
     * @throws IllegalArgumentException if not between 100 ms and 1 hour
     */
    public Builder window(Duration window) {
      this.window =
          Durations.checkBetween("window", window, Duration.ofMillis(100), Duration.ofHours(1));
      return this;
    }

    /**
     * The calls an endpoint needs in the window to be compared with its peers, or to count as one.
     *
     * @throws IllegalArgumentException if not between 1 and 1,000,000
     */
    public Builder requestVolume(int calls) {
      if (calls < 1 || calls > 1_000_000) {
        throw new IllegalArgumentException(
            "requestVolume must be between 1 and 1000000 but was " + calls);
      }
      this.requestVolume = calls;
      return this;
    }

    /**
     * How many endpoints with enough calls a comparison needs, the compared one included (Envoy
     * asks for 5; with fewer peers a median says less).
     *
     * @throws IllegalArgumentException if not between 2 and 10,000
     */
    public Builder minimumHosts(int hosts) {
      if (hosts < 2 || hosts > 10_000) {
        throw new IllegalArgumentException(
            "minimumHosts must be between 2 and 10000 but was " + hosts);
      }
      this.minimumHosts = hosts;
      return this;
    }

    /**
     * How many of the peers' standard deviations (estimated robustly from their median absolute
     * deviation) an endpoint's failure rate must exceed their median by; 0 turns the rule off.
     *
     * @throws IllegalArgumentException if not between 0 and 100
     */
    public Builder failureRateStdevFactor(double factor) {
      if (!(factor >= 0 && factor <= 100)) {
        throw new IllegalArgumentException(
            "failureRateStdevFactor must be between 0 and 100 but was " + factor);
      }
      this.failureRateStdevFactor = factor;
      return this;
    }

    /**
     * The least excess over the peers' median failure rate that ejects, as a fraction (0.05: five
     * points), so that peers that never fail do not make a single failure an outlier.
     *
     * @throws IllegalArgumentException if not between 0 and 1
     */
    public Builder failureRateMargin(double margin) {
      if (!(margin >= 0 && margin <= 1)) {
        throw new IllegalArgumentException(
            "failureRateMargin must be between 0.0 and 1.0 but was " + margin);
      }
      this.failureRateMargin = margin;
      return this;
    }

    /**
     * Ejects an endpoint with enough calls that fails more than this share of them, whatever its
     * peers do (Envoy's {@code failure_percentage}); 1 (the default) turns the rule off. Beware: in
     * an outage of the whole service it ejects up to {@link #maxEjectedShare(double)} of it.
     *
     * @throws IllegalArgumentException if not between 0 and 1
     */
    public Builder failureShareAbove(double share) {
      if (!(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException(
            "failureShareAbove must be between 0.0 and 1.0 but was " + share);
      }
      this.failureShareAbove = share;
      return this;
    }

    /**
     * How many times its peers' median latency an endpoint's mean answer must take to be ejected; 0
     * turns the rule off.
     *
     * @throws IllegalArgumentException if neither 0 nor between 1.5 and 1000
     */
    public Builder latencyFactor(double factor) {
      if (!(factor == 0 || (factor >= 1.5 && factor <= 1000))) {
        throw new IllegalArgumentException(
            "latencyFactor must be 0 (off) or between 1.5 and 1000 but was " + factor);
      }
      this.latencyFactor = factor;
      return this;
    }

    /**
     * The least excess over its peers' median latency that ejects an endpoint, so that 0.3 ms
     * against 0.1 ms is no outlier.
     *
     * @throws IllegalArgumentException if negative or above 1 minute
     */
    public Builder latencyMargin(Duration margin) {
      this.latencyMargin =
          Durations.checkBetween("latencyMargin", margin, Duration.ZERO, Duration.ofMinutes(1));
      return this;
    }

    /** Turns ejection on (the default) or off. */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /**
     * Failures in a row that eject an endpoint.
     *
     * @throws IllegalArgumentException if not between 1 and 1000
     */
    public Builder consecutiveFailures(int count) {
      if (count < 1 || count > 1000) {
        throw new IllegalArgumentException(
            "consecutiveFailures must be between 1 and 1000 but was " + count);
      }
      this.consecutiveFailures = count;
      return this;
    }

    /**
     * How long a first ejection lasts; the n-th recent ejection lasts n times as long.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 hour
     */
    public Builder baseEjectionTime(Duration time) {
      Objects.requireNonNull(time, "baseEjectionTime");
      if (time.compareTo(Duration.ofMillis(1)) < 0 || time.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "baseEjectionTime must be between 1ms and 1h but was " + time);
      }
      this.baseEjectionTime = time;
      return this;
    }

    /**
     * The longest an ejection lasts, however often the endpoint was ejected.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 day
     */
    public Builder maxEjectionTime(Duration time) {
      Objects.requireNonNull(time, "maxEjectionTime");
      if (time.compareTo(Duration.ofMillis(1)) < 0 || time.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(
            "maxEjectionTime must be between 1ms and 1d but was " + time);
      }
      this.maxEjectionTime = time;
      return this;
    }

    /**
     * The largest share of a service's endpoints ejected at once; at least one endpoint may always
     * be ejected.
     *
     * @throws IllegalArgumentException if not between 0 and 1
     */
    public Builder maxEjectedShare(double share) {
      if (!(share >= 0.0 && share <= 1.0)) {
        throw new IllegalArgumentException(
            "maxEjectedShare must be between 0.0 and 1.0 but was " + share);
      }
      this.maxEjectedShare = share;
      return this;
    }

    /**
     * Returns the immutable settings.
     *
     * @throws IllegalArgumentException if maxEjectionTime is shorter than baseEjectionTime, or the
     *     window shorter than the interval
     */
    public OutlierDetection build() {
      if (window.compareTo(interval) < 0) {
        throw new IllegalArgumentException(
            "window (" + window + ") must not be shorter than interval (" + interval + ")");
      }
      if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
        throw new IllegalArgumentException(
            "maxEjectionTime ("
                + maxEjectionTime
                + ") must not be shorter than baseEjectionTime ("
                + baseEjectionTime
                + ")");
      }
      return new OutlierDetection(this);
    }
  }
}
