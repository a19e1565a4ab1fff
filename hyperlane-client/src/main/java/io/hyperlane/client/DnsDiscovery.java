package io.hyperlane.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import okhttp3.HttpUrl;

/**
 * Discovers a service's endpoints from every address a host name resolves to, and resolves it again
 * each time the TTL expires.
 *
 * <p>Re-resolution runs on a timer, not on the request path, so it happens on time however much or
 * little traffic the service gets — a cache refreshed only when idle (eclipse-vertx/vert.x#6251)
 * never sees a changed address set under constant load. The lookup itself runs on Hyperlane's
 * blocking executor. A failed lookup keeps the last good set and is tried again after {@code
 * min(ttl, 5 s)}.
 *
 * <pre>{@code
 * Hyperlane hyperlane = Hyperlane.builder()
 *     .service("orders", s -> s.discovery(DnsDiscovery.builder("orders.internal").port(8080).build()))
 *     .build();
 * }</pre>
 *
 * <p>The default resolver is the JDK's ({@link InetAddress#getAllByName}), which keeps its own
 * cache for {@code networkaddress.cache.ttl} seconds (30 by default): set that security property no
 * higher than the TTL configured here. Instances are immutable and may serve several services.
 */
public final class DnsDiscovery implements ServiceDiscovery {

  /** Looks up the addresses of a host name. Must be thread-safe; may block. */
  @FunctionalInterface
  public interface Resolver {

    /**
     * Returns every address of {@code hostname}.
     *
     * @throws IOException when the lookup fails; {@link UnknownHostException} when the name does
     *     not exist
     */
    List<InetAddress> resolve(String hostname) throws IOException;

    /** The JDK's resolver. */
    static Resolver system() {
      return hostname -> Arrays.asList(InetAddress.getAllByName(hostname));
    }
  }

  private final String hostname;
  private final String scheme;
  private final int port;
  private final Duration ttl;
  private final Resolver resolver;

  private DnsDiscovery(Builder b) {
    this.hostname = b.hostname;
    this.scheme = b.scheme;
    this.port = b.port == -1 ? HttpUrl.defaultPort(b.scheme) : b.port;
    this.ttl = b.ttl;
    this.resolver = b.resolver;
  }

  /**
   * Returns a builder for the addresses of {@code hostname}.
   *
   * @throws IllegalArgumentException if {@code hostname} is empty
   */
  public static Builder builder(String hostname) {
    return new Builder(hostname);
  }

  @Override
  public Subscription subscribe(Context context) {
    return PeriodicLookup.start(context, () -> toEndpoints(resolver.resolve(hostname)), ttl);
  }

  @Override
  public String toString() {
    return "DnsDiscovery{" + scheme + "://" + hostname + ":" + port + ", ttl=" + ttl + "}";
  }

  /** {@code scheme} when it is {@code http} or {@code https}; else the error naming it. */
  static String checkedScheme(String scheme) {
    Objects.requireNonNull(scheme, "scheme");
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("scheme must be http or https but was \"" + scheme + "\"");
    }
    return scheme;
  }

  /** Turns looked-up addresses into endpoints, refusing what cannot be one. */
  List<Endpoint> toEndpoints(List<InetAddress> addresses) throws IOException {
    if (addresses == null || addresses.isEmpty()) {
      throw new UnknownHostException(hostname + " resolved to no address");
    }
    Set<Endpoint> endpoints = new LinkedHashSet<>();
    for (InetAddress address : addresses) {
      if (address == null) {
        throw new IOException("resolver returned a null address for " + hostname);
      }
      HttpUrl url =
          new HttpUrl.Builder().scheme(scheme).host(address.getHostAddress()).port(port).build();
      endpoints.add(Endpoint.of(url, 1));
    }
    return new ArrayList<>(endpoints);
  }

  /** Builds a {@link DnsDiscovery}; each setter validates its argument at once. */
  public static final class Builder {
    private final String hostname;
    private String scheme = "http";
    private int port = -1;
    private Duration ttl = Duration.ofSeconds(30);
    private Resolver resolver = Resolver.system();

    private Builder(String hostname) {
      Objects.requireNonNull(hostname, "hostname");
      if (hostname.isBlank()) {
        throw new IllegalArgumentException("hostname must not be empty");
      }
      this.hostname = hostname.trim();
    }

    /**
     * The scheme of the endpoints, {@code http} (the default) or {@code https}.
     *
     * @throws IllegalArgumentException for any other value
     */
    public Builder scheme(String scheme) {
      this.scheme = checkedScheme(scheme);
      return this;
    }

    /**
     * The port of the endpoints; by default the scheme's (80 or 443).
     *
     * @throws IllegalArgumentException if not between 1 and 65535
     */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be between 1 and 65535 but was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * How long a resolved set is used before the name is resolved again; 30 s by default.
     *
     * @throws IllegalArgumentException if not between 100 ms and 1 day
     */
    public Builder ttl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.compareTo(Duration.ofMillis(100)) < 0 || ttl.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("ttl must be between 100ms and 1d but was " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /** The resolver to use instead of the JDK's, for example a fake in tests. */
    public Builder resolver(Resolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /** Returns the discovery. */
    public DnsDiscovery build() {
      return new DnsDiscovery(this);
    }
  }
}
