package io.hyperlane.resilience;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A service's recent latencies: a log-scale histogram (buckets 10% apart, from 1 µs to about three
 * minutes) over the current and the previous window of 10 s. Recording is lock-free; a percentile
 * is recomputed at most every 100 ms.
 */
final class LatencyWindow {

  private static final int BUCKETS = 200;
  private static final double GROWTH = Math.log(1.1);
  private static final long WINDOW_NANOS = 10_000_000_000L;
  private static final long REFRESH_NANOS = 100_000_000L;

  private volatile AtomicLongArray current = new AtomicLongArray(BUCKETS);
  private volatile AtomicLongArray previous = new AtomicLongArray(BUCKETS);
  private volatile long windowStart = Long.MIN_VALUE;

  private volatile long cachedAt = Long.MIN_VALUE;
  private volatile double cachedPercentile;
  private volatile double cachedMultiple;
  private volatile long cachedValue = -1;

  /**
   * Records how long a call took to answer with {@code status}: a 5xx is a failure, not a latency —
   * a replica that fails fast must not make the service look fast.
   */
  void recordAnswer(int status, long latencyNanos, long now) {
    if (status < 500) {
      record(latencyNanos, now);
    }
  }

  void record(long latencyNanos, long now) {
    rotate(now);
    current.incrementAndGet(bucket(latencyNanos));
  }

  /**
   * The latency below which {@code percentile} of recent calls fell, or -1 with too few samples.
   */
  long percentileNanos(double percentile, int minSamples, long now) {
    return percentileNanos(percentile, 0, minSamples, now);
  }

  /**
   * The latency below which {@code percentile} of recent calls fell or, when that is more than
   * {@code medianMultiple} times their median (no such bound when 0) and the latencies have two
   * modes, that multiple of the median; -1 with too few samples.
   */
  long percentileNanos(double percentile, double medianMultiple, int minSamples, long now) {
    if (cachedPercentile == percentile
        && cachedMultiple == medianMultiple
        && now - cachedAt < REFRESH_NANOS
        && cachedAt != Long.MIN_VALUE) {
      return cachedValue;
    }
    rotate(now);
    AtomicLongArray a = current;
    AtomicLongArray b = previous;
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      total += a.get(i) + b.get(i);
    }
    long value = -1;
    if (total >= Math.max(1, minSamples)) {
      long rank = (long) Math.ceil(percentile * total);
      long medianRank = (long) Math.ceil(0.5 * total);
      long median = -1;
      long seen = 0;
      for (int i = 0; i < BUCKETS; i++) {
        seen += a.get(i) + b.get(i);
        if (median < 0 && seen >= medianRank) {
          median = upperBound(i);
        }
        if (seen >= rank) {
          value = upperBound(i);
          break;
        }
      }
      long capped = (long) (median * medianMultiple);
      if (medianMultiple > 0 && value > capped && bimodal(a, b, median, value)) {
        value = capped;
      }
    }
    if (value >= 0) { // "too few samples" is not kept: the next call may bring enough
      cachedValue = value;
      cachedPercentile = percentile;
      cachedMultiple = medianMultiple;
      cachedAt = now;
    }
    return value;
  }

  /**
   * Whether the latencies have a fast mode around {@code median} and a slow one around {@code
   * high}: fewer of them lie strictly between twice the median and half of {@code high} than a
   * fifth of those at or above half of {@code high}. A tail that thins out as it grows (a
   * log-normal's, however heavy) has more in between: a log-normal whose p95 is five times its
   * median has 7% of its calls there and 17% beyond.
   */
  private static boolean bimodal(AtomicLongArray a, AtomicLongArray b, long median, long high) {
    long between = 0;
    long slow = 0;
    int gap = 0; // buckets between the modes: with none, there is no telling
    for (int i = 0; i < BUCKETS; i++) {
      long bound = upperBound(i);
      long n = a.get(i) + b.get(i);
      if (bound >= high / 2) {
        slow += n;
      } else if (bound > 2 * median) {
        between += n;
        gap++;
      }
    }
    return gap > 0 && between * 5 < slow;
  }

  private void rotate(long now) {
    long start = windowStart;
    if (start != Long.MIN_VALUE && now - start < WINDOW_NANOS) {
      return;
    }
    synchronized (this) {
      start = windowStart;
      if (start == Long.MIN_VALUE) {
        windowStart = now;
      } else if (now - start >= WINDOW_NANOS) {
        previous = now - start >= 2 * WINDOW_NANOS ? new AtomicLongArray(BUCKETS) : current;
        current = new AtomicLongArray(BUCKETS);
        windowStart = now;
      }
    }
  }

  static int bucket(long nanos) {
    double micros = nanos / 1000.0;
    if (micros <= 1) {
      return 0;
    }
    return (int) Math.min(BUCKETS - 1, Math.ceil(Math.log(micros) / GROWTH));
  }

  /** The largest latency that falls in bucket {@code i}. */
  static long upperBound(int i) {
    return (long) (Math.exp(i * GROWTH) * 1000);
  }
}
