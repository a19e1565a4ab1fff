package io.hyperlane.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * One routing rule: which calls it matches (their service, method, path prefix and headers) and
 * where it sends them — to a service, or to the endpoints of a service whose metadata match a
 * selector such as {@code version=v2} — with weights, so that a 95/5 canary is two destinations.
 *
 * <pre>{@code
 * RouteRule canary = RouteRule.named("inventory-canary")
 *     .service("inventory")
 *     .to("inventory", Map.of("version", "v1"), 95)
 *     .to("inventory", Map.of("version", "v2"), 5)
 *     .build();
 * RouteRule beta = RouteRule.named("beta-testers")
 *     .service("inventory")
 *     .header("X-User-Group", "beta")
 *     .to("inventory", Map.of("version", "v2"), 1)
 *     .build();
 * }</pre>
 *
 * <p>A call to {@code http://<service>/…} is matched against the rules of {@link RoutingRules} in
 * order; the first that matches picks a destination at random by weight for each attempt. The
 * retry, hedging and circuit policies stay those of the service the caller named. When no endpoint
 * of a destination matches its selector, the destination's whole service is used (so a canary with
 * no canary instance does not fail calls). Immutable and thread-safe.
 */
public final class RouteRule {

  /** Where a matched call may go. */
  record Destination(String service, Map<String, String> subset, int weight) {}

  final String name;
  final @Nullable String service;
  private final Set<String> methods; // empty: any
  private final String pathPrefix;
  private final Map<String, String> headers; // name -> exact value
  final List<Destination> destinations;
  private final int totalWeight;

  private RouteRule(Builder b) {
    this.name = b.name;
    this.service = b.service;
    this.methods = Set.copyOf(b.methods);
    this.pathPrefix = b.pathPrefix;
    this.headers = Map.copyOf(b.headers);
    this.destinations = List.copyOf(b.destinations);
    int total = 0;
    for (Destination d : destinations) {
      total += d.weight();
    }
    this.totalWeight = total;
  }

  /** Starts a rule; {@code name} appears in error messages, spans and logs. */
  public static Builder named(String name) {
    return new Builder(name);
  }

  /** The rule's name. */
  public String name() {
    return name;
  }

  boolean matches(Request request) {
    if (!methods.isEmpty() && !methods.contains(request.method())) {
      return false;
    }
    if (!request.url().encodedPath().startsWith(pathPrefix)) {
      return false;
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (!h.getValue().equals(request.header(h.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** A destination drawn by weight with {@code draw} in [0, total weight). */
  Destination destination(int draw) {
    for (Destination d : destinations) {
      draw -= d.weight();
      if (draw < 0) {
        return d;
      }
    }
    return destinations.get(destinations.size() - 1);
  }

  int totalWeight() {
    return totalWeight;
  }

  @Override
  public String toString() {
    return "RouteRule{"
        + name
        + ": "
        + service
        + (methods.isEmpty() ? "" : " " + methods)
        + (pathPrefix.equals("/") ? "" : " " + pathPrefix)
        + (headers.isEmpty() ? "" : " " + headers)
        + " -> "
        + destinations
        + "}";
  }

  /**
   * Builds a {@link RouteRule}. Setters check their argument and name the rule in the message;
   * {@link #build()} checks the whole. Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private @Nullable String service;
    private final Set<String> methods = new TreeSet<>();
    private String pathPrefix = "/";
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final List<Destination> destinations = new ArrayList<>();

    private Builder(String name) {
      if (name == null || name.isBlank() || name.length() > 100) {
        throw new IllegalArgumentException(
            "a rule name must be 1 to 100 characters but was " + name);
      }
      this.name = name;
    }

    private IllegalArgumentException bad(String message) {
      return new IllegalArgumentException("rule \"" + name + "\": " + message);
    }

    /** The service whose calls this rule matches (the host of {@code http://<service>/…}). */
    public Builder service(String service) {
      this.service = Objects.requireNonNull(service, "service");
      return this;
    }

    /** Matches only these methods (any when never called). */
    public Builder method(String... methods) {
      for (String m : methods) {
        if (m == null || !m.matches("[A-Z]{1,20}")) {
          throw bad("method must be an upper-case token such as GET but was " + m);
        }
        this.methods.add(m);
      }
      return this;
    }

    /**
     * Matches only paths that start with {@code prefix}, such as {@code /items/}; {@code /} by
     * default.
     */
    public Builder pathPrefix(String prefix) {
      if (prefix == null || !prefix.startsWith("/")) {
        throw bad("path prefix must start with / but was " + prefix);
      }
      this.pathPrefix = prefix;
      return this;
    }

    /** Matches only requests whose header {@code name} equals {@code value} exactly. */
    public Builder header(String name, String value) {
      if (name == null || !name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")) {
        throw bad("header name must be a token but was " + name);
      }
      Objects.requireNonNull(value, "value");
      headers.put(name.toLowerCase(Locale.ROOT), value);
      return this;
    }

    /** Sends matched calls to {@code service} (all its endpoints), with {@code weight}. */
    public Builder to(String service, int weight) {
      return to(service, Map.of(), weight);
    }

    /**
     * Sends matched calls to the endpoints of {@code service} whose metadata contain every entry of
     * {@code subset}, with {@code weight} (1 to 1,000,000) relative to the rule's other
     * destinations.
     */
    public Builder to(String service, Map<String, String> subset, int weight) {
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(subset, "subset");
      if (weight < 1 || weight > 1_000_000) {
        throw bad("weight must be between 1 and 1000000 but was " + weight);
      }
      destinations.add(new Destination(service, Map.copyOf(subset), weight));
      return this;
    }

    /**
     * Returns the rule.
     *
     * @throws IllegalArgumentException naming the rule, when it has no service or no destination
     */
    public RouteRule build() {
      if (service == null) {
        throw bad("says which service's calls it matches: call service(name)");
      }
      if (destinations.isEmpty()) {
        throw bad("has no destination: call to(...)");
      }
      return new RouteRule(this);
    }
  }
}
