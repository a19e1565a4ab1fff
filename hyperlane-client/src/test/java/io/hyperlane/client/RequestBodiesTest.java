package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;

/**
 * Bodies written every way an application writes them reach the endpoint whole through every stage:
 * OkHttp's own gzip, a body that closes its sink or its output stream (as Jackson does by default),
 * form and multipart bodies — with retries on (the default) and off.
 */
class RequestBodiesTest extends LoopbackTest {

  private static RequestBody closing(String text, boolean viaStream) {
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("text/plain");
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        if (viaStream) {
          try (OutputStream out = sink.outputStream()) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
          }
        } else {
          sink.writeUtf8(text);
          sink.close();
        }
      }
    };
  }

  @Test
  void everyKindOfBodyArrivesWhole() throws Exception {
    replicas = Replicas.start(1);
    for (boolean retries : new boolean[] {true, false}) {
      Hyperlane.Builder builder = Hyperlane.builder().service("inventory", replicas.urls());
      if (!retries) {
        builder.retry(io.hyperlane.resilience.RetryPolicy.none());
      }
      try (Hyperlane hyperlane = builder.build()) {
        OkHttpClient client = hyperlane.wrap(base);
        List<Request> requests = new ArrayList<>();
        Request.Builder post = new Request.Builder().url("http://inventory/orders");
        requests.add(post.post(closing("closed sink", false)).build());
        requests.add(post.post(closing("closed stream", true)).build());
        requests.add(
            new Request.Builder()
                .url("http://inventory/orders")
                .post(RequestBody.create("gzipped", MediaType.get("text/plain")))
                .gzip()
                .build());
        requests.add(post.post(new okhttp3.FormBody.Builder().add("item", "42").build()).build());
        requests.add(
            post.post(
                    new okhttp3.MultipartBody.Builder()
                        .setType(okhttp3.MultipartBody.FORM)
                        .addFormDataPart("item", "43")
                        .build())
                .build());
        for (Request r : requests) {
          try (Response response = client.newCall(r).execute()) {
            assertThat(response.code()).as(r.body() + ", retries " + retries).isEqualTo(200);
          }
        }
      }
    }
    List<LoggedRequest> received = replicas.server(0).findAll(postRequestedFor(anyUrl()));
    assertThat(received).hasSize(10);
    assertThat(received.get(0).getBodyAsString()).isEqualTo("closed sink");
    assertThat(received.get(1).getBodyAsString()).isEqualTo("closed stream");
    assertThat(received.get(2).getHeader("Content-Encoding")).isEqualTo("gzip");
    assertThat(received.get(3).getBodyAsString()).isEqualTo("item=42");
    assertThat(received.get(4).getBodyAsString()).contains("43");
  }
}
