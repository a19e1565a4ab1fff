package io.hyperlane.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hyperlane.client.Endpoint;
import io.hyperlane.client.SelfRegistration;
import io.hyperlane.client.ServiceDiscovery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints from etcd v3, through its HTTP/JSON gateway ({@code /v3/kv/range}, {@code /v3/watch}) —
 * no gRPC stack. Each instance of service {@code <name>} is one key
 *
 * <pre>
 *   /hyperlane/services/&lt;name&gt;/&lt;instance-id&gt;  →  {"url": "http://10.0.0.5:8080",
 *       "zone": "eu-west-1a", "weight": 1, "metadata": {"version": "v2"}}
 * </pre>
 *
 * (only {@code url} is required; the prefix is configurable). A subscription lists the keys, then
 * watches them from the next revision, so an added, changed or removed instance — a key deleted, or
 * its lease expired — reaches Hyperlane as soon as etcd reports it; when the watch breaks or its
 * revision was compacted, it lists again.
 *
 * <pre>{@code
 * EtcdDiscovery etcd = EtcdDiscovery.builder("http://127.0.0.1:2379").build();
 * Hyperlane.builder()
 *     .service("inventory", s -> s.discovery(etcd))
 *     .selfRegistration(etcd.registration("orders", "orders-1",
 *         Endpoint.of("http://10.0.0.7:8080"), Duration.ofSeconds(10)))
 *     .build();
 * }</pre>
 *
 * <p>One instance serves any number of services and registrations; it is thread-safe.
 */
public final class EtcdDiscovery implements ServiceDiscovery {

  static final MediaType JSON_TYPE = MediaType.get("application/json");

  private final HttpUrl base;
  private final String keyPrefix;
  final OkHttpClient http;

  private EtcdDiscovery(Builder b) {
    this.base = b.base;
    this.keyPrefix = b.keyPrefix;
    this.http = Registries.client(b.client, "etcd");
  }

  /**
   * A builder for the etcd cluster member at {@code etcdUrl}, such as {@code
   * http://127.0.0.1:2379}.
   */
  public static Builder builder(String etcdUrl) {
    return new Builder(etcdUrl);
  }

  @Override
  public Subscription subscribe(Context context) {
    Subscriber subscriber = new Subscriber(context, keyPrefix + context.serviceName() + "/");
    subscriber.start();
    return subscriber;
  }

