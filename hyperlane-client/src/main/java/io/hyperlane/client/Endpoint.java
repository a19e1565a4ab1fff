package io.hyperlane.client;

import java.util.Objects;
import okhttp3.HttpUrl;

/**
 * One instance of a service: where to send a call ({@code scheme://host:port}) and how much traffic
 * it should take relative to its peers.
 *
 * <p>An endpoint URL names an origin only: {@code http://127.0.0.1:8081} or {@code https://10.0.0.7}.
 * A path other than {@code /}, a query, a fragment or credentials are refused, so that a request's own
 * path and query are what reach the server. Two endpoints are equal when their origins are equal;
 * the weight is not part of identity, so a discovery update that changes a weight keeps the
 * endpoint's statistics.
 *
 * <pre>{@code
 * Endpoint a = Endpoint.of("http://127.0.0.1:8081");
 * Endpoint b = Endpoint.of("http://127.0.0.1:8082", 3); // takes three times a's share
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Endpoint {

  /** The largest weight an endpoint may have. */
  public static final int MAX_WEIGHT = 10_000;

  private final HttpUrl url;
  private final String origin;
  private final int weight;

  private Endpoint(HttpUrl url, int weight) {
    this.url = url;
    this.origin = origin(url);
    this.weight = weight;
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
   * @throws IllegalArgumentException if {@code url} is not an {@code http} or {@code https} origin or
   *     the weight is out of range; the message names the bad value
   */
  public static Endpoint of(String url, int weight) {
    Objects.requireNonNull(url, "url");
    HttpUrl parsed = HttpUrl.parse(url.trim());
    if (parsed == null) {
      throw new IllegalArgumentException(
          "endpoint URL must be an http or https origin such as http://127.0.0.1:8081 but was \""
              + url + "\"");
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
          "endpoint URL must not carry credentials but " + url.scheme() + "://" + url.host()
              + ":" + url.port() + " does");
    }
    if (!"/".equals(url.encodedPath()) || url.encodedQuery() != null
        || url.encodedFragment() != null) {
      throw new IllegalArgumentException(
          "endpoint URL must be an origin with no path, query or fragment but was \"" + url + "\"");
    }
    if (weight < 1 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException(
          "weight must be between 1 and " + MAX_WEIGHT + " but was " + weight + " (endpoint "
              + origin(url) + ")");
    }
    return new Endpoint(url, weight);
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

  /** Returns this endpoint with another weight. */
  public Endpoint withWeight(int weight) {
    return of(url, weight);
  }

  static String origin(HttpUrl url) {
    String host = url.host().indexOf(':') >= 0 ? "[" + url.host() + "]" : url.host();
    return url.scheme() + "://" + host + ":" + url.port();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Endpoint && ((Endpoint) o).url.equals(url);
  }

  @Override
  public int hashCode() {
    return url.hashCode();
  }

  @Override
  public String toString() {
    return weight == 1 ? origin() : origin() + " (weight " + weight + ")";
  }
}
