package io.hyperlane.resilience;

import java.io.IOException;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.ForwardingSink;
import okio.Okio;
import okio.Sink;
import org.jspecify.annotations.Nullable;

/**
 * A request body that remembers whether writing it started, which is how the retry stage knows a
 * failed attempt may have reached the server. For a request that is not idempotent it also reports
 * itself one-shot, which stops OkHttp's own recovery (and its 408 handling) from sending it again
 * behind the retry stage's back (square/okhttp#2394).
 *
 * <p>It also tells the body's own failures from the connection's. When the application's body code
 * fails (a file that cannot be read, an object that cannot be serialised) the endpoint is not to
 * blame and another attempt would fail the same way: the logical call is cancelled, so that no
 * retry, hedge, circuit or ejection counts it, and the failure goes on to the caller as thrown.
 */
final class TrackedBody extends RequestBody {

  private final RequestBody delegate;
  private final boolean oneShot;
  private final @Nullable Call logicalCall;
  private volatile boolean writeStarted;

  TrackedBody(RequestBody delegate, boolean forceOneShot) {
    this(delegate, forceOneShot, null);
  }

  /** A body whose own failures cancel {@code logicalCall}. */
  TrackedBody(RequestBody delegate, boolean forceOneShot, @Nullable Call logicalCall) {
    this.delegate = delegate;
    this.oneShot = forceOneShot || delegate.isOneShot();
    this.logicalCall = logicalCall;
  }

  boolean writeStarted() {
    return writeStarted;
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() throws IOException {
    return delegate.contentLength();
  }

  @Override
  public boolean isOneShot() {
    return oneShot;
  }

  @Override
  public boolean isDuplex() {
    return delegate.isDuplex();
  }

  @Override
  public void writeTo(BufferedSink sink) throws IOException {
    writeStarted = true;
    Call call = logicalCall;
    if (call == null) {
      delegate.writeTo(sink);
      return;
    }
    WatchedSink watched = new WatchedSink(sink);
    BufferedSink buffered = Okio.buffer(watched);
    try {
      delegate.writeTo(buffered);
      buffered.emit(); // what is left in this buffer, to OkHttp's sink (which OkHttp flushes)
    } catch (IOException | RuntimeException | Error e) {
      if (!watched.failed) {
        call.cancel(); // the body's own failure: not the endpoint's, and no attempt would do better
      }
      throw e;
    }
  }

  /** The connection's sink, remembering whether it failed. */
  private static final class WatchedSink extends ForwardingSink {
    volatile boolean failed;

    WatchedSink(Sink delegate) {
      super(delegate);
    }

    @Override
    public void write(Buffer source, long byteCount) throws IOException {
      try {
        super.write(source, byteCount);
      } catch (IOException | RuntimeException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        super.flush();
      } catch (IOException | RuntimeException e) {
        failed = true;
        throw e;
      }
    }
  }
}
