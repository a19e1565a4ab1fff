package io.hyperlane.spring;

import java.net.URI;
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
 *   <li>Request bodies stream: a body Spring hands over ({@code StreamingHttpOutputMessage}) is
 *       written straight to the connection. If Spring says it can be written again ({@code
 *       Body.repeatable()}: strings, byte arrays, the JSON converters; not protobuf, XML or
 *       multipart), a retry or a hedge may resend it within Hyperlane's rules (never a POST that
 *       may have reached the server); if not, it is sent at most once, unless the failure proves it
 *       never left. Spring itself buffers a body (and calls it repeatable) when the client has a
 *       {@code ClientHttpRequestInterceptor}, or when code writes to {@code getBody()}.
 *   <li>A failure of Spring's own code while it writes the body (a converter that cannot serialise
 *       the object, a stream that cannot be read) is not the endpoint's: the call is cancelled, no
 *       retry, hedge, circuit or ejection counts it, and the caller gets that failure as thrown.
 *   <li>Response bodies stream: {@code ClientHttpResponse.getBody()} is the connection's stream,
 *       released by {@code close()}.
 *   <li>Hyperlane's {@code IOException}s — {@code DeadlineExceededException}, {@code
 *       CircuitOpenException}, {@code NoEndpointException}, … — reach the caller as the cause of
 *       Spring's exception: {@code ResourceAccessException} while the call is made, a {@code
 *       RestClientException} while the response body is read.
 *   <li>A request attribute whose value is a {@code CallOptions} or a {@code StickyKey} is given to
 *       Hyperlane as the call's tag: per-call timeout, retries, hedging, sticky key.
 *   <li>Timeouts: the call's deadline is Hyperlane's; connect and read timeouts are the wrapped
 *       client's (set them on the {@code OkHttpClient} before {@code Hyperlane.wrap}).
 * </ul>
 *
 * <p>Instances are immutable and thread-safe.
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

  @Override
  public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) {
    return new OkHttpClientHttpRequest(client, uri, httpMethod);
  }

  @Override
  public String toString() {
    return "HyperlaneClientHttpRequestFactory(" + client + ")";
  }
}
