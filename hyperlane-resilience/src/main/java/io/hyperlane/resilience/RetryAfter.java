package io.hyperlane.resilience;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;
import okhttp3.Response;

/** Reads a response's {@code Retry-After} (RFC 9110 §10.2.3), which is hostile input. */
final class RetryAfter {

  /** No usable header. */
  static final long ABSENT = -1;

  private RetryAfter() {}

  /**
   * The pause the server asks for in nanoseconds, or {@link #ABSENT} when the header is missing or
   * malformed. An HTTP-date is measured from the response's own {@code Date} when it has one, so the
   * two clocks' skew does not matter; else from this machine's clock.
   */
  static long nanos(Response response) {
    String value = response.header("Retry-After");
    if (value == null) {
      return ABSENT;
    }
    value = value.trim();
    if (!value.isEmpty() && value.length() <= 9 && value.chars().allMatch(Character::isDigit)) {
      return TimeUnit.SECONDS.toNanos(Long.parseLong(value));
    }
    try {
      Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Instant from = Instant.now();
      String date = response.header("Date");
      if (date != null) {
        try {
          from = ZonedDateTime.parse(date.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException ignored) {
          // a bad Date header: fall back to this machine's clock
        }
      }
      long millis = at.toEpochMilli() - from.toEpochMilli();
      return TimeUnit.MILLISECONDS.toNanos(Math.max(0, millis));
    } catch (DateTimeParseException | ArithmeticException e) {
      return ABSENT;
    }
  }
}
