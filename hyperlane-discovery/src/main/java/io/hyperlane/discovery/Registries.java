package io.hyperlane.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hyperlane.client.Endpoint;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.ResponseBody;
import okio.BufferedSource;

/** What the registries share: their HTTP client, JSON, bounds on answers, and the retry pause. */
final class Registries {

  static final ObjectMapper JSON = new ObjectMapper();

  /** What {@link Endpoint} takes at most. */
  private static final int MAX_METADATA = 64;

  /** The largest answer a registry may give (a list of instances); larger is garbage. */
  static final long MAX_ANSWER_BYTES = 16L << 20;

  /** How long a call that is not a watch may take. */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  private Registries() {}

  /**
   * A client for one registry: {@code base}'s settings, its own dispatcher on daemon threads (a
   * watch holds a thread for as long as it streams; they end 10 s after the last call), and a read
   * timeout long enough for a watch that is quiet for minutes.
   */
  static OkHttpClient client(OkHttpClient base, String name) {
    ThreadPoolExecutor threads =
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            10,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "hyperlane-" + name);
              t.setDaemon(true);
              return t;
            });
    Dispatcher dispatcher = new Dispatcher(threads);
    dispatcher.setMaxRequests(1024);
    dispatcher.setMaxRequestsPerHost(1024);
    return base.newBuilder()
        .dispatcher(dispatcher)
        .readTimeout(Duration.ofMinutes(15))
        .retryOnConnectionFailure(true)
        .build();
  }

  /** {@code scheme} when it is {@code http} or {@code https}; else the error naming it. */
  static String scheme(String scheme) {
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException("scheme must be http or https but was " + scheme);
    }
    return scheme;
  }

  /** The whole body, when it is at most {@link #MAX_ANSWER_BYTES}. */
  static JsonNode readJson(ResponseBody body) throws IOException {
    BufferedSource source = body.source();
    if (source.request(MAX_ANSWER_BYTES + 1)) {
      throw new IOException("registry answer larger than " + MAX_ANSWER_BYTES + " bytes");
    }
    return JSON.readTree(source.readByteArray());
  }

  /**
   * A pause before the next try after {@code failures} failures in a row: 0.1 s doubling to 30 s,
   * jittered.
   */
  static Duration backoff(int failures) {
    long max = Math.min(30_000, 100L << Math.min(20, Math.max(0, failures - 1)));
    return Duration.ofMillis(max / 2 + ThreadLocalRandom.current().nextLong(max / 2 + 1));
  }

  /**
   * The endpoint an instance record describes: {@code {"url": "http://10.0.0.5:8080", "zone":
   * "eu-west-1a", "weight": 2, "metadata": {"version": "v2"}}}; only {@code url} is required.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static Endpoint instance(JsonNode node, String where, List<String> problems) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(where + ": an instance must be a JSON object");
    }
    JsonNode url = node.get("url");
    if (url == null || !url.isTextual()) {
      throw new IllegalArgumentException(where + ": \"url\" must be a string");
    }
    Endpoint.Builder endpoint = Endpoint.builder(url.asText());
    JsonNode zone = node.get("zone");
    if (zone != null && !zone.isNull()) {
      if (!zone.isTextual()) {
        throw new IllegalArgumentException(where + ": \"zone\" must be a string");
      }
      endpoint.zone(zone.asText());
    }
    JsonNode weight = node.get("weight");
    if (weight != null && !weight.isNull()) {
      if (!weight.canConvertToInt() || !weight.isIntegralNumber()) {
        throw new IllegalArgumentException(where + ": \"weight\" must be an integer");
      }
      endpoint.weight(weight.asInt());
    }
    metadata(node.get("metadata"), endpoint, where, problems);
    try {
      return endpoint.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Copies a JSON object of strings into the endpoint's metadata. An entry Hyperlane cannot use
   * (not a string, or outside {@link Endpoint#checkMetadata}'s rules), or metadata that is not an
   * object, is left out and what is wrong added to {@code problems}: the instance itself is used.
   */
  static void metadata(
      JsonNode node, Endpoint.Builder endpoint, String where, List<String> problems) {
    if (node == null || node.isNull()) {
      return;
    }
    if (!node.isObject()) {
      problems.add(where + ": metadata is not a JSON object; left out");
      return;
    }
    int kept = 0;
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String key = e.getKey();
      JsonNode value = e.getValue();
      try {
        if (!value.isTextual()) {
          throw new IllegalArgumentException("metadata \"" + key + "\" must be a string");
        }
        Endpoint.checkMetadata(key, value.asText());
        if (++kept > MAX_METADATA) {
          throw new IllegalArgumentException("more than " + MAX_METADATA + " metadata entries");
        }
      } catch (IllegalArgumentException x) {
        problems.add(where + ": " + x.getMessage() + "; that entry is left out");
        continue;
      }
      endpoint.metadata(key, value.asText());
    }
  }

  /**
   * A stream of newline-free JSON messages (a watch) that fails when one message passes {@link
   * #MAX_ANSWER_BYTES}, counted from the last {@link BoundedStream#nextMessage()}: a watch may last
   * for hours, but no single message may be larger than a whole list.
   */
  static final class BoundedStream extends FilterInputStream {
    private long sinceLastMessage;

    BoundedStream(InputStream in) {
      super(in);
    }

    /** A message was read whole: the next one has the whole bound again. */
    void nextMessage() {
      sinceLastMessage = 0;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(int n) throws IOException {
      sinceLastMessage += n;
      if (sinceLastMessage > MAX_ANSWER_BYTES) {
        throw new IOException("registry watch message larger than " + MAX_ANSWER_BYTES + " bytes");
      }
    }
  }
}
