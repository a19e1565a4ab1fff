package io.hyperlane.resilience;

import io.hyperlane.resilience.internal.Durations;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
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
    this(service, timeout, what, List.of());
  }

  /** With the attempts made before the deadline passed, listed in the message. */
  DeadlineExceededException(
      String service,
      @Nullable Duration timeout,
      String what,
      List<CallFailedException.Attempt> attempts) {
    super(
        "deadline of "
            + (timeout == null ? "the enclosing scope" : Durations.human(timeout))
            + " exceeded for "
            + service
            + ": "
            + what
            + (attempts.isEmpty()
                ? ""
                : " after "
                    + (attempts.size() == 1 ? "1 attempt " : attempts.size() + " attempts ")
                    + CallFailedException.list(attempts)));
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
