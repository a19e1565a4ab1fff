package io.hyperlane.client;

import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of one service's endpoints are out of rotation and how much traffic the others take:
 * outlier ejection (failures or outrun attempts in a row eject an endpoint, and so does {@link
 * PeerComparison} for failure rates and latencies far from the peers'; for longer each time, never
 * more than the policy's share of the endpoints) and slow start (a new or returning endpoint's
 * weight ramps up). State lives in each {@link EndpointState}; transitions are serialised by the
 * service's lock, which the endpoint set's changes hold too, and count against the endpoint set
 * read under that lock.
 */
final class OutlierEjection implements Balancer.Weights {

  private static final Logger log = LoggerFactory.getLogger(Hyperlane.class);

  private final String service;
  private volatile OutlierDetection outliers;
  private volatile SlowStart slowStart;
  private final ResilienceListener listener;
  private final Object lock;
  private final Queue<RoutingEvent> pending = new ConcurrentLinkedQueue<>();
  private final BooleanSupplier closed;
  private final Supplier<EndpointState[]> endpoints;

  OutlierEjection(
      String service,
      OutlierDetection outliers,
      SlowStart slowStart,
      ResilienceListener listener,
      Object lock,
      BooleanSupplier closed,
      Supplier<EndpointState[]> endpoints) {
    this.service = service;
    this.outliers = outliers;
    this.slowStart = slowStart;
    this.listener = listener;
    this.lock = lock;
    this.closed = closed;
    this.endpoints = endpoints;
  }

  /**
   * After an attempt on {@code e} failed or was outrun, {@code inARow} times in a row: ejects it
   * when that reaches the policy's count and the service can spare it.
   */
  void afterFailure(EndpointState e, long now, int inARow) {
    if (outliers.enabled && inARow >= outliers.consecutiveFailures && !e.ejected) {
      eject(
          e,
          now,
          inARow,
          RoutingEvent.EjectionReason.CONSECUTIVE_FAILURES,
          inARow + " failed or outrun attempts in a row");
      flush();
    }
  }

  /** The service's settings. */
  OutlierDetection policy() {
    return outliers;
  }

  /** Replaces the settings; ejections and ramps under way run their course. */
  void update(OutlierDetection outliers, SlowStart slowStart) {
    synchronized (lock) {
      this.outliers = outliers;
      this.slowStart = slowStart;
    }
  }

  /** The endpoint's weight now: lowered while it ramps up after joining or returning. */
  @Override
  public double weight(EndpointState e, long now) {
    double weight = e.endpoint.weight();
    if (e.ramping) {
      SlowStart ramp = slowStart;
      long elapsed = now - e.rampStartNanos;
      if (elapsed >= ramp.windowNanos) {
        e.ramping = false;
      } else {
        weight *= ramp.factor(elapsed);
      }
    }
    return weight;
  }

  /** Whether {@code e} takes calls: not ejected, or its ejection is over (it returns now). */
  boolean isAvailable(EndpointState e, long now) {
    if (!e.ejected) {
      return true;
    }
    if (now - e.ejectedUntilNanos < 0) {
      return false;
    }
    readmit(e, now);
    flush();
    return true;
  }

  /** Starts {@code e}'s ramp, when slow start is on. */
  void startRamp(EndpointState e, long now) {
    if (slowStart.enabled()) {
      e.rampStartNanos = now;
      e.ramping = true;
    }
  }

  /** How many times {@code e} has been ejected. */
  int ejectionsOf(EndpointState e) {
    synchronized (lock) {
      return e.ejections;
    }
  }

  /**
   * A health probe passed: an ejection for failures in a row (the endpoint was down) ends now.
   * Ejections for failure rates or latency run their course: answering a probe says nothing of
   * those.
   */
  void endFailureEjection(EndpointState e, long now) {
    synchronized (lock) {
      if (e.ejected
          && e.ejectedBy == RoutingEvent.EjectionReason.CONSECUTIVE_FAILURES
          && now - e.ejectedUntilNanos < 0) {
        e.ejectedUntilNanos = now;
        readmit(e, now);
      }
    }
    flush();
  }

