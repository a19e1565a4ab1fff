package io.hyperlane.spring;

import java.io.IOException;
import java.io.InputStream;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpResponse;

/** An OkHttp response as Spring reads it: status, headers, and the body as a stream. */
final class OkHttpClientHttpResponse implements ClientHttpResponse {

  private final Response response;
  private @Nullable HttpHeaders headers;

  OkHttpClientHttpResponse(Response response) {
    this.response = response;
  }

  @Override
  public HttpStatusCode getStatusCode() {
    return HttpStatusCode.valueOf(response.code());
  }

  @Override
  public String getStatusText() {
    return response.message();
  }

  @Override
  public HttpHeaders getHeaders() {
    HttpHeaders h = headers;
    if (h == null) {
      h = new HttpHeaders();
      for (int i = 0; i < response.headers().size(); i++) {
        h.add(response.headers().name(i), response.headers().value(i));
      }
      headers = h;
    }
    return h;
  }

  @Override
  public InputStream getBody() throws IOException {
    ResponseBody body = response.body();
    return body.byteStream();
  }

  @Override
  public void close() {
    response.close();
  }
}
