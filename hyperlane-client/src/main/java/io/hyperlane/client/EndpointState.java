package io.hyperlane.client;

import io.hyperlane.resilience.CircuitState;
import io.hyperlane.resilience.internal.WatchedCircuit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.HttpUrl;
import org.jspecify.annotations.Nullable;

/**
 * What one service knows of one of its endpoints: load, latency, outcomes, ejection and ramp state.
 *
 * <p>Counters are lock-free. The latency estimate is guarded by this object's monitor (two fields
 * updated together, uncontended in practice). Ejection and ramp fields are written under the owning
 * {@link ServiceState}'s lock and read without it.
 */
final class EndpointState {

  /**
   * Latency added to every estimate so that in-flight counts still weigh when nothing is sampled.
   */
  private static final double COST_FLOOR_NANOS = 1_000.0;

  /**
   * Replaced, under the service lock, when discovery changes the weight; the origin never changes.
   */
  volatile Endpoint endpoint;

  private final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder requests = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LongAdder lostRaces = new LongAdder();
  private final LongAdder answeredNanosTotal = new LongAdder();
  private final LongAdder timedCalls = new LongAdder();
  final AtomicInteger consecutiveFailures = new AtomicInteger();

  // Peak EWMA latency, guarded by this: what the balancer ranks by (failures count at least the
  // failure penalty), and what the endpoint answered in (failures at their real duration).
  private double costNanos;
  private double answeredNanos;
  private long stampNanos;
  private boolean sampled;

  // Outlier ejection: written under the service lock.
  volatile boolean ejected;
  volatile String ejectedFor = "";
  RoutingEvent.@Nullable EjectionReason ejectedBy;

  // Active health checks: written under the service lock. Healthy until probes say otherwise.
  volatile boolean probeHealthy = true;
  int probePasses;
  int probeFailures;
  volatile String lastProbe = "";
  volatile long ejectedUntilNanos;
  int ejections;
  int recentEjections;
  long returnedAtNanos;

  // Slow start: written under the service lock.
  volatile boolean ramping;
  volatile long rampStartNanos;

  /**
   * What the server last reported of its load ({@link LoadReport}), with what the balancer derives
   * from it; null before the first report. Written by the thread that read the response.
   */
  private volatile @Nullable Reported reported;

  /**
   * A server's report as the balancer uses it: {@code others} is the requests in flight it had from
   * other callers (its count less this client's own), {@code atNanos} when it arrived.
   */
  record Reported(LoadReport report, double others, long atNanos) {}

  /**
   * How long a report steers the balancer: its weight falls linearly to nothing over this time, so
   * that an endpoint reported busy and then avoided is tried again.
   */
  static final long REPORT_LIFETIME_NANOS = 1_000_000_000L;

  /** Smooth weighted round robin's running weight, guarded by the round-robin balancer. */
  double roundRobinCurrent;

  /** The endpoint's circuit, or null when endpoint circuits are off. */
  final @Nullable WatchedCircuit circuit;

  EndpointState(
      Endpoint endpoint, double seedCostNanos, long nowNanos, @Nullable WatchedCircuit circuit) {
    this.endpoint = endpoint;
    this.circuit = circuit;
    this.costNanos = seedCostNanos;
    this.stampNanos = nowNanos;
  }

  /**
   * The request's URL with this endpoint's scheme, host and port; path, query, fragment and user
   * info kept as they are encoded. Starting from the endpoint's URL, whose host is already
   * canonical, costs half as much as setting the host on the request's URL (no host parsing per
   * call).
   */
  HttpUrl rewrite(HttpUrl url) {
    HttpUrl.Builder b = endpoint.url().newBuilder().encodedPath(url.encodedPath());
    String query = url.encodedQuery();
    if (query != null) {
      b.encodedQuery(query);
    }
    String fragment = url.encodedFragment();
    if (fragment != null) {
      b.encodedFragment(fragment);
    }
    if (!url.encodedUsername().isEmpty() || !url.encodedPassword().isEmpty()) {
      b.encodedUsername(url.encodedUsername()).encodedPassword(url.encodedPassword());
    }
    return b.build();
  }

  /** Whether the endpoint takes normal traffic as far as its circuit is concerned. */
  boolean circuitClosed() {
    if (circuit == null) {
      return true;
    }
    return circuit.state() == CircuitState.CLOSED;
  }

  /** Counts a call in and returns this client's calls in flight to the endpoint, it included. */
  int begin() {
    return inFlight.incrementAndGet();
  }

  void end() {
    inFlight.decrementAndGet();
  }

  int inFlight() {
    return inFlight.get();
  }

  /** Counts a success that took {@code answeredNanos}. */
  void countSuccess(long answeredNanos) {
    answeredNanosTotal.add(answeredNanos);
    timedCalls.increment();
    requests.increment();
    if (consecutiveFailures.get() != 0) {
      consecutiveFailures.set(0);
    }
  }

  /** Counts a failure and returns how many there have been in a row. */
  int countFailure() {
    requests.increment();
    failures.increment();
    return consecutiveFailures.incrementAndGet();
  }

