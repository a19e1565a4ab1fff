package io.hyperlane.resilience;

import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import io.hyperlane.resilience.internal.Durations;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A call gave up: its last attempt failed with an I/O error, and no other attempt will be made. The
 * message says which service, how many attempts were made, why there is no other, and what each
 * attempt met, for example:
 *
 * <pre>
 * GET inventory failed after 3 attempts in 14 ms: all 3 attempts the retry policy allows were made
 *   [#1 http://127.0.0.1:33921: java.net.ConnectException: Failed to connect to … (2 ms);
 *    #2 http://127.0.0.1:33922: HTTP 503 (1 ms); #3 http://127.0.0.1:33923: … (1 ms)]
 * </pre>
 *
 * <p>(on one line). {@link #getCause()} is the last attempt's failure, so a caller that handled a
 * {@code ConnectException} before handles {@code e.getCause()} now; the failures of earlier
 * attempts are {@linkplain #getSuppressed() suppressed} exceptions, and {@link #attempts()} lists
 * every attempt with its endpoint, outcome and duration. A call its caller cancelled, or whose
 * deadline passed, fails as before ({@code IOException("Canceled")}, {@link
 * DeadlineExceededException}): it did not give up, it was stopped.
 */
public final class CallFailedException extends IOException {
  private static final long serialVersionUID = 1L;
  private static final int MAX_FAILURE_TEXT = 200;

  /**
   * One attempt of a call that failed.
   *
   * @param number 1 for the first attempt, 2 for the first retry, and so on
   * @param endpoint the endpoint it went to (an origin, {@code http://10.0.0.7:8080}), or null when
   *     not known: it failed before an endpoint was picked, it was hedged (several calls), or
   *     retries were off so nothing was recorded
   * @param status the HTTP status it was answered with (a status the policy retries), or 0 when it
   *     failed with {@code failure}
   * @param failure the I/O error it failed with, or null when it was answered with {@code status}
   * @param duration how long it took
   */
  public record Attempt(
      int number,
      @Nullable String endpoint,
      int status,
      @Nullable IOException failure,
      Duration duration)
      implements Serializable {

    /** Checks the values. */
    public Attempt {
      Objects.requireNonNull(duration, "duration");
      if (number < 1) {
        throw new IllegalArgumentException("number must be at least 1 but was " + number);
      }
      if ((status == 0) == (failure == null)) {
        throw new IllegalArgumentException("an attempt has a status or a failure, not both");
      }
    }

    @Override
    public String toString() {
      StringBuilder text = new StringBuilder().append('#').append(number);
      if (endpoint != null) {
        text.append(' ').append(endpoint);
      }
      text.append(": ");
      if (failure != null) {
        String message = failure.getMessage();
        text.append(failure.getClass().getName());
        if (message != null) {
          text.append(": ")
              .append(
                  message.length() <= MAX_FAILURE_TEXT
                      ? message
                      : message.substring(0, MAX_FAILURE_TEXT) + "…");
        }
      } else {
        text.append("HTTP ").append(status);
      }
      return text.append(" (").append(Durations.human(duration)).append(')').toString();
    }
  }

  private final String service;
  private final RefusalReason reason;
  private final List<Attempt> attempts;

  CallFailedException(
      String method,
      String service,
      RefusalReason reason,
      int allowedAttempts,
      List<Attempt> attempts,
      long elapsedNanos) {
    super(message(method, service, reason, allowedAttempts, attempts, elapsedNanos));
    if (attempts.isEmpty()) {
      throw new IllegalArgumentException("a call that failed made an attempt");
    }
    this.service = service;
    this.reason = reason;
    this.attempts = List.copyOf(attempts);
    IOException last = attempts.get(attempts.size() - 1).failure();
    initCause(Objects.requireNonNull(last, "the last attempt failed with an exception"));
    for (Attempt attempt : attempts) {
      IOException failure = attempt.failure();
      if (failure != null && failure != last) {
        addSuppressed(failure);
      }
    }
  }

  /** The service (or host) called. */
  public String service() {
    return service;
  }

  /** Why no other attempt was made. */
  public RefusalReason reason() {
    return reason;
  }

  /** Every attempt made, in order; the last one failed with {@link #getCause()}. */
  public List<Attempt> attempts() {
    return attempts;
  }

  private static String message(
      String method,
      String service,
      RefusalReason reason,
      int allowedAttempts,
      List<Attempt> attempts,
      long elapsedNanos) {
    int made = attempts.size();
    return method
        + ' '
        + service
        + " failed after "
        + (made == 1 ? "1 attempt" : made + " attempts")
        + " in "
        + Durations.nanos(elapsedNanos)
        + ": "
        + why(reason, method, allowedAttempts)
        + ' '
        + list(attempts);
  }

  /** Why the retry stage made no other attempt, as a sentence. */
  static String why(RefusalReason reason, String method, int allowedAttempts) {
    switch (reason) {
      case ATTEMPTS_EXHAUSTED:
        return allowedAttempts == 1
            ? "the retry policy allows 1 attempt (retries are off)"
            : "all " + allowedAttempts + " attempts the retry policy allows were made";
      case BUDGET_EXHAUSTED:
        return "the service's retry budget is spent (too many of its calls are retries already)";
      case NOT_IDEMPOTENT:
        return method + " is not idempotent and the request may have reached the server";
      case BODY_ALREADY_SENT:
        return "the request's one-shot body was already sent";
      case RETRY_AFTER_BEYOND_CAP:
        return "the server asked (Retry-After) for a longer pause than the retry policy allows";
      case DEADLINE:
        return "the call's deadline leaves no time for another attempt";
      case HEDGE_RATE:
        return "hedges are at the most the hedging policy allows";
    }
    throw new AssertionError(reason);
  }

  /** The attempts as one bracketed list. */
  static String list(List<Attempt> attempts) {
    StringBuilder text = new StringBuilder("[");
    for (Attempt attempt : attempts) {
      if (text.length() > 1) {
        text.append("; ");
      }
      text.append(attempt);
    }
    return text.append(']').toString();
  }
}
