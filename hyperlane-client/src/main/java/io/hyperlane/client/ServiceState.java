package io.hyperlane.client;

import io.hyperlane.resilience.AttemptContext;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitState;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Ticker;
import io.hyperlane.resilience.internal.Durations;
import io.hyperlane.resilience.internal.WatchedCircuit;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;
import javax.net.ssl.HostnameVerifier;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service's live endpoint set (the last good one when discovery fails) and the {@link
 * ServiceDiscovery.Context} its discovery delivers to; the routing stage's one object per service.
 * Choosing an endpoint is {@link EndpointPicker}'s job, and who is out of rotation and how much
 * weight a returning endpoint has is {@link OutlierEjection}'s; this class feeds each attempt's
 * outcome to the endpoint's statistics, its circuit and ejection, and takes snapshots.
 *
 * <p>The request path ({@link #pick}, {@link #onResponse}, {@link #onIoFailure} and friends) takes
 * no lock except on the rare transitions (ejection, return from ejection). Endpoint-set changes are
 * serialised by this object's monitor and published through one volatile array.
 */
final class ServiceState implements ServiceDiscovery.Context {

  private static final Logger log = LoggerFactory.getLogger(Hyperlane.class);
  private static final EndpointState[] NONE = new EndpointState[0];

  final String name;
  private volatile LoadBalancerPolicy policy;
  private final CircuitBreakerPolicy circuits;
  private final ResilienceListener listener;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final Executor blockingExecutor;
  private volatile Balancer balancer;
  private final ZonePreference zones;
  private final OutlierEjection ejection;
  private volatile @Nullable PeerComparison peers;
  private final RandomGenerator random;
  private @Nullable HealthChecker health; // set before the instance is shared
  private volatile long comparisonInterval;
  private final Object comparisonLock = new Object(); // taken before this, never after
  private volatile long nextComparisonAt;
  private static final VarHandle NEXT_COMPARISON;

  static {
    try {
      NEXT_COMPARISON =
          MethodHandles.lookup().findVarHandle(ServiceState.class, "nextComparisonAt", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile EndpointPicker picker;
  private boolean allowCleartext; // guarded by this
  private final LongAdder discoveryFailures = new LongAdder();

  /** Checks this service's certificates against its TLS authority; null: the client's own. */
  private @Nullable HostnameVerifier authorityVerifier;

  private volatile EndpointState[] endpoints = NONE;
  private volatile boolean closed;
  private final CountDownLatch firstEndpoints = new CountDownLatch(1);
  private volatile @Nullable Throwable lastFailure;

  // Guarded by this.
  private boolean initialised;
  private boolean inOutage;
  private ServiceDiscovery.@Nullable Subscription subscription;

  ServiceState(
      String name,
      LoadBalancerPolicy policy,
      OutlierDetection outliers,
      SlowStart slowStart,
      CircuitBreakerPolicy circuits,
      ZonePreference zones,
      ResilienceListener listener,
      Ticker ticker,
      Scheduler scheduler,
      Executor blockingExecutor,
      RandomGenerator random) {
    this.name = name;
    this.policy = policy;
    this.circuits = circuits;
    this.listener = listener;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.blockingExecutor = blockingExecutor;
    this.balancer = Balancer.create(policy, random);
    this.random = random;
    this.zones = zones;
    this.ejection =
        new OutlierEjection(
            name, outliers, slowStart, listener, this, () -> closed, () -> endpoints);
    this.picker = new EndpointPicker(name, balancer, ejection, zones, false);
    this.peers = outliers.comparesPeers() ? new PeerComparison(ejection, () -> endpoints) : null;
    this.comparisonInterval = outliers.intervalNanos;
    this.nextComparisonAt = ticker.read() + comparisonInterval;
  }

  /**
   * Sets what this service's TLS calls use; called by {@link Hyperlane.Builder#build()} before the
   * instance is shared.
   */
  ServiceState withTls(@Nullable HostnameVerifier authorityVerifier, boolean allowCleartext) {
    this.authorityVerifier = authorityVerifier;
    this.allowCleartext = allowCleartext;
    this.picker = new EndpointPicker(name, balancer, ejection, zones, allowCleartext);
    return this;
  }

  /**
   * Probes this service's endpoints as {@code check} says; called by {@link
   * Hyperlane.Builder#build()} before the instance is shared.
   */
  ServiceState withHealthCheck(HealthCheck check) {
    if (check.enabled()) {
      this.health =
          new HealthChecker(
              name,
              check,
              ejection,
              listener,
              this,
              () -> endpoints,
              ticker,
              scheduler,
              blockingExecutor,
              random,
              authorityVerifier);
    }
    return this;
  }

  /** The verifier of this service's {@code https} endpoints, or null for the client's own. */
  @Nullable HostnameVerifier authorityVerifier() {
    return authorityVerifier;
  }

  void start(ServiceDiscovery discovery) {
    if (health != null) {
      health.start();
    }
    ServiceDiscovery.Subscription s;
    try {
      s = discovery.subscribe(this);
    } catch (RuntimeException e) {
      failed(e);
      return;
    }
    synchronized (this) {
      subscription = s;
    }
    if (closed) {
      s.cancel();
    }
  }

  /**
   * Hands the comparison of the endpoints to the scheduler's thread when an interval has passed
   * since the last one: called as attempts end, so that a service nobody calls costs nothing and
   * starts no thread, and never run on a caller's thread.
   */
  private void compareIfDue(long now) {
    PeerComparison p = peers;
    if (p == null) {
      return;
    }
    long due = nextComparisonAt;
    if (now - due < 0 || !NEXT_COMPARISON.compareAndSet(this, due, now + comparisonInterval)) {
      return;
    }
    try {
      scheduler.schedule(
          Duration.ZERO,
          () -> {
            try {
              // One evaluation at a time, whatever the scheduler's threads, and never one an
              // update has replaced (it would judge by the old rules).
              synchronized (comparisonLock) {
                if (!closed && peers == p) {
                  p.evaluate(ticker.read());
                }
              }
              ejection.flush(); // the listener hears of ejections once no lock is held
            } catch (RuntimeException e) {
              log.warn("outlier detection of service {} failed: {}", name, e.toString());
            }
          });
    } catch (RuntimeException e) {
      log.debug("outlier detection of service {} not scheduled: {}", name, e.toString());
    }
  }

  void close() {
    ServiceDiscovery.Subscription s;
    synchronized (this) {
      closed = true;
      s = subscription;
      subscription = null;
    }
    if (health != null) {
      health.stop();
    }
    if (s != null) {
      try {
        s.cancel();
      } catch (RuntimeException e) {
        log.warn("discovery of service {} failed to stop: {}", name, e.toString());
      }
    }
  }

  // ---- The request path.

  /**
   * Chooses the endpoint for one attempt: among the endpoints that match {@code subset} (all of
   * them when none does), not ejected (all of them when all are), in the local zone while it is
   * healthy enough, preferring for a retry those its call has not tried yet; records the choice in
   * {@code attempt} when there is one.
   */
  EndpointState pick(long now, AttemptContext attempt, Request request, Map<String, String> subset)
      throws NoEndpointException {
    if (closed) {
      throw new NoEndpointException(name, "the Hyperlane instance is closed");
    }
    EndpointState[] service = endpoints;
    if (service.length == 0) {
      throw new NoEndpointException(name, "its discovery has delivered no endpoint yet");
    }
    return picker.pick(service, now, attempt, request, subset);
  }

  /**
   * Waits (real time) for the first endpoint set; null when it came, else what went wrong. Used by
   * {@code build()} for services that must not start empty.
   */
  @Nullable String awaitEndpoints(Duration timeout) {
    try {
      if (firstEndpoints.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while waiting";
    }
    Throwable failure = lastFailure;
    return failure == null ? "its discovery delivered nothing" : String.valueOf(failure);
  }

  /** True when one of the current endpoints has {@code host}. */
  boolean hasEndpointHost(String host) {
    for (EndpointState e : endpoints) {
      if (e.endpoint.url().host().equals(host)) {
        return true;
      }
    }
    return false;
  }

  void onResponse(EndpointState e, long start, long end, int status) {
    onResponse(e, start, end, status, null, 0);
  }

  /**
   * A response arrived; {@code loadHeader} is its {@code endpoint-load-metrics} header, if any,
   * which feeds the balancer, and {@code mineInFlightAtSend} this client's calls in flight to the
   * endpoint when the call was sent, it included.
   */
  void onResponse(
      EndpointState e,
      long start,
      long end,
      int status,
      @Nullable String loadHeader,
      int mineInFlightAtSend) {
    if (loadHeader != null) {
      e.report(loadHeader, mineInFlightAtSend, end);
    }
    if (status >= 500) {
      onFailure(e, start, end);
      if (e.circuit != null) {
        e.circuit.recordResponse(end - start, status);
      }
      return;
    }
    e.end();
    e.countSuccess(end - start);
    e.observe(end, end - start, policy.decayNanos);
    if (e.circuit != null) {
      e.circuit.recordResponse(end - start, status);
    }
    compareIfDue(end);
  }

  void onIoFailure(EndpointState e, long start, long end, Throwable failure) {
    onFailure(e, start, end);
    if (e.circuit != null) {
      e.circuit.onError(end - start, failure);
    }
  }

  private void onFailure(EndpointState e, long start, long end) {
    e.end();
    int inARow = e.countFailure();
    e.observe(
        end, end - start, Math.max(end - start, policy.failurePenaltyNanos), policy.decayNanos);
    ejectIfOutlier(e, end, inARow);
    compareIfDue(end);
  }

  private void ejectIfOutlier(EndpointState e, long now, int inARow) {
    ejection.afterFailure(e, now, inARow);
  }

  /**
   * The attempt was cancelled because a hedge sent after it answered first: the endpoint was outrun
   * by at least the hedging delay. Like an attempt's timeout in Envoy's outlier detection, it
   * counts toward the failures in a row that eject an endpoint (a success resets them), so that a
   * replica that accepts requests and never answers is ejected even while hedges rescue every call
   * it gets. It is no failure in the endpoint's statistics or circuit, and its latency is a lower
   * bound.
   */
  void onLostRace(EndpointState e, long start, long end) {
    onCancelled(e, start, end);
    ejectIfOutlier(e, end, e.countLostRace(end - start));
  }

  /**
   * The call was cancelled by its caller: not the endpoint's fault, and its latency a lower bound.
   */
  void onCancelled(EndpointState e, long start, long end) {
    e.end();
    e.observeAtLeast(end, end - start, policy.decayNanos);
    if (e.circuit != null) {
      e.circuit.releasePermission();
    }
  }

  /** The endpoint's weight now: lowered while it ramps up after joining or returning. */
  double effectiveWeight(EndpointState e, long now) {
    return ejection.weight(e, now);
  }

  // ---- ServiceDiscovery.Context: what discovery delivers to.

  @Override
  public String serviceName() {
    return name;
  }

  @Override
  public Ticker ticker() {
    return ticker;
  }

  @Override
  public Scheduler scheduler() {
    return scheduler;
  }

  @Override
  public Executor blockingExecutor() {
    return blockingExecutor;
  }

  @Override
  public void update(List<Endpoint> update) {
    List<Endpoint> usable = usable(update);
    if (usable.isEmpty()) {
      failed(
          new IllegalArgumentException(
              update == null || update.isEmpty()
                  ? "discovery delivered an empty endpoint set"
                  : "discovery delivered only null endpoints"));
      return;
    }
    long now = ticker.read();
    boolean recovered;
    int size;
    synchronized (this) {
      if (closed) {
        return;
      }
      EndpointState[] current = endpoints;
      recovered = inOutage;
      inOutage = false;
      size = usable.size();
      if (initialised && sameSet(current, usable)) {
        // Nothing changed: no new array, nothing for the balancer to rebuild.
        firstEndpoints.countDown();
      } else {
        Map<Endpoint, EndpointState> known = new HashMap<>();
        for (EndpointState e : current) {
          known.put(e.endpoint, e);
        }
        double seed = neutralLatency(current, now);
        EndpointState[] next = new EndpointState[size];
        for (int i = 0; i < next.length; i++) {
          Endpoint endpoint = usable.get(i);
          EndpointState state = known.get(endpoint);
          if (state == null) {
            state = new EndpointState(endpoint, seed, now, newCircuit(endpoint));
            if (initialised) {
              ejection.startRamp(
                  state, now); // the first set starts together; later arrivals ramp up
            }
          } else {
            state.endpoint = endpoint; // the weight, zone or metadata may have changed
          }
          next[i] = state;
        }
        balancer.prepare(next); // before publishing: no request thread builds anything
        endpoints = next;
        initialised = true;
        firstEndpoints.countDown();
      }
    }
    if (recovered) {
      log.info("discovery of service {} recovered with {} endpoints", name, size);
      ResilienceListener.notify(listener, new RoutingEvent.DiscoveryRecovered(name, size));
    } else {
      log.debug("service {} now has {} endpoints: {}", name, size, usable);
    }
  }

  /**
   * The endpoints of an update that can be used: nulls left out, and an origin listed more than
   * once merged into one endpoint (registries do list one endpoint twice: Kubernetes in two
   * EndpointSlices, etcd under two instance ids, Consul under two service ids) with the largest
   * weight and the first listing's zone and metadata.
   */
  private List<Endpoint> usable(List<Endpoint> update) {
    if (update == null) {
      return List.of();
    }
    Map<Endpoint, Endpoint> byOrigin = new LinkedHashMap<>();
    int nulls = 0;
    for (Endpoint e : update) {
      if (e == null) {
        nulls++;
      } else {
        byOrigin.merge(
            e,
            e,
            (first, again) ->
                again.weight() > first.weight() ? first.withWeight(again.weight()) : first);
      }
    }
    if (nulls > 0) {
      log.warn(
          "discovery of service {} delivered {} null endpoints; they are left out", name, nulls);
    }
    if (byOrigin.size() + nulls < update.size()) {
      log.debug(
          "discovery of service {} listed {} endpoints more than once; merged",
          name,
          update.size() - nulls - byOrigin.size());
    }
    return new ArrayList<>(byOrigin.values());
  }

  /** Whether {@code update} holds exactly the endpoints of {@code current}, attributes included. */
  private static boolean sameSet(EndpointState[] current, List<Endpoint> update) {
    if (current.length != update.size()) {
      return false;
    }
    Map<Endpoint, Endpoint> now = new HashMap<>();
    for (EndpointState e : current) {
      now.put(e.endpoint, e.endpoint);
    }
    for (Endpoint e : update) {
      Endpoint same = now.get(e);
      if (same == null || !same.sameAttributes(e)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Replaces the balancer, outlier detection and slow start of this running service. Every endpoint
   * keeps its statistics (latency estimates, counters, circuit), an ejection under way runs its
   * course, and the new balancer is prepared for the current endpoints before any call sees it; the
   * failure-rate and latency comparisons start a fresh window.
   */
  void update(LoadBalancerPolicy balancing, OutlierDetection outliers, SlowStart slowStart) {
    synchronized (comparisonLock) {
      synchronized (this) {
        if (balancing != policy) {
          Balancer next = Balancer.create(balancing, random);
          next.prepare(endpoints);
          this.policy = balancing;
          this.balancer = next;
          this.picker = new EndpointPicker(name, next, ejection, zones, allowCleartext);
        }
        boolean rulesChanged = outliers != ejection.policy();
        ejection.update(outliers, slowStart); // first: a new comparison reads its rules there
        if (rulesChanged) {
          for (EndpointState e : endpoints) {
            e.history = null;
          }
          this.peers =
              outliers.comparesPeers() ? new PeerComparison(ejection, () -> endpoints) : null;
          this.comparisonInterval = outliers.intervalNanos;
          this.nextComparisonAt = ticker.read() + outliers.intervalNanos;
        }
      }
    }
  }

  /** What the balancer prepared for the current endpoint set (a ring); for tests. */
  @Nullable Object balancerState() {
    return balancer.prepared();
  }

  @Override
  public void failed(Throwable cause) {
    discoveryFailures.increment();
    lastFailure = cause;
    boolean first;
    int known;
    synchronized (this) {
      if (closed) {
        return;
      }
      first = !inOutage;
      inOutage = true;
      known = endpoints.length;
    }
    ResilienceListener.notify(
        listener, new RoutingEvent.DiscoveryFailed(name, String.valueOf(cause)));
    if (first) {
      log.warn(
          "discovery of service {} failed, keeping the last {} known endpoints: {}",
          name,
          known,
          String.valueOf(cause));
    } else {
      log.debug("discovery of service {} still failing: {}", name, String.valueOf(cause));
    }
  }

  private @Nullable WatchedCircuit newCircuit(Endpoint endpoint) {
    return WatchedCircuit.create(
        circuits,
        name + " " + endpoint.origin(),
        ticker,
        (from, to, failureRate) -> {
          if (to == CircuitState.OPEN) {
            log.warn(
                "circuit of endpoint {} of service {} opened at a failure rate of {}%",
                endpoint.origin(), name, failureRate);
          }
          ResilienceListener.notify(
              listener, new ResilienceEvent.CircuitStateChanged(name, endpoint.origin(), from, to));
        });
  }

  /** A newcomer's starting latency estimate: the mean of its peers that have one. */
  private double neutralLatency(EndpointState[] peers, long now) {
    double sum = 0;
    int n = 0;
    for (EndpointState e : peers) {
      if (e.sampled()) {
        sum += e.latencyNanos(now, policy.decayNanos);
        n++;
      }
    }
    return n == 0 ? 0 : sum / n;
  }

  /** The words of {@link EndpointSnapshot#reportedLoad()}. */
  static String reportedLoad(EndpointState.@Nullable Reported r, long now) {
    if (r == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    double rif = r.report().requestsInFlight();
    if (!Double.isNaN(rif)) {
      b.append(
          String.format(Locale.ROOT, "%.0f %s in flight", rif, rif == 1 ? "request" : "requests"));
      b.append(String.format(Locale.ROOT, " (%.0f from other callers)", r.others()));
    }
    double utilization = r.report().utilization();
    if (!Double.isNaN(utilization)) {
      b.append(b.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "utilization %.2f", utilization));
    }
    return b.append(", ")
        .append(Durations.nanos(Math.max(0, now - r.atNanos())))
        .append(" ago")
        .toString();
  }

  ServiceSnapshot snapshot() {
    long now = ticker.read();
    EndpointState[] all = endpoints;
    List<EndpointSnapshot> list = new ArrayList<>(all.length);
    for (EndpointState e : all) {
      boolean ejected = e.ejected && now - e.ejectedUntilNanos < 0;
      Endpoint endpoint = e.endpoint;
      list.add(
          new EndpointSnapshot(
              endpoint.origin(),
              endpoint.weight(),
              ejected || !e.circuitClosed() || !e.probeHealthy ? 0 : effectiveWeight(e, now),
              e.inFlight(),
              Duration.ofNanos((long) e.answeredNanos(now, policy.decayNanos)),
              Duration.ofNanos((long) e.latencyNanos(now, policy.decayNanos)),
              e.requests(),
              e.failures(),
              e.lostRaces(),
              ejected,
              ejection.ejectionsOf(e),
              ejected ? e.ejectedFor : "",
              health == null
                  ? ""
                  : (e.probeHealthy ? "healthy" : "unhealthy")
                      + (e.lastProbe.isEmpty() ? "" : " (last probe: " + e.lastProbe + ")"),
              reportedLoad(e.reported(), now),
              e.circuit == null ? "NONE" : e.circuit.state().name(),
              endpoint.zone(),
              endpoint.metadata()));
    }
    return ServiceSnapshot.ofEndpoints(name, policy.toString(), list, discoveryFailures.sum());
  }
}
