package io.hyperlane.client;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Objects;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * Discovers a service's endpoints from DNS SRV records (RFC 2782), such as {@code
 * _http._tcp.inventory.service.consul}: each record gives a target host, a port, a priority and a
 * weight. Only the records of the lowest priority are used (the others are backups for when those
 * are gone); a record's weight becomes the endpoint's (0 counts as 1). Targets are resolved to
 * addresses through the same DNS server when it has them; otherwise the target name is the
 * endpoint's host.
 *
 * <pre>{@code
 * DnsSrvDiscovery srv = DnsSrvDiscovery.builder("_http._tcp.inventory.service.consul")
 *     .dnsServer("127.0.0.1", 8600)   // Consul's DNS interface, say; the system's by default
 *     .build();
 * }</pre>
 *
 * <p>Lookups go through the JDK's own DNS provider (JNDI), on Hyperlane's blocking executor, now
 * and then every {@link Builder#refreshEvery(Duration) refresh interval} whatever the traffic; a
 * failed or garbled lookup keeps the last good set. Immutable; may serve several services.
 */
public final class DnsSrvDiscovery implements ServiceDiscovery {

  private final String name;
  private final String server; // "dns://host:port" or "dns:" for the system's
  private final String scheme;
  private final Duration interval;
  private final Duration timeout;

  private DnsSrvDiscovery(Builder b) {
    this.name = b.name;
    this.server = b.server;
    this.scheme = b.scheme;
    this.interval = b.interval;
    this.timeout = b.timeout;
  }

  /** A builder for the SRV records of {@code name}, such as {@code _http._tcp.inventory.local}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  @Override
  public Subscription subscribe(Context context) {
    return PeriodicLookup.start(context, this::lookup, interval);
  }

  /**
   * One lookup: the SRV records, then their targets' addresses. JNDI's DNS provider only (its
   * environment names the factory and a {@code dns:} URL): DNS answers are parsed as text, never
   * deserialized, so Error Prone's ban on JNDI (which is about LDAP and RMI) does not apply.
   */
  @SuppressWarnings({"BanJNDI", "JdkObsolete"}) // JdkObsolete: InitialDirContext takes a Hashtable
  List<Endpoint> lookup() throws IOException {
    Hashtable<String, String> env = new Hashtable<>();
    env.put(javax.naming.Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
    env.put(javax.naming.Context.PROVIDER_URL, server);
    env.put("com.sun.jndi.dns.timeout.initial", Long.toString(timeout.toMillis()));
    env.put("com.sun.jndi.dns.timeout.retries", "2");
    DirContext dns = null;
    try {
      dns = new InitialDirContext(env);
      Attribute srv = dns.getAttributes(name, new String[] {"SRV"}).get("SRV");
      if (srv == null) {
        throw new IOException("no SRV record for " + name);
      }
      List<SrvRecord> records = new ArrayList<>();
      NamingEnumeration<?> values = srv.getAll();
      while (values.hasMore()) {
        records.add(SrvRecord.parse(String.valueOf(values.next()), name));
      }
      int lowest = Integer.MAX_VALUE;
      for (SrvRecord r : records) {
        if (!r.target.isEmpty()) {
          lowest = Math.min(lowest, r.priority);
        }
      }
      List<Endpoint> endpoints = new ArrayList<>();
      for (SrvRecord r : records) {
        if (r.priority == lowest && !r.target.isEmpty()) {
          String host = address(dns, r.target);
          endpoints.add(
              Endpoint.builder(scheme + "://" + host + ":" + r.port)
                  .weight(Math.min(Endpoint.MAX_WEIGHT, Math.max(1, r.weight)))
                  .build());
        }
      }
      return endpoints;
    } catch (NamingException e) {
      throw new IOException("SRV lookup of " + name + " failed: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IOException("SRV records of " + name + " are not usable: " + e.getMessage(), e);
    } finally {
      if (dns != null) {
        try {
          dns.close();
        } catch (NamingException ignored) {
          // nothing held open
        }
      }
    }
  }

  /** The target's first A (or AAAA) address from the same server, or the target itself. */
  @SuppressWarnings("BanJNDI") // the DNS provider, as in lookup()
  private static String address(DirContext dns, String target) {
    try {
      Attributes found = dns.getAttributes(target, new String[] {"A", "AAAA"});
      Attribute a = found.get("A");
      if (a != null && a.size() > 0) {
        return String.valueOf(a.get(0));
      }
      Attribute aaaa = found.get("AAAA");
      if (aaaa != null && aaaa.size() > 0) {
        return "[" + aaaa.get(0) + "]";
      }
    } catch (NamingException e) {
      // not known to this server: the client's resolver will look the name up
    }
    return target;
  }

  @Override
  public String toString() {
    return "DnsSrvDiscovery{" + name + " via " + server + "}";
  }

  /** One SRV record: {@code priority weight port target}. */
  record SrvRecord(int priority, int weight, int port, String target) {
    static SrvRecord parse(String text, String name) {
      String[] parts = text.trim().split("\\s+");
      if (parts.length != 4) {
        throw new IllegalArgumentException(
            "SRV record \"" + text + "\" of " + name + " is not \"priority weight port target\"");
      }
      try {
        int priority = Integer.parseInt(parts[0]);
        int weight = Integer.parseInt(parts[1]);
        int port = Integer.parseInt(parts[2]);
        String target =
            parts[3].endsWith(".") ? parts[3].substring(0, parts[3].length() - 1) : parts[3];
        if (priority < 0
            || priority > 65535
            || weight < 0
            || weight > 65535
            || (!target.isEmpty() && (port < 1 || port > 65535))) {
          throw new IllegalArgumentException(
              "SRV record \"" + text + "\" of " + name + " has a value out of range");
        }
        return new SrvRecord(priority, weight, port, target); // target "" (".") means: no service
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "SRV record \"" + text + "\" of " + name + " has a field that is not a number", e);
      }
    }
  }

  /** Builds a {@link DnsSrvDiscovery}; each setter validates its argument at once. */
  public static final class Builder {
    private final String name;
    private String server = "dns:";
    private String scheme = "http";
    private Duration interval = Duration.ofSeconds(30);
    private Duration timeout = Duration.ofSeconds(1);

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (!name.matches("[A-Za-z0-9_.-]{1,253}")) {
        throw new IllegalArgumentException(
            "name must be a DNS name such as"
                + " _http._tcp.inventory.local but was \""
                + name
                + "\"");
      }
      this.name = name;
    }

    /** The DNS server to ask; the system's by default. */
    public Builder dnsServer(String host, int port) {
      Objects.requireNonNull(host, "host");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be between 1 and 65535 but was " + port);
      }
      if (!host.matches("[A-Za-z0-9.:-]{1,253}")) {
        throw new IllegalArgumentException("host must be an address or a name but was " + host);
      }
      this.server = "dns://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
      return this;
    }

    /** The scheme of the endpoints, {@code http} (the default) or {@code https}. */
    public Builder scheme(String scheme) {
      this.scheme = DnsDiscovery.checkedScheme(scheme);
      return this;
    }

    /** How often the records are looked up again; 30 s by default, 100 ms to 1 day. */
    public Builder refreshEvery(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.compareTo(Duration.ofMillis(100)) < 0
          || interval.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(
            "refresh interval must be between 100ms and 1d but was " + interval);
      }
      this.interval = interval;
      return this;
    }

    /** How long one DNS query waits before it is sent again (twice at most); 1 s by default. */
    public Builder queryTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.toMillis() < 10 || timeout.compareTo(Duration.ofSeconds(30)) > 0) {
        throw new IllegalArgumentException(
            "query timeout must be between 10ms and 30s but was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    public DnsSrvDiscovery build() {
      return new DnsSrvDiscovery(this);
    }
  }
}
