package io.hyperlane.client;

import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/**
 * One service's sliding window of logical calls for its {@link AlertPolicy}: ten time slices, each
 * with a log-scale latency histogram (buckets 10% apart) and call and error counts. Recording is
 * lock-free; evaluation, at most once per second, is serialised.
 */
final class AlertState {

  private static final int SLICES = 10;
  private static final int BUCKETS = 200;
  private static final double GROWTH = Math.log(1.1);
  private static final long EVALUATION_NANOS = 1_000_000_000L;

  private final String service;
  private final AlertPolicy policy;
  private final AlertListener listener;
  private final long sliceNanos;
  private final AtomicLongArray[] histograms = new AtomicLongArray[SLICES];
  private final AtomicLongArray calls = new AtomicLongArray(SLICES);
  private final AtomicLongArray errors = new AtomicLongArray(SLICES);
  private final long[] sliceIds = new long[SLICES];

  // Guarded by this.
  private long nextEvaluation = Long.MIN_VALUE;
  private boolean latencyFiring;
  private boolean errorsFiring;

  AlertState(String service, AlertPolicy policy, AlertListener listener) {
    this.service = service;
    this.policy = policy;
    this.listener = listener;
    this.sliceNanos = Math.max(1, policy.windowNanos / SLICES);
    for (int i = 0; i < SLICES; i++) {
      histograms[i] = new AtomicLongArray(BUCKETS);
      sliceIds[i] = Long.MIN_VALUE;
    }
  }

  void record(long latencyNanos, boolean failed, long now) {
    int i = slice(now);
    histograms[i].incrementAndGet(bucket(latencyNanos));
    calls.incrementAndGet(i);
    if (failed) {
      errors.incrementAndGet(i);
    }
    if (now - nextEvaluation >= 0 || nextEvaluation == Long.MIN_VALUE) {
      evaluate(now);
    }
  }

  private synchronized int slice(long now) {
    long id = Math.floorDiv(now, sliceNanos);
    int i = (int) Math.floorMod(id, (long) SLICES);
    if (sliceIds[i] != id) { // a slice from an older window: start it afresh
      sliceIds[i] = id;
      calls.set(i, 0);
      errors.set(i, 0);
      histograms[i] = new AtomicLongArray(BUCKETS);
    }
    return i;
  }

  private void evaluate(long now) {
    Alert fired = null;
    Alert other = null;
    synchronized (this) {
      if (nextEvaluation != Long.MIN_VALUE && now - nextEvaluation < 0) {
        return;
      }
      nextEvaluation = now + EVALUATION_NANOS;
      long current = Math.floorDiv(now, sliceNanos);
      long total = 0;
      long failed = 0;
      long[] merged = new long[BUCKETS];
      for (int i = 0; i < SLICES; i++) {
        if (sliceIds[i] == Long.MIN_VALUE || current - sliceIds[i] >= SLICES) {
          continue; // outside the window
        }
        total += calls.get(i);
        failed += errors.get(i);
        AtomicLongArray h = histograms[i];
        for (int b = 0; b < BUCKETS; b++) {
          merged[b] += h.get(b);
        }
      }
      if (total < policy.minCalls) {
        return;
      }
      if (policy.p99Nanos > 0) {
        double p99 = percentile(merged, total, 0.99) / 1e9;
        double threshold = policy.p99Nanos / 1e9;
        if (!latencyFiring && p99 > threshold) {
          latencyFiring = true;
          fired = new Alert(service, Alert.Kind.P99_LATENCY, true, p99, threshold);
        } else if (latencyFiring && p99 <= threshold * 0.9) {
          latencyFiring = false;
          fired = new Alert(service, Alert.Kind.P99_LATENCY, false, p99, threshold);
        }
      }
      if (policy.errorRate > 0) {
        double rate = failed / (double) total;
        if (!errorsFiring && rate > policy.errorRate) {
          errorsFiring = true;
          other = new Alert(service, Alert.Kind.ERROR_RATE, true, rate, policy.errorRate);
        } else if (errorsFiring && rate <= policy.errorRate * 0.9) {
          errorsFiring = false;
          other = new Alert(service, Alert.Kind.ERROR_RATE, false, rate, policy.errorRate);
        }
      }
    }
    deliver(fired);
    deliver(other);
  }

  private void deliver(@Nullable Alert alert) {
    if (alert == null) {
      return;
    }
    try {
      listener.onAlert(alert);
    } catch (RuntimeException ignored) {
      // an alert listener must not break a call
    }
  }

  private static long percentile(long[] histogram, long total, double p) {
    long rank = (long) Math.ceil(p * total);
    long seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      seen += histogram[b];
      if (seen >= rank) {
        return (long) (Math.exp(b * GROWTH) * 1000);
      }
    }
    return (long) (Math.exp((BUCKETS - 1) * GROWTH) * 1000);
  }

  private static int bucket(long nanos) {
    double micros = nanos / 1000.0;
    return micros <= 1 ? 0 : (int) Math.min(BUCKETS - 1, Math.ceil(Math.log(micros) / GROWTH));
  }
}
