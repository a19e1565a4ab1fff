package io.hyperlane.spring;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import okhttp3.OkHttpClient;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;

/**
 * Spring's HTTP clients over a Hyperlane-wrapped {@link OkHttpClient}: {@code RestClient}, {@code
 * RestTemplate} and {@code @HttpExchange} interfaces (through {@code RestClientAdapter}) then call
 * {@code http://<service>/…} through every Hyperlane stage — discovery, balancing, retries, hedges,
 * circuits, deadlines, the cache, telemetry.
 *
 * <pre>{@code
 * OkHttpClient client = hyperlane.wrap(new OkHttpClient());
 * RestClient rest = RestClient.builder()
 *     .requestFactory(new HyperlaneClientHttpRequestFactory(client))
 *     .baseUrl("http://inventory")
 *     .build();
 * }</pre>
 *
 * <ul>
 *   <li>Request bodies stream: Spring writes them straight to the connection, never into a buffer
 *       of this factory's. A body that Spring says can be written again ({@code
 *       StreamingHttpOutputMessage.Body.repeatable()}, true for strings, byte arrays and the JSON
 *       converters) may be resent by a retry or a hedge, within Hyperlane's rules (never a POST
 *       that may have reached the server); one that cannot (an {@code InputStream}, say) is sent at
 *       most once, unless the failure proves it was never sent.
 *   <li>Response bodies stream: {@code ClientHttpResponse.getBody()} is the connection's stream,
 *       released by {@code close()}.
 *   <li>Errors keep their types: Hyperlane's {@code IOException}s — {@code
 *       DeadlineExceededException}, {@code CircuitOpenException}, {@code NoEndpointException}, … —
 *       reach the caller as the cause of Spring's {@code ResourceAccessException}.
 * </ul>
 *
 * <p>Instances are immutable and thread-safe; {@link #readTimeout} and {@link #connectTimeout}
 * return a new one sharing the client's connections and threads.
 */
public final class HyperlaneClientHttpRequestFactory implements ClientHttpRequestFactory {

  private final OkHttpClient client;

  /**
   * A factory whose requests run on {@code client}, which should be one that {@code Hyperlane.wrap}
   * returned (any other client works too, without Hyperlane's stages).
   */
  public HyperlaneClientHttpRequestFactory(OkHttpClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The same factory with each attempt's read timeout set to {@code timeout}. */
  public HyperlaneClientHttpRequestFactory readTimeout(Duration timeout) {
    return new HyperlaneClientHttpRequestFactory(
        client.newBuilder().readTimeout(checked("readTimeout", timeout)).build());
  }

  /** The same factory with each attempt's connect timeout set to {@code timeout}. */
  public HyperlaneClientHttpRequestFactory connectTimeout(Duration timeout) {
    return new HyperlaneClientHttpRequestFactory(
        client.newBuilder().connectTimeout(checked("connectTimeout", timeout)).build());
  }

  private static Duration checked(String name, Duration timeout) {
    Objects.requireNonNull(timeout, name);
    if (timeout.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative but was " + timeout);
    }
    return timeout;
  }

  @Override
  public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) {
    return new OkHttpClientHttpRequest(client, uri, httpMethod);
  }

  @Override
  public String toString() {
    return "HyperlaneClientHttpRequestFactory(" + client + ")";
  }
}
