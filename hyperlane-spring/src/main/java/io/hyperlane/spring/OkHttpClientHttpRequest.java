package io.hyperlane.spring;

import io.hyperlane.client.StickyKey;
import io.hyperlane.resilience.CallOptions;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.StreamingHttpOutputMessage;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpResponse;

/**
 * One Spring request, executed as one OkHttp call. A streaming message, so that Spring's converters
 * hand over their body instead of writing it into a buffer; Spring 6.2 keeps its own base class for
 * such requests package-private, hence the interfaces implemented here.
 */
final class OkHttpClientHttpRequest implements ClientHttpRequest, StreamingHttpOutputMessage {

  private final OkHttpClient client;
  private final URI uri;
  private final org.springframework.http.HttpMethod method;
  private final HttpHeaders headers = new HttpHeaders();
  private final Map<String, Object> attributes = new LinkedHashMap<>();
  private StreamingHttpOutputMessage.@Nullable Body body;
  private @Nullable ByteArrayOutputStream buffered;
  private boolean executed;

  OkHttpClientHttpRequest(
      OkHttpClient client, URI uri, org.springframework.http.HttpMethod method) {
    this.client = client;
    this.uri = uri;
    this.method = method;
  }

  @Override
  public org.springframework.http.HttpMethod getMethod() {
    return method;
  }

  @Override
  public URI getURI() {
    return uri;
  }

  @Override
  public HttpHeaders getHeaders() {
    return headers;
  }

  @Override
  public Map<String, Object> getAttributes() {
    return attributes;
  }

  /** The body as a stream to write into: for code that does not stream, it is buffered. */
  @Override
  public OutputStream getBody() {
    checkNotExecuted();
    if (body != null) {
      throw new IllegalStateException("the body was already set with setBody");
    }
    ByteArrayOutputStream b = buffered;
    if (b == null) {
      b = new ByteArrayOutputStream();
      buffered = b;
    }
    return b;
  }

  @Override
  public void setBody(StreamingHttpOutputMessage.Body body) {
    checkNotExecuted();
    if (buffered != null) {
      throw new IllegalStateException("the body was already written with getBody");
    }
    this.body = body;
  }

  private void checkNotExecuted() {
    if (executed) {
      throw new IllegalStateException("the request was already executed");
    }
  }

  @Override
  public ClientHttpResponse execute() throws IOException {
    checkNotExecuted();
    executed = true;
    StreamingHttpOutputMessage.Body b = body;
    ByteArrayOutputStream bytes = buffered;
    if (b == null && bytes != null && bytes.size() > 0) {
      byte[] content = bytes.toByteArray();
      b =
          new StreamingHttpOutputMessage.Body() {
            @Override
            public void writeTo(OutputStream out) throws IOException {
              out.write(content);
            }

            @Override
            public boolean repeatable() {
              return true;
            }
          };
      headers.setContentLength(content.length); // what is sent, whatever the caller set
    }
    return execute(b);
  }

