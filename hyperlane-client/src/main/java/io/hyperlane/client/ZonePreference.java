package io.hyperlane.client;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Keeps a service's calls in the caller's zone while enough of that zone's endpoints are healthy,
 * and spills over to every zone when they are not. An endpoint's zone comes from discovery (or
 * {@link Endpoint.Builder#zone}); endpoints without a zone are never local.
 *
 * <pre>{@code
 * Hyperlane.builder().zonePreference(ZonePreference.local("eu-west-1a"))   // 50% by default
 * }</pre>
 *
 * <p>"Healthy" means not ejected by outlier detection and with a closed circuit. With {@code
 * minHealthyShare} 0.5 and two local endpoints, calls stay local while one of them is healthy.
 * Immutable.
 */
public final class ZonePreference {

  private static final ZonePreference NONE = new ZonePreference(null, 0);

  final @Nullable String zone; // null: off
  final double minHealthyShare;

  private ZonePreference(@Nullable String zone, double minHealthyShare) {
    this.zone = zone;
    this.minHealthyShare = minHealthyShare;
  }

  /** No preference: every zone alike (the default). */
  public static ZonePreference none() {
    return NONE;
  }

  /** Prefers endpoints in {@code zone} while at least half of them are healthy. */
  public static ZonePreference local(String zone) {
    Objects.requireNonNull(zone, "zone");
    Endpoint.checkLabel("zone", zone);
    return new ZonePreference(zone, 0.5);
  }

  /**
   * This preference with another threshold: calls stay local while at least {@code share} of the
   * local endpoints are healthy (and at least one is).
   *
   * @throws IllegalArgumentException unless {@code 0 < share <= 1}
   */
  public ZonePreference minHealthyShare(double share) {
    if (!(share > 0 && share <= 1)) {
      throw new IllegalArgumentException("minHealthyShare must be in (0, 1] but was " + share);
    }
    if (zone == null) {
      throw new IllegalStateException("ZonePreference.none() has no threshold to set");
    }
    return new ZonePreference(zone, share);
  }

  boolean enabled() {
    return zone != null;
  }

  @Override
  public String toString() {
    return zone == null
        ? "ZonePreference.none"
        : "ZonePreference{" + zone + ", minHealthyShare=" + minHealthyShare + "}";
  }
}
