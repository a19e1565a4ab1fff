package io.hyperlane.spring;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
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
    if (b == null && bytes != null) {
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
      if (headers.getContentLength() < 0) {
        headers.setContentLength(content.length);
      }
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
    headers.forEach(
        (name, values) -> {
          // OkHttp writes these from the body and the connection.
          if (!name.equalsIgnoreCase(HttpHeaders.CONTENT_LENGTH)
              && !name.equalsIgnoreCase(HttpHeaders.TRANSFER_ENCODING)
              && !name.equalsIgnoreCase(HttpHeaders.HOST)
              && !name.equalsIgnoreCase(HttpHeaders.CONNECTION)) {
            for (String value : values) {
              request.addHeader(name, value);
            }
          }
        });
    String name = method.name();
    RequestBody requestBody = null;
    if (body != null) {
      // Only methods that Spring 6.2 and 7 share, with the same signatures: one jar for both.
      org.springframework.http.MediaType type = headers.getContentType();
      requestBody =
          new SpringBody(
              body,
              type == null ? null : MediaType.parse(type.toString()),
              headers.getContentLength());
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
    return new OkHttpClientHttpResponse(client.newCall(request.build()).execute());
  }

  /** The methods OkHttp sends only with a body (an empty one when Spring has none). */
  private static boolean requiresBody(String method) {
    return method.equals("POST")
        || method.equals("PUT")
        || method.equals("PATCH")
        || method.equals("PROPPATCH")
        || method.equals("REPORT");
  }

  /** Spring's body, written to the connection as OkHttp asks for it. */
  private static final class SpringBody extends RequestBody {
    private final StreamingHttpOutputMessage.Body body;
    private final @Nullable MediaType contentType;
    private final long contentLength;

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
      // Spring's converters may close the stream they are given; the sink is OkHttp's to close.
      body.writeTo(
          new FilterOutputStream(sink.outputStream()) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
              out.flush();
            }
          });
    }
  }
}
