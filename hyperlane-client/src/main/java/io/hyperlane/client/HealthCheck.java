package io.hyperlane.client;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.BitSet;
import java.util.Objects;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * Active health checking: every endpoint of a service is sent {@code GET <path>} on a timer, and
 * one that fails {@link Builder#unhealthyThreshold(int)} probes in a row takes no calls until it
 * passes {@link Builder#healthyThreshold(int)} in a row; it then comes back through slow start. Off
 * by default ({@link #none()}): passive outlier detection needs no endpoint of the service's own.
 *
 * <p>A probe passes when it answers one of the expected statuses (any 2xx by default) within the
 * timeout; a connection refused, a timeout or another status fails it. Probes run on Hyperlane's
 * blocking executor, never on a caller's thread, at most {@link Builder#maxConcurrentProbes(int)}
 * at a time per service; each round starts an interval after the last, give or take 10% at random
 * so that many instances do not probe in step, and starts with the endpoints the last round did not
 * reach for want of a free slot. An endpoint that failed its probes and passes them again also
 * leaves an ejection for failures in a row at once (it was down and is up again); ejections for
 * failure rates or latency run their course. Endpoints failing their probes count against outlier
 * detection's cap on the share out of rotation. When every endpoint of a service fails its probes
 * (as likely a wrong path or TLS setting as an outage), the probes are set aside and ejection and
 * circuits alone choose. An endpoint discovery lists anew, or again after it left, starts healthy.
 * What the probes see is in {@link EndpointSnapshot#health()} and in {@link
 * RoutingEvent.EndpointUnhealthy} and {@link RoutingEvent.EndpointHealthy} events.
 *
 * <pre>{@code
 * .service("inventory", s -> s.discovery(...)
 *     .healthCheck(HealthCheck.http("/healthz").interval(Duration.ofSeconds(5)).build()))
 * }</pre>
 *
 * <p>Probes are sent by their own {@link OkHttpClient} (the JDK's trust, no client certificate, the
 * service's TLS authority when it has one) unless {@link Builder#client(OkHttpClient)} gives one:
 * give it the TLS settings of the client you wrap when the endpoints are {@code https} with a
 * private CA or mutual TLS. Instances are immutable.
 */
public final class HealthCheck {

  private static final HealthCheck NONE = new HealthCheck(null);

  final @Nullable String path;
  final long intervalNanos;
  final long timeoutNanos;
  final int healthyThreshold;
  final int unhealthyThreshold;
  final BitSet statuses;
  final int maxConcurrentProbes;
  final @Nullable OkHttpClient client;

  private HealthCheck(@Nullable Builder b) {
    if (b == null) {
      path = null;
      intervalNanos = 0;
      timeoutNanos = 0;
      healthyThreshold = 0;
      unhealthyThreshold = 0;
      statuses = new BitSet();
      maxConcurrentProbes = 0;
      client = null;
    } else {
      path = b.path;
      intervalNanos = b.interval.toNanos();
      timeoutNanos = b.timeout.toNanos();
      healthyThreshold = b.healthyThreshold;
      unhealthyThreshold = b.unhealthyThreshold;
      statuses = (BitSet) b.statuses.clone();
      maxConcurrentProbes = b.maxConcurrentProbes;
      client = b.client;
    }
  }

  /** No active health checking (the default). */
  public static HealthCheck none() {
    return NONE;
  }

  /**
   * Starts a health check that sends {@code GET path} to each endpoint: every 10 s, 1 s timeout,
   * healthy after 2 passes in a row, unhealthy after 3 failures in a row, any 2xx passes, at most 4
   * probes at a time.
   *
   * @param path an absolute path, such as {@code /healthz}; a query is allowed
   * @throws IllegalArgumentException if the path does not start with {@code /} or holds a space, a
   *     control character or a fragment
   */
  public static Builder http(String path) {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")
        || path.startsWith("//")
        || !path.matches("[\\x21-\\x7e]{1,2000}")
        || path.contains("#")) {
      throw new IllegalArgumentException(
          "health check path must be an absolute path such as /healthz but was \"" + path + "\"");
    }
    return new Builder(path);
  }

  /** Whether probes are sent. */
  public boolean enabled() {
    return path != null;
  }

  @Override
  public String toString() {
    if (path == null) {
      return "HealthCheck{none}";
    }
    return "HealthCheck{GET "
        + path
        + " every "
        + Durations.nanos(intervalNanos)
        + ", timeout "
        + Durations.nanos(timeoutNanos)
        + ", healthy after "
        + healthyThreshold
        + ", unhealthy after "
        + unhealthyThreshold
        + ", expect "
        + statuses()
        + ", at most "
        + maxConcurrentProbes
        + " at a time"
        + (client == null ? "" : ", client given")
        + "}";
  }

  /** The expected statuses as people write them: {@code 2xx}, or {@code 200-202, 503}. */
  private String statuses() {
    if (statuses.cardinality() == 100
        && statuses.nextSetBit(0) == 200
        && statuses.nextClearBit(200) == 300) {
      return "2xx";
    }
    StringBuilder out = new StringBuilder();
    for (int from = statuses.nextSetBit(0); from >= 0; ) {
      int to = statuses.nextClearBit(from) - 1;
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(from);
      if (to > from + 1) {
        out.append('-').append(to);
      } else if (to == from + 1) {
        out.append(", ").append(to);
      }
      from = statuses.nextSetBit(to + 1);
    }
    return out.toString();
  }

  /** Builds a {@link HealthCheck}; each setter validates its argument at once. */
  public static final class Builder {
    private final String path;
    private Duration interval = Duration.ofSeconds(10);
    private Duration timeout = Duration.ofSeconds(1);
    private int healthyThreshold = 2;
    private int unhealthyThreshold = 3;
    private final BitSet statuses = new BitSet(600);
    private int maxConcurrentProbes = 4;
    private @Nullable OkHttpClient client;

    private Builder(String path) {
      this.path = path;
      statuses.set(200, 300);
    }

    /**
     * How often each endpoint is probed (give or take 10%).
     *
     * @throws IllegalArgumentException if not between 100 ms and 1 hour
     */
    public Builder interval(Duration interval) {
      this.interval =
          Durations.checkBetween("interval", interval, Duration.ofMillis(100), Duration.ofHours(1));
      return this;
    }

    /**
     * How long a probe may take, connecting included.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 minute
     */
    public Builder timeout(Duration timeout) {
      this.timeout =
          Durations.checkBetween("timeout", timeout, Duration.ofMillis(1), Duration.ofMinutes(1));
      return this;
    }

    /**
     * Passed probes in a row that bring an unhealthy endpoint back.
     *
     * @throws IllegalArgumentException if not between 1 and 100
     */
    public Builder healthyThreshold(int probes) {
      this.healthyThreshold = count("healthyThreshold", probes);
      return this;
    }

    /**
     * Failed probes in a row that make an endpoint unhealthy.
     *
     * @throws IllegalArgumentException if not between 1 and 100
     */
    public Builder unhealthyThreshold(int probes) {
      this.unhealthyThreshold = count("unhealthyThreshold", probes);
      return this;
    }

    /**
     * The statuses that pass a probe, replacing the default (any 2xx).
     *
     * @throws IllegalArgumentException if none is given or one is not between 100 and 599
     */
    public Builder expectStatus(int... statuses) {
      if (statuses.length == 0) {
        throw new IllegalArgumentException("expectStatus needs at least one status");
      }
      BitSet set = new BitSet(600);
      for (int status : statuses) {
        if (status < 100 || status > 599) {
          throw new IllegalArgumentException(
              "expectStatus takes statuses between 100 and 599 but was given " + status);
        }
        set.set(status);
      }
      this.statuses.clear();
      this.statuses.or(set);
      return this;
    }

    /**
     * How many probes of one service may be in flight at once.
     *
     * @throws IllegalArgumentException if not between 1 and 64
     */
    public Builder maxConcurrentProbes(int probes) {
      if (probes < 1 || probes > 64) {
        throw new IllegalArgumentException(
            "maxConcurrentProbes must be between 1 and 64 but was " + probes);
      }
      this.maxConcurrentProbes = probes;
      return this;
    }

    /**
     * The client that sends the probes, for its TLS settings; the timeout still applies, redirects
     * are not followed and a failed connection is not retried.
     */
    public Builder client(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** Returns the immutable settings. */
    public HealthCheck build() {
      return new HealthCheck(this);
    }

    private static int count(String name, int value) {
      if (value < 1 || value > 100) {
        throw new IllegalArgumentException(name + " must be between 1 and 100 but was " + value);
      }
      return value;
    }
  }
}