  /**
   * Counts an attempt outrun by a later hedge and returns how many failures and lost races there
   * have been in a row.
   */
  int countLostRace(long tookAtLeastNanos) {
    // For the latency rule, a lower bound on the time it would have taken: a hedge cancels the
    // slow calls, and leaving them out would hide a slow endpoint behind its fast answers.
    answeredNanosTotal.add(tookAtLeastNanos);
    timedCalls.increment();
    lostRaces.increment();
    return consecutiveFailures.incrementAndGet();
  }

  long lostRaces() {
    return lostRaces.sum();
  }

  long requests() {
    return requests.sum();
  }

  long failures() {
    return failures.sum();
  }

  /** The time all successful calls and attempts outrun by a hedge took, added up. */
  long answeredNanosTotal() {
    return answeredNanosTotal.sum();
  }

  /** How many calls {@link #answeredNanosTotal()} adds up. */
  long timedCalls() {
    return timedCalls.sum();
  }

  /**
   * The counters at the evaluations of the current window, kept by {@link PeerComparison} (one
   * evaluation runs at a time); an ejection drops them, so that an endpoint back in rotation is
   * judged on what it does from then on.
   */
  volatile PeerComparison.@Nullable History history;

  /**
   * The latency estimate decayed to {@code now}: an endpoint not heard from drifts back to cheap.
   */
  synchronized double latencyNanos(long now, long decayNanos) {
    return decayed(now, decayNanos);
  }

  /**
   * The balancing cost: latency estimate × (requests in flight + 1), where the requests in flight
   * are this client's own plus, while a server report is fresh, the ones the server said it had
   * from other callers.
   */
  double peakEwmaCost(long now, long decayNanos) {
    return (latencyNanos(now, decayNanos) + COST_FLOOR_NANOS) * (requestsInFlight(now) + 1);
  }

  /** This client's requests in flight plus the other callers' from a fresh server report. */
  double requestsInFlight(long now) {
    return inFlight.get() + othersInFlight(now);
  }

  /** The other callers' requests in flight the last report gave, fading over its lifetime. */
  double othersInFlight(long now) {
    Reported r = reported;
    if (r == null || r.others == 0) {
      return 0;
    }
    long age = Math.max(0, now - r.atNanos); // a report stored after this pick read the time
    return age >= REPORT_LIFETIME_NANOS ? 0 : r.others * (1 - age / (double) REPORT_LIFETIME_NANOS);
  }

  /** More requests in flight than a report may add: beyond it the endpoint is simply avoided. */
  static final double MAX_REPORTED_OTHERS = 1_000_000;

  /**
   * Keeps what a response's {@code endpoint-load-metrics} header says, if it can be read. The
   * server counted its requests in flight when the request arrived; of those, at most {@code
   * mineInFlightAtSend} were this client's (its calls in flight to the endpoint when it sent this
   * one, this one included), so the rest came from other callers. Counting this client's calls at
   * the time of the response instead would take the ones that ended meanwhile for other callers'.
   */
  void report(@Nullable String header, int mineInFlightAtSend, long now) {
    LoadReport report = LoadReport.parse(header);
    if (report != null) {
      double rif = report.requestsInFlight();
      double others =
          Double.isNaN(rif)
              ? 0
              : Math.min(MAX_REPORTED_OTHERS, Math.max(0, rif - mineInFlightAtSend));
      reported = new Reported(report, others, now);
    }
  }

  /** The last report and when it came, or null. */
  @Nullable Reported reported() {
    return reported;
  }

  synchronized boolean sampled() {
    return sampled;
  }

  /**
   * Feeds one latency sample: a sample above the estimate replaces it (the peak), a lower one pulls
   * it down with a weight that grows with the time since the last sample.
   */
  synchronized void observe(long now, long rttNanos, long decayNanos) {
    observe(now, rttNanos, rttNanos, decayNanos);
  }

  /**
   * Feeds a sample whose cost to the balancer, {@code costSampleNanos}, is more than the time it
   * took: a failure, which costs at least the failure penalty.
   */
  synchronized void observe(long now, long rttNanos, long costSampleNanos, long decayNanos) {
    double w = weightOfPast(now, decayNanos);
    costNanos = peak(costNanos * w, costSampleNanos, w);
    answeredNanos = peak(answeredNanos * w, rttNanos, w);
    stampNanos = now;
    sampled = true;
  }

  private static double peak(double current, long sample, double weightOfPast) {
    return sample > current ? sample : current + sample * (1.0 - weightOfPast);
  }

  /** What it answered in, decayed to {@code now}: the estimate without the failure penalty. */
  synchronized double answeredNanos(long now, long decayNanos) {
    return answeredNanos * weightOfPast(now, decayNanos);
  }

  /**
   * Feeds a sample that is only a lower bound (the call was cancelled before it finished): it may
   * raise the estimate, never lower it.
   */
  synchronized void observeAtLeast(long now, long rttNanos, long decayNanos) {
    if (rttNanos > decayed(now, decayNanos)) {
      observe(now, rttNanos, decayNanos);
    }
  }

  private double decayed(long now, long decayNanos) {
    return costNanos * weightOfPast(now, decayNanos);
  }

  private double weightOfPast(long now, long decayNanos) {
    long elapsed = now - stampNanos;
    return elapsed <= 0 ? 1.0 : Math.exp(-elapsed / (double) decayNanos);
  }
}