  private ClientHttpResponse execute(StreamingHttpOutputMessage.@Nullable Body body)
      throws IOException {
    HttpUrl url = HttpUrl.parse(uri.toString());
    if (url == null) {
      throw new IOException("not an http or https URL: " + uri);
    }
    Request.Builder request = new Request.Builder().url(url);
    for (Map.Entry<String, List<String>> header : headers.headerSet()) { // in Spring 6.2 and 7
      String name = header.getKey();
      // OkHttp writes these from the body and the connection.
      if (name.equalsIgnoreCase(HttpHeaders.CONTENT_LENGTH)
          || name.equalsIgnoreCase(HttpHeaders.TRANSFER_ENCODING)
          || name.equalsIgnoreCase(HttpHeaders.HOST)
          || name.equalsIgnoreCase(HttpHeaders.CONNECTION)) {
        continue;
      }
      for (String value : header.getValue()) {
        try {
          request.addHeader(name, value);
        } catch (IllegalArgumentException e) { // a name or value HTTP/1.1 cannot carry
          throw new IOException("cannot send header " + name + ": " + e.getMessage(), e);
        }
      }
    }
    // Hyperlane's per-call settings, given to Spring as request attributes of their own types.
    for (Object value : attributes.values()) {
      if (value instanceof CallOptions options) {
        request.tag(CallOptions.class, options);
      } else if (value instanceof StickyKey key) {
        request.tag(StickyKey.class, key);
      }
    }
    String name = method.name();
    SpringBody springBody = null;
    RequestBody requestBody = null;
    if (body != null) {
      // Only methods that Spring 6.2 and 7 share, with the same signatures: one jar for both.
      org.springframework.http.MediaType type = headers.getContentType();
      springBody =
          new SpringBody(
              body,
              type == null ? null : MediaType.parse(type.toString()),
              headers.getContentLength());
      requestBody = springBody;
    } else if (requiresBody(name)) {
      requestBody = RequestBody.create(new byte[0], null); // POST, PUT, PATCH: an empty body
    }
    if (requestBody != null && (name.equals("GET") || name.equals("HEAD"))) {
      throw new IOException(name + " " + uri + " cannot carry a request body with OkHttp");
    }
    try {
      request.method(name, requestBody);
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot send " + name + " " + uri + ": " + e.getMessage(), e);
    }
    Call call = client.newCall(request.build());
    if (springBody != null) {
      springBody.call = call;
    }
    try {
      return new OkHttpClientHttpResponse(call.execute());
    } catch (IOException e) {
      Throwable own = springBody == null ? null : springBody.ownFailure;
      if (own instanceof IOException io) {
        throw io;
      } else if (own instanceof RuntimeException runtime) {
        throw runtime;
      } else if (own instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  /** The methods OkHttp sends only with a body (an empty one when Spring has none). */
  private static boolean requiresBody(String method) {
    return method.equals("POST")
        || method.equals("PUT")
        || method.equals("PATCH")
        || method.equals("PROPPATCH")
        || method.equals("REPORT");
  }

  /**
   * Spring's body, written to the connection as OkHttp asks for it. When Spring's own code fails
   * while writing (a converter that cannot serialise the object, a stream the application gave that
   * cannot be read), the endpoint is not to blame: the call is cancelled, so that no retry, hedge,
   * circuit or ejection counts it, and the caller gets that failure as it was thrown.
   */
  private static final class SpringBody extends RequestBody {
    private final StreamingHttpOutputMessage.Body body;
    private final @Nullable MediaType contentType;
    private final long contentLength;
    volatile @Nullable Call call;
    volatile @Nullable Throwable ownFailure;

    SpringBody(
        StreamingHttpOutputMessage.Body body, @Nullable MediaType contentType, long contentLength) {
      this.body = body;
      this.contentType = contentType;
      this.contentLength = contentLength;
    }

    @Override
    public @Nullable MediaType contentType() {
      return contentType;
    }

    @Override
    public long contentLength() {
      return contentLength; // -1 when Spring does not know it: sent chunked
    }

    @Override
    public boolean isOneShot() {
      return !body.repeatable();
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      NetworkStream network = new NetworkStream(sink.outputStream());
      try {
        body.writeTo(network);
      } catch (IOException | RuntimeException | Error e) {
        if (network.failed) {
          throw e; // the connection failed: the endpoint's (or the network's) doing
        }
        ownFailure = e;
        Call c = call;
        if (c != null) {
          c.cancel();
        }
        throw new IOException("the request body could not be written: " + e, e);
      }
    }
  }

  /**
   * The connection's stream as Spring's code sees it: remembers whether the connection failed, and
   * does not let Spring's converters close it (that is OkHttp's to do).
   */
  private static final class NetworkStream extends FilterOutputStream {
    volatile boolean failed;

    NetworkStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      try {
        out.write(b);
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