  /**
   * This application's instance {@code instanceId} of {@code service}, registered under a lease of
   * {@code ttl} while the Hyperlane it is given to runs: the lease is kept alive every third of its
   * TTL and revoked (which deletes the key) on close; if the instance dies, the key goes when the
   * lease expires. Registration retries on its own when etcd is unreachable.
   *
   * @param instanceId 1 to 128 characters of {@code [A-Za-z0-9._-]}
   * @param ttl the lease's time to live, 2 s to 1 h
   */
  public SelfRegistration registration(
      String service, String instanceId, Endpoint endpoint, Duration ttl) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(ttl, "ttl");
    if (instanceId == null || !instanceId.matches("[A-Za-z0-9._-]{1,128}")) {
      throw new IllegalArgumentException(
          "instanceId must be 1 to 128 characters of [A-Za-z0-9._-] but was " + instanceId);
    }
    if (!service.matches("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")) {
      throw new IllegalArgumentException(
          "service must be a lower-case host name but was " + service);
    }
    if (ttl.compareTo(Duration.ofSeconds(2)) < 0 || ttl.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("ttl must be between 2 s and 1 h but was " + ttl);
    }
    return new EtcdRegistration(this, keyPrefix + service + "/" + instanceId, value(endpoint), ttl);
  }

  /** The JSON record of {@code endpoint}, as subscriptions read it. */
  static String value(Endpoint endpoint) {
    ObjectNode node = Registries.JSON.createObjectNode();
    node.put("url", endpoint.origin());
    if (endpoint.zone() != null) {
      node.put("zone", endpoint.zone());
    }
    node.put("weight", endpoint.weight());
    ObjectNode metadata = node.putObject("metadata");
    endpoint.metadata().forEach(metadata::put);
    return node.toString();
  }

  Request post(String path, JsonNode body) {
    return new Request.Builder()
        .url(base.newBuilder().encodedPath(path).build())
        .post(RequestBody.create(body.toString(), JSON_TYPE))
        .build();
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The text a base64 field holds, or "" when it is missing or not base64. */
  static String unb64(@Nullable JsonNode node) {
    if (node == null || !node.isTextual()) {
      return "";
    }
    try {
      return new String(Base64.getDecoder().decode(node.asText()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /** The first key after every key that starts with {@code prefix} (etcd's range_end). */
  static String rangeEnd(String prefix) {
    byte[] bytes = prefix.getBytes(StandardCharsets.UTF_8);
    bytes[bytes.length - 1]++;
    return Base64.getEncoder().encodeToString(bytes);
  }

  /** The revision of an answer's header, 0 when it has none, -1 when it is not a number. */
  static long revision(JsonNode result) {
    JsonNode revision = result.path("header").path("revision");
    if (revision.isMissingNode()) {
      return 0;
    }
    String text = revision.asText("");
    if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    return Long.parseLong(text);
  }

  @Override
  public String toString() {
    return "EtcdDiscovery{" + base + keyPrefix + "}";
  }

  /** One service's list-then-watch loop. */
  private final class Subscriber extends Watch {
    private final String prefix;
    private final Map<String, Endpoint> byKey = new LinkedHashMap<>();
    private long revision; // 0: list first

    Subscriber(Context context, String prefix) {
      super(context, http);
      this.prefix = prefix;
    }

    @Override
    void step() {
      ObjectNode range =
          Registries.JSON
              .createObjectNode()
              .put("key", b64(prefix))
              .put("range_end", rangeEnd(prefix));
      if (revision == 0) {
        send(post("/v3/kv/range", range), false, this::listed);
      } else {
        ObjectNode watch = Registries.JSON.createObjectNode();
        ObjectNode create = watch.putObject("create_request");
        create.setAll(range);
        create.put("start_revision", revision + 1).put("progress_notify", true);
        send(post("/v3/watch", watch), true, this::watched);
      }
    }

    private void listed(Response response) throws IOException {
      JsonNode answer = Registries.readJson(response.body());
      long listedAt = revision(answer);
      if (listedAt <= 0) {
        throw new IOException("etcd range answer without a revision");
      }
      Map<String, Endpoint> fresh = new LinkedHashMap<>();
      List<String> problems = new ArrayList<>();
      for (JsonNode kv : answer.path("kvs")) {
        String key = unb64(kv.get("key"));
        try {
          fresh.put(key, instance(key, kv, problems));
        } catch (IllegalArgumentException e) {
          problems.add(e.getMessage()); // that instance is left out; the others are used
        }
      }
      byKey.clear();
      byKey.putAll(fresh);
      revision = listedAt;
      succeeded();
      reportGarbage(problems);
      deliver(new ArrayList<>(byKey.values()));
      again(Duration.ZERO); // now watch
    }

    private void watched(Response response) throws IOException {
      Registries.BoundedStream stream = new Registries.BoundedStream(response.body().byteStream());
      try (MappingIterator<JsonNode> results =
          Registries.JSON.readerFor(JsonNode.class).readValues(stream)) {
        while (results.hasNextValue()) {
          JsonNode message = results.nextValue();
          stream.nextMessage();
          JsonNode result = message.get("result");
          if (result == null) {
            throw new IOException("etcd watch error: " + message.path("error"));
          }
          if (result.path("canceled").asBoolean(false)
              || result.path("compact_revision").asLong(0) > 0) {
            revision = 0; // compacted or cancelled: list again
            again(Duration.ZERO);
            return;
          }
          boolean changed = false;
          List<String> problems = new ArrayList<>();
          for (JsonNode event : result.path("events")) {
            JsonNode kv = event.get("kv");
            String key = unb64(kv == null ? null : kv.get("key"));
            if ("DELETE".equals(event.path("type").asText("PUT"))) {
              changed |= byKey.remove(key) != null;
            } else {
              try {
                byKey.put(key, instance(key, kv, problems));
                changed = true;
              } catch (IllegalArgumentException e) {
                problems.add(e.getMessage()); // that key is not applied; the rest is
              }
            }
          }
          revision = Math.max(revision, revision(result));
          reportGarbage(problems);
          if (changed) {
            succeeded();
            deliver(new ArrayList<>(byKey.values()));
          }
        }
      }
      if (!cancelled()) {
        again(Duration.ZERO); // the server ended the stream: watch again from where we are
      }
    }
  }

  /**
   * The endpoint an etcd key-value describes; a metadata entry it cannot use is left out, and what
   * is wrong added to {@code problems}.
   *
   * @throws IllegalArgumentException naming the key and what is wrong: the only failure
   */
  static Endpoint instance(String key, @Nullable JsonNode kv, List<String> problems) {
    String where = "etcd key " + key;
    try {
      return Registries.instance(
          Registries.JSON.readTree(unb64(kv == null ? null : kv.get("value"))), where, problems);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": value is not JSON", e);
    }
  }

  /** Configures an {@link EtcdDiscovery}. */
  public static final class Builder {
    private final HttpUrl base;
    private String keyPrefix = "/hyperlane/services/";
    private OkHttpClient client = new OkHttpClient();

    private Builder(String etcdUrl) {
      Objects.requireNonNull(etcdUrl, "etcdUrl");
      HttpUrl parsed = HttpUrl.parse(etcdUrl);
      if (parsed == null) {
        throw new IllegalArgumentException("etcdUrl must be an http(s) URL but was " + etcdUrl);
      }
      this.base = parsed;
    }

    /**
     * Where instances live: {@code <prefix><service>/<instance-id>}; {@code /hyperlane/services/}
     * by default.
     */
    public Builder keyPrefix(String prefix) {
      if (prefix == null || !prefix.startsWith("/") || !prefix.endsWith("/")) {
        throw new IllegalArgumentException("keyPrefix must start and end with / but was " + prefix);
      }
      this.keyPrefix = prefix;
      return this;
    }

    /** The client whose settings (TLS, proxy, interceptors) the calls to etcd use. */
    public Builder client(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    public EtcdDiscovery build() {
      return new EtcdDiscovery(this);
    }
  }
}
