package io.hyperlane.resilience;

import java.time.Clock;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import okhttp3.Headers;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/** Reads a response's {@code Retry-After} (RFC 9110 §10.2.3), which is hostile input. */
final class RetryAfter {

  /** No usable header. */
  static final long ABSENT = -1;

  /** Longer pauses are read as this one: far beyond any cap, and no overflow in nanoseconds. */
  private static final long MAX_SECONDS = 1_000_000_000L;

  private RetryAfter() {}

  /**
   * The pause the server asks for in nanoseconds, or {@link #ABSENT} when the header is missing or
   * malformed. Delay-seconds of any length saturate. An HTTP-date, in any of the three forms RFC
   * 9110 §5.6.7 gives, is measured from the response's own {@code Date} when it has one, so the two
   * clocks' skew does not matter, else from {@code clock}. Never throws.
   */
  static long nanos(Response response, Clock clock) {
    Headers headers = response.headers();
    String value = headers.get("Retry-After");
    if (value == null) {
      return ABSENT;
    }
    value = value.trim();
    if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      long seconds = 0;
      for (int i = 0; i < value.length(); i++) {
        seconds = Math.min(MAX_SECONDS, seconds * 10 + (value.charAt(i) - '0'));
      }
      return TimeUnit.SECONDS.toNanos(seconds);
    }
    Date at = date(headers, "Retry-After");
    if (at == null) {
      return ABSENT;
    }
    Date date = date(headers, "Date"); // a bad Date header: fall back to this machine's clock
    long from = date != null ? date.getTime() : clock.millis();
    long millis = Math.max(0, Math.min(MAX_SECONDS * 1000, at.getTime() - from));
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  private static @Nullable Date date(Headers headers, String name) {
    try {
      return headers.getDate(name);
    } catch (RuntimeException e) {
      return null; // nothing the parser meets may escape
    }
  }
}
