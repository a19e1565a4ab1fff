package io.hyperlane.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import io.hyperlane.client.Endpoint;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints from Consul's health endpoint, {@code /v1/health/service/<name>?passing}, with blocking
 * queries: each query carries the last {@code X-Consul-Index} and a {@code wait}, so Consul answers
 * as soon as the healthy set changes (or when the wait ends). Only instances whose checks pass are
 * used.
 *
 * <p>Each instance's URL is {@code <scheme>://<Service.Address or Node.Address>:<Service.Port>};
 * its weight is {@code Service.Weights.Passing}; its metadata is {@code Service.Meta}, and its zone
 * the {@code zone} entry of that map (the key is configurable).
 *
 * <pre>{@code
 * ConsulDiscovery consul = ConsulDiscovery.builder("http://127.0.0.1:8500").token(aclToken).build();
 * Hyperlane.builder().service("inventory", s -> s.discovery(consul))…
 * }</pre>
 *
 * <p>The index is handled as Consul's documentation says: a smaller index than the last one starts
 * over from 0; an answer with an unchanged index (the wait ended) is not delivered again, and the
 * next query waits a second before it starts. Thread-safe; one instance serves any number of
 * services.
 */
public final class ConsulDiscovery implements io.hyperlane.client.ServiceDiscovery {

  private final HttpUrl base;
  private final @Nullable String token;
  private final @Nullable String datacenter;
  private final String scheme;
  private final String zoneKey;
  private final Duration wait;
  private final OkHttpClient http;

  private ConsulDiscovery(Builder b) {
    this.base = b.base;
    this.token = b.token;
    this.datacenter = b.datacenter;
    this.scheme = b.scheme;
    this.zoneKey = b.zoneKey;
    this.wait = b.wait;
    this.http = Registries.client(b.client, "consul");
  }

  /** A builder for the Consul agent at {@code consulUrl}, such as {@code http://127.0.0.1:8500}. */
  public static Builder builder(String consulUrl) {
    return new Builder(consulUrl);
  }

  @Override
  public Subscription subscribe(Context context) {
    Query query = new Query(context);
    query.start();
    return query;
  }

  @Override
  public String toString() {
    return "ConsulDiscovery{" + base + "}";
  }

  /** One service's loop of blocking queries. */
  private final class Query extends Watch {
    private long index; // 0: not known yet
    private boolean answered; // the first answer is news whatever its index

    Query(Context context) {
      super(context, http);
    }

    @Override
    void step() {
      HttpUrl.Builder url =
          base.newBuilder()
              .addPathSegments("v1/health/service")
              .addPathSegment(context.serviceName())
              .addQueryParameter("passing", "true")
              .addQueryParameter("wait", wait.toSeconds() + "s");
      if (index > 0) {
        url.addQueryParameter("index", Long.toString(index));
      }
      if (datacenter != null) {
        url.addQueryParameter("dc", datacenter);
      }
      Request.Builder request = new Request.Builder().url(url.build());
      if (token != null) {
        request.header("X-Consul-Token", token);
      }
      send(request.build(), true, this::answered);
    }

    private void answered(Response response) throws IOException {
      String header = response.header("X-Consul-Index", "");
      if (header.isEmpty()
          || header.length() > 18
          || !header.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new IOException("Consul answered without a valid X-Consul-Index");
      }
      long next = Long.parseLong(header);
      JsonNode answer = Registries.readJson(response.body());
      if (!answer.isArray()) {
        throw new IOException("Consul health answer is not a JSON array");
      }
      boolean changed = next != index || !answered;
      answered = true;
      index = next < index || next < 1 ? 0 : next; // Consul: an index going backwards resets
      succeeded();
      if (!changed) {
        again(Duration.ofSeconds(1)); // the wait ended with nothing new
        return;
      }
      List<Endpoint> endpoints = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      for (JsonNode entry : answer) {
        try {
          endpoints.add(instance(entry, scheme, zoneKey, problems));
        } catch (IllegalArgumentException e) {
          problems.add(e.getMessage());
        }
      }
      reportGarbage(problems);
      deliver(endpoints);
      again(Duration.ZERO);
    }
  }