  /**
   * Delivers the events of the transitions made so far. Transitions happen under locks and only
   * queue their events; whoever made one calls this once it holds none, so that a listener that
   * calls back into Hyperlane (describe, updateService) cannot close a cycle of locks.
   */
  void flush() {
    RoutingEvent event;
    while ((event = pending.poll()) != null) {
      ResilienceListener.notify(listener, event);
    }
  }

  private void readmit(EndpointState e, long now) {
    synchronized (lock) {
      if (e.ejected && now - e.ejectedUntilNanos >= 0) {
        e.returnedAtNanos = now;
        startRamp(e, now);
        e.ejected = false;
        log.debug("endpoint {} of service {} is back in rotation", e.endpoint.origin(), service);
        pending.add(new RoutingEvent.EndpointReturned(service, e.endpoint.origin()));
      }
    }
  }

  /**
   * Ejects {@code e} for {@code reason} if the service can spare it; returns whether it did.
   *
   * @param detail what the rule saw, for logs, events and the snapshot
   */
  boolean eject(
      EndpointState e, long now, int inARow, RoutingEvent.EjectionReason reason, String detail) {
    synchronized (lock) {
      if (e.ejected || closed.getAsBoolean()) {
        return false;
      }
      // Read under the lock that endpoint-set changes hold: the set this decision counts against
      // is the current one, never one discovery has just replaced.
      EndpointState[] all = endpoints.get();
      int ejectedNow = 0;
      int failingProbes = 0;
      boolean anyPassingProbes = false;
      boolean member = false;
      for (EndpointState other : all) {
        member |= other == e;
        if (other.ejected && now - other.ejectedUntilNanos < 0) {
          ejectedNow++;
        } else if (!other.probeHealthy) {
          failingProbes++;
        }
        anyPassingProbes |= other.probeHealthy;
      }
      if (anyPassingProbes) {
        // Failing health checks is being out of rotation too, unless every endpoint fails them:
        // then the probes are set aside and ejection alone decides.
        ejectedNow += failingProbes;
      }
      int allowed = Math.max(1, (int) Math.floor(all.length * outliers.maxEjectedShare));
      if (!member || ejectedNow >= allowed) {
        log.debug(
            "endpoint {} of service {} is an outlier ({}) but {} of {} endpoints are already"
                + " ejected",
            e.endpoint.origin(),
            service,
            detail,
            ejectedNow,
            all.length);
        return false;
      }
      if (e.recentEjections > 0) {
        long healthyPeriods = (now - e.returnedAtNanos) / outliers.baseEjectionNanos;
        e.recentEjections = (int) Math.max(0, e.recentEjections - healthyPeriods);
      }
      // The multiplier stops growing once it reaches the maximum: however long an endpoint kept
      // failing, the same few healthy periods forgive it, and base × multiplier never overflows.
      long base = outliers.baseEjectionNanos;
      long max = outliers.maxEjectionNanos;
      int atMax = (int) Math.min(Integer.MAX_VALUE, (max + base - 1) / base);
      e.recentEjections = Math.min(e.recentEjections + 1, atMax);
      e.ejections++;
      long duration = Math.min(max, base * e.recentEjections);
      e.ejectedUntilNanos = now + duration;
      e.ejectedFor = detail;
      e.ejectedBy = reason;
      e.history = null;
      e.ejected = true;
      e.ramping = false;
      e.consecutiveFailures.set(0);
      log.warn(
          "ejected endpoint {} of service {} for {}: {}",
          e.endpoint.origin(),
          service,
          Durations.nanos(duration),
          detail);
      pending.add(
          new RoutingEvent.EndpointEjected(
              service, e.endpoint.origin(), Duration.ofNanos(duration), inARow, reason, detail));
      return true;
    }
  }
}
