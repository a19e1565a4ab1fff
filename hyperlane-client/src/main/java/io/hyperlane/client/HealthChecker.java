package io.hyperlane.client;

import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Ticker;
import io.hyperlane.resilience.internal.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import javax.net.ssl.HostnameVerifier;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one service's {@link HealthCheck} probes: a round every interval (±10%) on the scheduler,
 * each probe on the blocking executor, at most the policy's number at a time; turns what they see
 * into each {@link EndpointState}'s health, under the service's lock.
 */
final class HealthChecker {

  private static final Logger log = LoggerFactory.getLogger(Hyperlane.class);

  private final String service;
  private final HealthCheck check;
  private final OutlierEjection ejection;
  private final ResilienceListener listener;
  private final Object lock;
  private final Supplier<EndpointState[]> endpoints;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final Executor executor;
  private final RandomGenerator random;
  private final OkHttpClient client;
  private final boolean ownClient;
  private final Semaphore slots;
  private final Set<Call> inFlight = ConcurrentHashMap.newKeySet();

  // Guarded by lock.
  private Scheduler.@Nullable Cancellable next;
  private boolean stopped;

  /** Where the next round starts: rounds run one after the other, on the scheduler's thread. */
  private int cursor;

  HealthChecker(
      String service,
      HealthCheck check,
      OutlierEjection ejection,
      ResilienceListener listener,
      Object lock,
      Supplier<EndpointState[]> endpoints,
      Ticker ticker,
      Scheduler scheduler,
      Executor executor,
      RandomGenerator random,
      @Nullable HostnameVerifier authorityVerifier) {
    this.service = service;
    this.check = check;
    this.ejection = ejection;
    this.listener = listener;
    this.lock = lock;
    this.endpoints = endpoints;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.executor = executor;
    this.random = random;
    this.ownClient = check.client == null;
    OkHttpClient base = check.client != null ? check.client : new OkHttpClient();
    OkHttpClient.Builder builder =
        base.newBuilder()
            .callTimeout(check.timeoutNanos, TimeUnit.NANOSECONDS)
            .followRedirects(false)
            .followSslRedirects(false)
            .retryOnConnectionFailure(false);
    if (authorityVerifier != null && check.client == null) {
      builder.hostnameVerifier(authorityVerifier); // the service's TLS authority, as calls use
    }
    this.client = builder.build();
    this.slots = new Semaphore(check.maxConcurrentProbes);
  }

  /** Starts the first round one jittered interval from now. */
  void start() {
    scheduleRound();
  }

  /** Stops the rounds and cancels the probes in flight. */
  void stop() {
    Scheduler.Cancellable pending;
    synchronized (lock) {
      stopped = true;
      pending = next;
      next = null;
    }
    if (pending != null) {
      pending.cancel();
    }
    for (Call call : inFlight) {
      call.cancel();
    }
    if (ownClient) {
      client.connectionPool().evictAll();
    }
  }

  private void scheduleRound() {
    long nanos = (long) (check.intervalNanos * (0.9 + 0.2 * random.nextDouble()));
    synchronized (lock) {
      if (stopped) {
        return;
      }
      next = scheduler.schedule(Duration.ofNanos(nanos), this::round);
    }
  }

  /**
   * One round: a probe for each endpoint, from where the last round stopped, while a slot is free;
   * the endpoints a round did not reach come first in the next one. Then the next round.
   */
  void round() {
    try {
      EndpointState[] all = endpoints.get();
      int n = all.length;
      int start = n == 0 ? 0 : Math.floorMod(cursor, n);
      for (int k = 0; k < n; k++) {
        int i = (start + k) % n;
        if (!slots.tryAcquire()) {
          cursor = i;
          log.debug("health checks of service {}: all probe slots busy", service);
          return;
        }
        EndpointState e = all[i];
        try {
          executor.execute(() -> probe(e));
        } catch (RejectedExecutionException ex) {
          slots.release();
          log.debug("health check of {} not started: {}", e.endpoint.origin(), ex.toString());
        }
      }
      cursor = start;
    } finally {
      scheduleRound();
    }
  }

  private void probe(EndpointState e) {
    try {
      HttpUrl url = HttpUrl.get(e.endpoint.origin() + check.path);
      Request request =
          new Request.Builder().url(url).header("User-Agent", "hyperlane-health-check").build();
      Call call = client.newCall(request);
      inFlight.add(call);
      synchronized (lock) { // after the add: stop() either sees the call or is seen here
        if (stopped) {
          inFlight.remove(call);
          return;
        }
      }
      long start = ticker.read();
      String seen;
      boolean passed;
      try (Response response = call.execute()) {
        passed = check.statuses.get(response.code());
        seen = response.code() + " in " + Durations.nanos(Math.max(0, ticker.read() - start));
      } catch (IOException ex) {
        passed = false;
        seen =
            ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
      } finally {
        inFlight.remove(call);
      }
      record(e, passed, seen);
    } catch (RuntimeException ex) {
      log.warn(
          "health check of {} of service {} failed: {}",
          e.endpoint.origin(),
          service,
          ex.toString());
    } finally {
      slots.release();
    }
  }

  private void record(EndpointState e, boolean passed, String seen) {
    RoutingEvent event = null;
    synchronized (lock) {
      if (stopped) {
        return;
      }
      e.lastProbe = seen;
      if (passed) {
        e.probeFailures = 0;
        e.probePasses++;
        if (!e.probeHealthy && e.probePasses >= check.healthyThreshold) {
          e.probeHealthy = true;
          ejection.startRamp(e, ticker.read());
          event = new RoutingEvent.EndpointHealthy(service, e.endpoint.origin(), seen);
        }
      } else {
        e.probePasses = 0;
        e.probeFailures++;
        if (e.probeHealthy && e.probeFailures >= check.unhealthyThreshold) {
          e.probeHealthy = false;
          event =
              new RoutingEvent.EndpointUnhealthy(
                  service,
                  e.endpoint.origin(),
                  e.probeFailures + " failed probes, the last: " + seen);
        }
      }
    }
    if (event instanceof RoutingEvent.EndpointHealthy) {
      // It was down and is up again: an ejection for failures in a row ends with that.
      ejection.endFailureEjection(e, ticker.read());
    }
    if (event instanceof RoutingEvent.EndpointUnhealthy u) {
      log.warn("endpoint {} of service {} is unhealthy: {}", u.endpoint(), service, u.detail());
    } else if (event != null) {
      log.info(
          "endpoint {} of service {} is healthy again: {}", e.endpoint.origin(), service, seen);
    }
    if (event != null) {
      ResilienceListener.notify(listener, event);
    }
  }
}
