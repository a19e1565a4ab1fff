package io.hyperlane.client;

import io.hyperlane.resilience.AttemptContext;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * Chooses the endpoint of one attempt among a service's current endpoints: those that match the
 * routing rule's subset, that a call written as {@code https} may use, not ejected, not failing its
 * health check and with a closed circuit (a probe when one may half-open), in the local zone while
 * it is healthy enough, preferring for a retry those its call has not tried; the balancer picks
 * among what is left.
 */
final class EndpointPicker {

  private final String serviceName;
  private final Balancer balancer;
  private final OutlierEjection ejection;
  private final ZonePreference zones;
  private final boolean allowCleartext;

  EndpointPicker(
      String serviceName,
      Balancer balancer,
      OutlierEjection ejection,
      ZonePreference zones,
      boolean allowCleartext) {
    this.serviceName = serviceName;
    this.balancer = balancer;
    this.ejection = ejection;
    this.zones = zones;
    this.allowCleartext = allowCleartext;
  }

  /**
   * Chooses among {@code endpoints} (not empty); records the choice in {@code attempt} when there
   * is one.
   */
  EndpointState pick(
      EndpointState[] endpoints,
      long now,
      @Nullable AttemptContext attempt,
      Request request,
      Map<String, String> subset)
      throws NoEndpointException {
    EndpointState[] eligible = endpoints;
    if (request.isHttps() && !allowCleartext) {
      // A call its caller wrote as https never leaves in cleartext.
      EndpointState[] secure = filter(eligible, e -> e.endpoint.url().isHttps());
      if (!secure[0].endpoint.url().isHttps()) {
        throw new NoEndpointException(
            serviceName,
            "the call is https and the service has no https"
                + " endpoint (its endpoints are http; ServiceBuilder.allowCleartext() lets https calls"
                + " use them)");
      }
      eligible = secure;
    }
    EndpointState[] all =
        subset.isEmpty() ? eligible : filter(eligible, e -> e.endpoint.matches(subset));
    EndpointState[] candidates = all;
    EndpointState[] pool = all; // what a retry would choose from
    if (all.length == 1) {
      EndpointState only = all[0];
      if (!only.circuitClosed() && only.circuit != null) {
        only.circuit.tryAcquirePermission(); // lets it half-open in time; it is used either way
      }
    } else {
      // Health checks count unless every endpoint in rotation fails them (a probe path or TLS
      // setting that is wrong is as likely as an outage): then they are set aside, and ejection
      // and circuits alone choose.
      boolean probesCount = false;
      for (EndpointState e : all) {
        if (e.probeHealthy && ejection.isAvailable(e, now)) {
          probesCount = true;
          break;
        }
      }
      boolean checked = probesCount;
      int usable = 0;
      for (EndpointState e : all) {
        if (!ejection.isAvailable(e, now) || (checked && !e.probeHealthy)) {
          continue;
        }
        if (!e.circuitClosed() && e.circuit != null) {
          if (e.circuit.tryAcquirePermission()) { // open past its wait, or a half-open slot
            if (attempt != null) {
              attempt.untriedEndpointsLeft(false);
            }
            return chosen(e, attempt); // a probe call
          }
          continue;
        }
        usable++;
      }
      if (usable != all.length && usable != 0) { // when none is usable, use all of them
        // Re-read: an endpoint may have moved meanwhile.
        candidates =
            filter(all, e -> !e.ejected && (!checked || e.probeHealthy) && e.circuitClosed());
      }
      if (zones.enabled()) {
        candidates = preferLocal(all, candidates);
      }
      pool = candidates;
      if (attempt != null && attempt.resendCount() > 0) {
        candidates = filter(candidates, e -> !attempt.wasTried(e.endpoint.origin()));
      }
    }
    EndpointState e =
        chosen(
            candidates.length == 1
                ? candidates[0]
                : balancer.pick(candidates, now, ejection, request),
            attempt);
    if (attempt != null) {
      // Whether a retry would find an endpoint this call has not tried (an estimate that errs
      // towards "no": tried endpoints may have left the pool).
      attempt.untriedEndpointsLeft(pool.length > attempt.triedCount());
    }
    return e;
  }

  /**
   * The healthy local endpoints among {@code candidates} when they are at least the preference's
   * share of the local ones; else {@code candidates} (spill-over to every zone).
   */
  private EndpointState[] preferLocal(EndpointState[] all, EndpointState[] candidates) {
    String zone = Objects.requireNonNull(zones.zone, "zone preference is on");
    int local = 0;
    int healthyLocal = 0;
    for (EndpointState e : all) {
      if (zone.equals(e.endpoint.zone())) {
        local++;
        if (!e.ejected && e.probeHealthy && e.circuitClosed()) {
          healthyLocal++;
        }
      }
    }
    if (local == 0 || healthyLocal == 0 || healthyLocal < zones.minHealthyShare * local) {
      return candidates;
    }
    return filter(candidates, e -> zone.equals(e.endpoint.zone()));
  }

  private static EndpointState chosen(EndpointState e, @Nullable AttemptContext attempt) {
    if (attempt != null) {
      attempt.markTried(e.endpoint.origin());
    }
    return e;
  }

  /** The endpoints that pass {@code test}, or {@code from} itself when none does. */
  private static EndpointState[] filter(EndpointState[] from, Predicate<EndpointState> test) {
    EndpointState[] kept = new EndpointState[from.length];
    int k = 0;
    for (EndpointState e : from) {
      if (test.test(e)) {
        kept[k++] = e;
      }
    }
    return k == 0 ? from : k == from.length ? from : Arrays.copyOf(kept, k);
  }
}