  /**
   * The endpoint one entry of a health answer describes; a metadata entry or zone it cannot use is
   * left out, and what is wrong added to {@code problems}.
   *
   * @throws IllegalArgumentException naming the instance and what is wrong: the only failure
   */
  static Endpoint instance(JsonNode entry, String scheme, String zoneKey, List<String> problems) {
    JsonNode service = entry.path("Service");
    String id = service.path("ID").asText("?");
    String where = "Consul instance " + id;
    String address = service.path("Address").asText("");
    if (address.isEmpty()) {
      address = entry.path("Node").path("Address").asText("");
    }
    JsonNode port = service.get("Port");
    if (address.isEmpty()
        || port == null
        || !port.isIntegralNumber()
        || !port.canConvertToInt()
        || port.asInt() < 1
        || port.asInt() > 65535) {
      throw new IllegalArgumentException(where + ": needs an address and a port in 1..65535");
    }
    String host =
        address.indexOf(':') >= 0 && !address.startsWith("[") ? "[" + address + "]" : address;
    Endpoint.Builder endpoint = Endpoint.builder(scheme + "://" + host + ":" + port.asInt());
    JsonNode weight = service.path("Weights").get("Passing");
    if (weight != null && !weight.isNull()) {
      if (!weight.isIntegralNumber()) {
        throw new IllegalArgumentException(where + ": Weights.Passing must be an integer");
      }
      // Consul takes any positive weight: beyond Hyperlane's range it is the largest one.
      long w = weight.canConvertToLong() ? weight.asLong() : Long.MAX_VALUE;
      endpoint.weight((int) Math.max(1, Math.min(Endpoint.MAX_WEIGHT, w)));
    }
    JsonNode meta = service.get("Meta");
    Registries.metadata(meta, endpoint, where, problems);
    Endpoint withoutZone;
    try {
      withoutZone = endpoint.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    if (meta == null || !meta.path(zoneKey).isTextual()) {
      return withoutZone;
    }
    try {
      return endpoint.zone(meta.path(zoneKey).asText()).build();
    } catch (IllegalArgumentException e) { // a zone Hyperlane cannot use: the instance still counts
      problems.add(where + ": " + e.getMessage() + "; the zone is left out");
      return withoutZone;
    }
  }

  /** Configures a {@link ConsulDiscovery}. */
  public static final class Builder {
    private final HttpUrl base;
    private @Nullable String token;
    private @Nullable String datacenter;
    private String scheme = "http";
    private String zoneKey = "zone";
    private Duration wait = Duration.ofSeconds(60);
    private OkHttpClient client = new OkHttpClient();

    private Builder(String consulUrl) {
      Objects.requireNonNull(consulUrl, "consulUrl");
      HttpUrl parsed = HttpUrl.parse(consulUrl);
      if (parsed == null) {
        throw new IllegalArgumentException("consulUrl must be an http(s) URL but was " + consulUrl);
      }
      this.base = parsed;
    }

    /** The ACL token sent as {@code X-Consul-Token}; none by default. */
    public Builder token(String token) {
      this.token = Objects.requireNonNull(token, "token");
      return this;
    }

    /** Asks another datacenter than the agent's own. */
    public Builder datacenter(String datacenter) {
      this.datacenter = Objects.requireNonNull(datacenter, "datacenter");
      return this;
    }

    /** The scheme of the instances' URLs, {@code http} (the default) or {@code https}. */
    public Builder scheme(String scheme) {
      this.scheme = Registries.scheme(scheme);
      return this;
    }

    /** The {@code Service.Meta} key that holds the zone; {@code zone} by default. */
    public Builder zoneKey(String key) {
      this.zoneKey = Objects.requireNonNull(key, "zoneKey");
      return this;
    }

    /** How long Consul may hold a blocking query; 60 s by default, at most 10 minutes. */
    public Builder wait(Duration wait) {
      Objects.requireNonNull(wait, "wait");
      if (wait.toSeconds() < 1 || wait.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("wait must be between 1 s and 10 min but was " + wait);
      }
      this.wait = wait;
      return this;
    }

    /** The client whose settings (TLS, proxy) the calls to Consul use. */
    public Builder client(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    public ConsulDiscovery build() {
      return new ConsulDiscovery(this);
    }
  }
}
