package io.hyperlane.client;

import io.hyperlane.resilience.internal.Durations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * {@link OutlierDetection}'s rules that compare a service's endpoints with each other: run on the
 * scheduler's thread (never on a caller's) at most once an interval while the service is called,
 * over the last window of each endpoint's counters, which the request path keeps anyway (its
 * requests and failures, and the time its successes and its attempts outrun by a hedge took, as a
 * lower bound for those). The service runs one evaluation at a time, under a lock an update of its
 * policies takes too, so the histories need no lock of their own.
 *
 * <p>The statistics are the median and the median absolute deviation of the endpoints with enough
 * calls, not Envoy's mean and standard deviation: one outlier among five identical endpoints can
 * never sit 1.9 standard deviations below their mean (the most it can is {@code (n − 1)/√n} = 1.79,
 * so Envoy's default never fires below six endpoints), and a second bad endpoint inflates a
 * standard deviation enough to hide the first while it barely moves a median.
 */
final class PeerComparison {

  /** 1.4826 × MAD estimates a normal distribution's standard deviation. */
  private static final double MAD_TO_SIGMA = 1.4826;

  /** One endpoint's cumulative counters at the evaluations of its current window. */
  static final class History {
    private final long[] requests;
    private final long[] failures;
    private final long[] answeredNanos;
    private final long[] timed;
    private final long[] at;
    private int newest = -1;
    private int size;

    History(int slots) {
      requests = new long[slots];
      failures = new long[slots];
      answeredNanos = new long[slots];
      timed = new long[slots];
      at = new long[slots];
    }

    void push(long now, long r, long f, long a, long t) {
      newest = (newest + 1) % requests.length;
      requests[newest] = r;
      failures[newest] = f;
      answeredNanos[newest] = a;
      timed[newest] = t;
      at[newest] = now;
      size = Math.min(size + 1, requests.length);
    }

    /**
     * The oldest entry taken no longer than {@code window} before {@code now} (evaluations are
     * irregular: none run while nobody calls), or the newest when there is none.
     */
    int start(long now, long window) {
      int i = newest;
      for (int k = 1; k < size; k++) {
        int older = Math.floorMod(newest - k, requests.length);
        if (now - at[older] > window) {
          break;
        }
        i = older;
      }
      return i;
    }
  }

  /** What one endpoint did over the window. */
  private record Sample(
      EndpointState endpoint, long calls, long failed, long timed, double meanAnswerNanos) {
    double failureRate() {
      return calls == 0 ? 0 : failed / (double) calls;
    }
  }

  private final OutlierEjection ejection;
  private final Supplier<EndpointState[]> endpoints;
  private final OutlierDetection policy;
  private final int slots;

  PeerComparison(OutlierEjection ejection, Supplier<EndpointState[]> endpoints) {
    this.ejection = ejection;
    this.endpoints = endpoints;
    this.policy = ejection.policy();
    // The counters at the start of the window and at each evaluation in it.
    this.slots = (int) Math.min(10_000, policy.windowNanos / policy.intervalNanos) + 2;
  }

  /** Takes every endpoint's counters and ejects the outliers among them. */
  void evaluate(long now) {
    EndpointState[] all = endpoints.get();
    List<Sample> samples = new ArrayList<>(all.length);
    for (EndpointState e : all) {
      long r = e.requests();
      long f = e.failures();
      long a = e.answeredNanosTotal();
      long t = e.timedCalls();
      History h = e.history;
      if (h == null) {
        h = new History(slots);
        e.history = h;
        h.push(now, r, f, a, t);
        continue;
      }
      if (e.ejected) {
        e.history = null; // back from ejection, it starts a fresh window
        continue;
      }
      h.push(now, r, f, a, t);
      // A little slack: an evaluation handed over one window ago still counts as in it.
      int o = h.start(now, policy.windowNanos + policy.intervalNanos / 2);
      long calls = r - h.requests[o];
      long timed = t - h.timed[o];
      if (calls >= policy.requestVolume || timed >= policy.requestVolume) {
        long failed = f - h.failures[o];
        samples.add(
            new Sample(
                e,
                calls,
                failed,
                timed,
                timed == 0 ? Double.NaN : (a - h.answeredNanos[o]) / (double) timed));
      }
    }
    failureRates(samples, now);
    if (policy.failureShareAbove < 1) {
      failureShares(samples, now);
    }
    if (policy.latencyFactor > 0) {
      latencies(samples, now);
    }
  }

  private void failureRates(List<Sample> samples, long now) {
    if (policy.failureRateStdevFactor <= 0) {
      return;
    }
    List<Sample> judged = new ArrayList<>(samples.size());
    for (Sample s : samples) {
      if (s.calls >= policy.requestVolume) {
        judged.add(s);
      }
    }
    if (judged.size() < policy.minimumHosts) {
      return;
    }
    double[] rates = judged.stream().mapToDouble(Sample::failureRate).toArray();
    double median = median(rates);
    double[] deviations = Arrays.stream(rates).map(x -> Math.abs(x - median)).toArray();
    double sigma = MAD_TO_SIGMA * median(deviations);
    double threshold =
        median + Math.max(policy.failureRateMargin, policy.failureRateStdevFactor * sigma);
    worstFirst(judged, Sample::failureRate)
        .forEach(
            s -> {
              if (s.failureRate() > threshold) {
                ejection.eject(
                    s.endpoint,
                    now,
                    s.endpoint.consecutiveFailures.get(),
                    RoutingEvent.EjectionReason.FAILURE_RATE,
                    String.format(
                        Locale.ROOT,
                        "failed %s of %d calls in the last %s; the median of %d endpoints %s",
                        percent(s.failureRate()),
                        s.calls,
                        Durations.nanos(policy.windowNanos),
                        judged.size(),
                        percent(median)));
              }
            });
  }

  private void failureShares(List<Sample> samples, long now) {
    worstFirst(samples, Sample::failureRate)
        .forEach(
            s -> {
              if (!s.endpoint.ejected
                  && s.calls >= policy.requestVolume
                  && s.failureRate() > policy.failureShareAbove) {
                ejection.eject(
                    s.endpoint,
                    now,
                    s.endpoint.consecutiveFailures.get(),
                    RoutingEvent.EjectionReason.FAILURE_SHARE,
                    String.format(
                        Locale.ROOT,
                        "failed %s of %d calls in the last %s, above %s",
                        percent(s.failureRate()),
                        s.calls,
                        Durations.nanos(policy.windowNanos),
                        percent(policy.failureShareAbove)));
              }
            });
  }

  private void latencies(List<Sample> samples, long now) {
    List<Sample> answered = new ArrayList<>(samples.size());
    for (Sample s : samples) {
      if (!s.endpoint.ejected && s.timed >= policy.requestVolume) {
        answered.add(s);
      }
    }
    if (answered.size() < policy.minimumHosts) {
      return;
    }
    double median = median(answered.stream().mapToDouble(Sample::meanAnswerNanos).toArray());
    double threshold = Math.max(policy.latencyFactor * median, median + policy.latencyMarginNanos);
    worstFirst(answered, Sample::meanAnswerNanos)
        .forEach(
            s -> {
              if (s.meanAnswerNanos >= threshold) {
                ejection.eject(
                    s.endpoint,
                    now,
                    s.endpoint.consecutiveFailures.get(),
                    RoutingEvent.EjectionReason.LATENCY,
                    String.format(
                        Locale.ROOT,
                        "answered in %s on average over %d calls in the last %s; the median of %d"
                            + " endpoints %s",
                        Durations.nanos((long) s.meanAnswerNanos),
                        s.timed,
                        Durations.nanos(policy.windowNanos),
                        answered.size(),
                        Durations.nanos((long) median)));
              }
            });
  }

  private static List<Sample> worstFirst(List<Sample> samples, ToDoubleFunction<Sample> by) {
    List<Sample> sorted = new ArrayList<>(samples);
    sorted.sort(Comparator.comparingDouble(by).reversed());
    return sorted;
  }

  /** The median of {@code values} (not empty); sorts them. */
  static double median(double[] values) {
    Arrays.sort(values);
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  private static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * share);
  }
}
