package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;

/**
 * A request body whose own code fails (a file that cannot be read, an object that cannot be
 * serialised) is not the endpoint's failure: it is not retried, counted by circuits or ejection,
 * and the caller gets it as thrown — sync and async, with and without retries.
 */
class RequestBodyFailureTest extends LoopbackTest {

  /** Writes a byte, then fails with {@code failure}; counts its writes. */
  private static RequestBody failing(
      RuntimeException runtime, IOException io, AtomicInteger writes) {
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("application/json");
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        writes.incrementAndGet();
        sink.writeByte('{');
        if (runtime != null) {
          throw runtime;
        }
        throw io;
      }
    };
  }

  @Test
  void aFailingBodyNeverCountsAgainstEndpointsNorIsRetried() throws Exception {
    replicas = Replicas.start(3);
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      AtomicInteger writes = new AtomicInteger();
      for (int i = 0; i < 25; i++) {
        Request post =
            new Request.Builder()
                .url("http://inventory/orders")
                .post(failing(new IllegalStateException("no serializer for Order"), null, writes))
                .build();
        assertThatThrownBy(() -> client.newCall(post).execute())
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("no serializer for Order");
      }
      IOException unreadable = new IOException("orders.csv: permission denied");
      Request put =
          new Request.Builder()
              .url("http://inventory/orders/1")
              .put(failing(null, unreadable, writes))
              .build();
      assertThatThrownBy(() -> client.newCall(put).execute()).isSameAs(unreadable);
      assertThat(writes).as("one write per call: no retry, no hedge").hasValue(26);

      ServiceSnapshot service = hyperlane.snapshot().service("inventory");
      assertThat(service.circuit()).isEqualTo("CLOSED");
      for (EndpointSnapshot e : service.endpoints()) {
        assertThat(e.failures()).isZero();
        assertThat(e.ejected()).isFalse();
        assertThat(e.circuit()).isEqualTo("CLOSED");
      }
      try (Response r =
          client.newCall(new Request.Builder().url("http://inventory/items").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
  }

  @Test
  void anAsyncCallGetsTheBodysOwnFailureToo() throws Exception {
    replicas = Replicas.start(2);
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      AtomicInteger writes = new AtomicInteger();
      IOException unreadable = new IOException("orders.csv: permission denied");
      CompletableFuture<IOException> failed = new CompletableFuture<>();
      client
          .newCall(
              new Request.Builder()
                  .url("http://inventory/orders/2")
                  .put(failing(null, unreadable, writes))
                  .build())
          .enqueue(
              new Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                  failed.complete(e);
                }

                @Override
                public void onResponse(Call call, Response response) {
                  response.close();
                  failed.completeExceptionally(new AssertionError("answered"));
                }
              });
      assertThat(failed.get(10, TimeUnit.SECONDS)).isSameAs(unreadable);
      assertThat(writes).hasValue(1);
      for (EndpointSnapshot e : hyperlane.snapshot().service("inventory").endpoints()) {
        assertThat(e.failures()).isZero();
      }
    }
  }
}
