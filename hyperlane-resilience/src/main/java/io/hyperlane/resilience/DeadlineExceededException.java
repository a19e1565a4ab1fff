package io.hyperlane.resilience;

import java.io.InterruptedIOException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A call did not finish before its deadline: the deadline passed while an attempt was under way
 * (the call was cancelled), or before an attempt or a retry could start.
 */
public final class DeadlineExceededException extends InterruptedIOException {
  private static final long serialVersionUID = 1L;

  private final String service;
  private final @Nullable Duration timeout;

  DeadlineExceededException(String service, @Nullable Duration timeout, String what) {
    super(
        "deadline of "
            + (timeout == null ? "the enclosing scope" : timeout)
            + " exceeded for "
            + service
            + ": "
            + what);
    this.service = service;
    this.timeout = timeout;
  }

  /** The service or host called. */
  public String service() {
    return service;
  }

  /** The configured total timeout, or null when the deadline came from a scope or a tag. */
  public @Nullable Duration timeout() {
    return timeout;
  }
}
