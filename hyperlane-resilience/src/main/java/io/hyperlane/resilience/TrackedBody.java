package io.hyperlane.resilience;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;

/**
 * A request body that remembers whether writing it started, which is how the retry stage knows a
 * failed attempt may have reached the server. For a request that is not idempotent it also reports
 * itself one-shot, which stops OkHttp's own recovery (and its 408 handling) from sending it again
 * behind the retry stage's back (square/okhttp#2394).
 */
final class TrackedBody extends RequestBody {

  private final RequestBody delegate;
  private final boolean oneShot;
  private volatile boolean writeStarted;

  TrackedBody(RequestBody delegate, boolean forceOneShot) {
    this.delegate = delegate;
    this.oneShot = forceOneShot || delegate.isOneShot();
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
    delegate.writeTo(sink);
  }
}
