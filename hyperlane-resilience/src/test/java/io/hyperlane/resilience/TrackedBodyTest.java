package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.ForwardingSink;
import okio.Okio;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the tracked body passes on, and whose failure it tells apart. */
class TrackedBodyTest {

  private final OkHttpClient client = new OkHttpClient();
  private final Call call =
      client.newCall(new Request.Builder().url("http://127.0.0.1:1/").build());

  @AfterEach
  void release() {
    client.dispatcher().executorService().shutdown();
  }

  /** Writes "hello", flushes, then throws {@code failure} if not null. */
  private static RequestBody body(Exception failure) {
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return null;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        sink.writeUtf8("hello");
        sink.flush();
        if (failure instanceof IOException io) {
          throw io;
        } else if (failure instanceof RuntimeException runtime) {
          throw runtime;
        }
      }
    };
  }

  @Test
  void passesTheWholeBodyOnAndRemembersThatWritingStarted() throws IOException {
    TrackedBody tracked = new TrackedBody(body(null), false, call);
    assertThat(tracked.writeStarted()).isFalse();
    Buffer sink = new Buffer();
    tracked.writeTo(sink);
    assertThat(sink.readUtf8()).isEqualTo("hello");
    assertThat(tracked.writeStarted()).isTrue();
    assertThat(call.isCanceled()).isFalse();
  }

  @Test
  void theBodysOwnFailureCancelsTheCallAndIsThrownAsItWas() {
    IOException unreadable = new IOException("orders.csv");
    assertThatThrownBy(() -> new TrackedBody(body(unreadable), false, call).writeTo(new Buffer()))
        .isSameAs(unreadable);
    assertThat(call.isCanceled()).isTrue();

    Call other = client.newCall(new Request.Builder().url("http://127.0.0.1:1/").build());
    IllegalStateException serializer = new IllegalStateException("no serializer");
    assertThatThrownBy(() -> new TrackedBody(body(serializer), true, other).writeTo(new Buffer()))
        .isSameAs(serializer);
    assertThat(other.isCanceled()).isTrue();
  }

  @Test
  void aFailureOfTheConnectionDoesNotCancelTheCall() {
    IOException reset = new IOException("connection reset");
    BufferedSink failingWrite =
        Okio.buffer(
            new ForwardingSink(new Buffer()) {
              @Override
              public void write(Buffer source, long byteCount) throws IOException {
                throw reset;
              }
            });
    assertThatThrownBy(() -> new TrackedBody(body(null), false, call).writeTo(failingWrite))
        .isSameAs(reset);
    assertThat(call.isCanceled()).isFalse();

    IOException flushFailed = new IOException("broken pipe");
    BufferedSink failingFlush =
        Okio.buffer(
            new ForwardingSink(new Buffer()) {
              @Override
              public void flush() throws IOException {
                throw flushFailed;
              }
            });
    assertThatThrownBy(() -> new TrackedBody(body(null), false, call).writeTo(failingFlush))
        .isSameAs(flushFailed);
    assertThat(call.isCanceled()).isFalse();
  }

  @Test
  void withoutALogicalCallTheBodyIsWrittenAsItIs() {
    IOException unreadable = new IOException("orders.csv");
    TrackedBody tracked = new TrackedBody(body(unreadable), true);
    assertThatThrownBy(() -> tracked.writeTo(new Buffer())).isSameAs(unreadable);
    assertThat(tracked.isOneShot()).isTrue();
    assertThat(call.isCanceled()).isFalse();
  }
}
