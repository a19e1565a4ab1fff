package io.hyperlane.cache;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Date;
import okhttp3.Headers;

/**
 * HTTP dates (RFC 9110 §5.6.7), read with OkHttp's own parser ({@link Headers#getDate(String)}),
 * which accepts the IMF-fixdate every sender must use and the two obsolete forms a recipient must
 * still accept (RFC 850 and asctime). On top of it: a two-digit year follows RFC 9110's 50-year
 * rule (OkHttp's window is 80 years back and 20 ahead), a field given more than once or a year
 * outside 1970–9999 is not a date, and nothing ever throws.
 */
final class HttpDates {

  /** 9999-12-31T23:59:59.999Z: an HTTP-date has a four-digit year. */
  static final long MAX_MILLIS = 253_402_300_799_999L;

  static final long FIFTY_YEARS_MILLIS = (long) (50 * 365.2425 * 86_400_000);

  private HttpDates() {}

  /**
   * Epoch milliseconds of the field {@code name} of {@code headers}, or -1 when it is absent, given
   * more than once, or not an HTTP date.
   *
   * @param nowMillis the time the field was received, which a two-digit year is read against
   */
  static long parse(Headers headers, String name, long nowMillis) {
    String value;
    Date date;
    try {
      if (headers.values(name).size() != 1) {
        return -1;
      }
      value = headers.get(name);
      if (value == null || value.length() > 64) {
        return -1;
      }
      date = headers.getDate(name);
    } catch (RuntimeException e) { // nothing the parser meets may escape
      return -1;
    }
    if (date == null) {
      return -1;
    }
    long millis = date.getTime();
    if (hasTwoDigitYear(value)) { // OkHttp read it within 80 years of today: no overflow
      // RFC 9110: a two-digit year that appears more than 50 years in the future is in the past;
      // OkHttp's window is 80 years back and 20 ahead, so only a move forward can be needed.
      OffsetDateTime at = Instant.ofEpochMilli(millis).atOffset(ZoneOffset.UTC);
      if (nowMillis - millis > FIFTY_YEARS_MILLIS) {
        at = at.plusYears(100);
      }
      millis = at.toInstant().toEpochMilli();
    }
    return millis < 0 || millis > MAX_MILLIS ? -1 : millis;
  }

  /** Whether {@code value} is in the RFC 850 form, {@code Sunday, 06-Nov-94 08:49:37 GMT}. */
  private static boolean hasTwoDigitYear(String value) {
    int comma = value.indexOf(',');
    if (comma < 0) {
      return false;
    }
    int i = comma + 1;
    while (i < value.length() && value.charAt(i) == ' ') {
      i++;
    }
    // dd-MMM-yy then a space (the time follows): the year's two digits end at i + 9
    return i + 9 < value.length()
        && value.charAt(i + 2) == '-'
        && value.charAt(i + 6) == '-'
        && isAsciiDigit(value.charAt(i + 7))
        && isAsciiDigit(value.charAt(i + 8))
        && value.charAt(i + 9) == ' ';
  }

  private static boolean isAsciiDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** The IMF-fixdate of {@code epochMillis}, as OkHttp writes it. */
  static String format(long epochMillis) {
    return new Headers.Builder().add("Date", Instant.ofEpochMilli(epochMillis)).build().get("Date");
  }
}
