package io.hyperlane.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import okhttp3.HttpUrl;
import org.jspecify.annotations.Nullable;

/**
 * One instance of a service: where to send a call ({@code scheme://host:port}), how much traffic it
 * should take relative to its peers, and what routing may select it by: the zone it runs in and
 * metadata such as {@code version=v2}.
 *
 * <p>An endpoint URL names an origin only: {@code http://127.0.0.1:8081} or {@code
 * https://10.0.0.7}. A path other than {@code /}, a query, a fragment or credentials are refused,
 * so that a request's own path and query are what reach the server. Two endpoints are equal when
 * their origins are equal; the weight is not part of identity, so a discovery update that changes a
 * weight keeps the endpoint's statistics.
 *
 * <pre>{@code
 * Endpoint a = Endpoint.of("http://127.0.0.1:8081");
 * Endpoint b = Endpoint.of("http://127.0.0.1:8082", 3); // takes three times a's share
 * Endpoint c = Endpoint.builder("http://10.0.0.9:8080")
 *     .zone("eu-west-1a")
 *     .metadata("version", "v2")
 *     .build();
 * }</pre>
 *
 * <p>Zones and metadata often come from registries, so they are checked like any outside input: a
 * zone is 1 to 63 characters and a metadata key 1 to 128 characters of {@code [A-Za-z0-9._/-]}, a
 * value at most 512 characters with no control character, at most 64 entries (what Consul allows
 * for service metadata fits). {@link #checkMetadata(String, String)} tells a discovery whether an
 * entry is usable, so that it can leave out an entry rather than an instance.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Endpoint {

  /** The largest weight an endpoint may have. */
  public static final int MAX_WEIGHT = 10_000;

  private static final int MAX_METADATA = 64;

  private final HttpUrl url;
  private final String origin;
  private final int weight;
  private final @Nullable String zone;
  private final Map<String, String> metadata;

  private Endpoint(HttpUrl url, int weight, @Nullable String zone, Map<String, String> metadata) {
    this.url = url;
    this.origin = origin(url);
    this.weight = weight;
    this.zone = zone;
    this.metadata = metadata;
  }

  /** A builder for an endpoint at {@code url} with weight 1, no zone and no metadata. */
  public static Builder builder(String url) {
    Objects.requireNonNull(url, "url");
    return new Builder(url);
  }

  /**
   * Returns an endpoint of weight 1.
   *
   * @throws IllegalArgumentException if {@code url} is not an {@code http} or {@code https} origin
   */
  public static Endpoint of(String url) {
    return of(url, 1);
  }

  /**
   * Returns an endpoint with the given weight.
   *
   * @param url an origin such as {@code http://127.0.0.1:8081}
   * @param weight relative share of traffic, from 1 to {@link #MAX_WEIGHT}
   * @throws IllegalArgumentException if {@code url} is not an {@code http} or {@code https} origin
   *     or the weight is out of range; the message names the bad value
   */
  public static Endpoint of(String url, int weight) {
    Objects.requireNonNull(url, "url");
    HttpUrl parsed = HttpUrl.parse(url.trim());
    if (parsed == null) {
      throw new IllegalArgumentException(
          "endpoint URL must be an http or https origin such as http://127.0.0.1:8081 but was \""
              + url
              + "\"");
    }
    return of(parsed, weight);
  }

  /**
   * Returns an endpoint for an already parsed URL.
   *
   * @throws IllegalArgumentException as {@link #of(String, int)}
   */
  public static Endpoint of(HttpUrl url, int weight) {
    Objects.requireNonNull(url, "url");
    if (!url.username().isEmpty() || !url.password().isEmpty()) {
      // Never echo the credentials themselves.
      throw new IllegalArgumentException(
          "endpoint URL must not carry credentials but "
              + url.scheme()
              + "://"
              + url.host()
              + ":"
              + url.port()
              + " does");
    }
    if (!"/".equals(url.encodedPath())
        || url.encodedQuery() != null
        || url.encodedFragment() != null) {
      throw new IllegalArgumentException(
          "endpoint URL must be an origin with no path, query or fragment but was \"" + url + "\"");
    }
    if (weight < 1 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException(
          "weight must be between 1 and "
              + MAX_WEIGHT
              + " but was "
              + weight
              + " (endpoint "
              + origin(url)
              + ")");
    }
    return new Endpoint(url, weight, null, Map.of());
  }

  /** The origin as a URL with path {@code /}. */
  public HttpUrl url() {
    return url;
  }

  /** The origin as text, such as {@code http://127.0.0.1:8081}. */
  public String origin() {
    return origin;
  }

  /** The relative share of traffic this endpoint should take, from 1 to {@link #MAX_WEIGHT}. */
  public int weight() {
    return weight;
  }

  /** The zone the endpoint runs in, such as {@code eu-west-1a}; null when unknown. */
  public @Nullable String zone() {
    return zone;
  }

  /** What routing rules may select the endpoint by, such as {@code version=v2}; immutable. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Returns this endpoint with another weight; zone and metadata are kept. */
  public Endpoint withWeight(int weight) {
    Endpoint weighted = of(url, weight);
    return new Endpoint(weighted.url, weight, zone, metadata);
  }

  /** Whether {@code other} has this endpoint's weight, zone and metadata (the origin aside). */
  boolean sameAttributes(Endpoint other) {
    return weight == other.weight
        && Objects.equals(zone, other.zone)
        && metadata.equals(other.metadata);
  }

  /** True when every entry of {@code selector} is in this endpoint's metadata. */
  boolean matches(Map<String, String> selector) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(metadata.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  static void checkLabel(String what, String label) {
    checkLabel(what, label, 63);
  }

  private static void checkLabel(String what, String label, int max) {
    if (label == null || label.isEmpty() || label.length() > max) {
      throw new IllegalArgumentException(
          what
              + " must be 1 to "
              + max
              + " characters but was "
              + (label == null ? "null" : "\"" + printable(label) + "\""));
    }
    for (int i = 0; i < label.length(); i++) {
      char c = label.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-'
              || c == '/';
      if (!ok) {
        throw new IllegalArgumentException(
            what
                + " may hold only letters, digits and . _ - / but"
                + " was \""
                + printable(label)
                + "\"");
      }
    }
  }

  /**
   * Checks one metadata entry as {@link Builder#build()} will: a key of 1 to 128 characters of
   * {@code [A-Za-z0-9._/-]}, a value of at most 512 characters with no control character. A
   * discovery uses it to leave out an entry it cannot pass on, and keep the instance.
   *
   * @throws IllegalArgumentException naming the entry and what is wrong with it
   */
  public static void checkMetadata(String key, String value) {
    checkLabel("metadata key", key, 128);
    if (value == null || value.length() > 512) {
      throw new IllegalArgumentException(
          "metadata value of \""
              + printable(key)
              + "\" must be at most 512 characters but was "
              + (value == null ? "null" : value.length() + " characters"));
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "metadata value of \""
                + key
                + "\" must have no control character but was \""
                + printable(value)
                + "\"");
      }
    }
  }

  /**
   * The value with control and non-ASCII characters escaped, cut at 80: safe to put in a message.
   */
  private static String printable(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length() && out.length() < 80; i++) {
      char c = s.charAt(i);
      out.append(c >= 0x20 && c <= 0x7e ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return s.length() > 80 ? out + "…" : out.toString();
  }

  static String origin(HttpUrl url) {
    String host = url.host().indexOf(':') >= 0 ? "[" + url.host() + "]" : url.host();
    return url.scheme() + "://" + host + ":" + url.port();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Endpoint other && other.url.equals(url);
  }

  @Override
  public int hashCode() {
    return url.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(origin);
    if (weight != 1) {
      s.append(" weight=").append(weight);
    }
    if (zone != null) {
      s.append(" zone=").append(zone);
    }
    if (!metadata.isEmpty()) {
      s.append(' ').append(new TreeMap<>(metadata));
    }
    return s.toString();
  }

  /** Builds an {@link Endpoint}; {@link #build()} checks every value and names the bad one. */
  public static final class Builder {
    private final String url;
    private int weight = 1;
    private @Nullable String zone;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(String url) {
      this.url = url;
    }

    /** Relative share of traffic, from 1 to {@link #MAX_WEIGHT}; 1 by default. */
    public Builder weight(int weight) {
      this.weight = weight;
      return this;
    }

    /** The zone the endpoint runs in, for zone-aware routing. */
    public Builder zone(String zone) {
      this.zone = zone;
      return this;
    }

    /** Adds one metadata entry, replacing any with the same key. */
    public Builder metadata(String key, String value) {
      metadata.put(key, value);
      return this;
    }

    /** Adds every entry of {@code entries}. */
    public Builder metadata(Map<String, String> entries) {
      metadata.putAll(entries);
      return this;
    }

    /**
     * Returns the endpoint.
     *
     * @throws IllegalArgumentException naming the bad URL, weight, zone or metadata entry
     */
    public Endpoint build() {
      Endpoint base = of(url, weight);
      if (zone != null) {
        checkLabel("zone", zone);
      }
      if (metadata.size() > MAX_METADATA) {
        throw new IllegalArgumentException(
            "an endpoint may have at most "
                + MAX_METADATA
                + " metadata entries but "
                + base.origin()
                + " has "
                + metadata.size());
      }
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        checkMetadata(e.getKey(), e.getValue());
      }
      return new Endpoint(base.url, weight, zone, Map.copyOf(metadata));
    }
  }
}
