package io.hyperlane.cache;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * HTTP dates (RFC 9110 §5.6.7): the IMF-fixdate every sender must use, and the two obsolete forms a
 * recipient must still accept. Anything else is not a date: {@link #parse} returns -1 and never
 * throws.
 */
final class HttpDates {

  private static final DateTimeFormatter[] FORMATS = {
      DateTimeFormatter.RFC_1123_DATE_TIME,
      DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss zzz", Locale.US), // RFC 850
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(ZoneOffset.UTC),
  };

  private HttpDates() {}

  /** Epoch milliseconds of {@code value}, or -1 when it is absent or not an HTTP date. */
  static long parse(String value) {
    if (value == null || value.isEmpty() || value.length() > 64) {
      return -1;
    }
    String trimmed = value.trim();
    for (DateTimeFormatter format : FORMATS) {
      try {
        return ZonedDateTime.parse(trimmed, format).toInstant().toEpochMilli();
      } catch (DateTimeParseException e) {
        // try the next form
      }
    }
    return -1;
  }

  /** The IMF-fixdate of {@code epochMillis}. */
  static String format(long epochMillis) {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(
        java.time.Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC));
  }
}
