package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import okhttp3.Headers;
import org.junit.jupiter.api.Test;

/**
 * HTTP dates in each of their three forms, at the edges RFC 9110 draws: the 50-year rule for a
 * two-digit year, the first and last instants an HTTP date can hold, and fields that are not one
 * date. The property tests in {@link CacheParserProperties} cover arbitrary input.
 */
class HttpDatesTest {

  private static final long IN_2026 = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
  private static final long IN_2070 = Instant.parse("2070-01-01T00:00:00Z").toEpochMilli();

  private static long parse(String value, long nowMillis) {
    return HttpDates.parse(Headers.of("Date", value), "Date", nowMillis);
  }

  private static long at(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }

  @Test
  void theThreeFormsReadTheSameInstant() {
    long expected = at("1994-11-06T08:49:37Z");
    assertThat(parse("Sun, 06 Nov 1994 08:49:37 GMT", IN_2026)).isEqualTo(expected);
    assertThat(parse("Sunday, 06-Nov-94 08:49:37 GMT", IN_2026)).isEqualTo(expected);
    assertThat(parse("Sun Nov  6 08:49:37 1994", IN_2026)).isEqualTo(expected);
  }

  @Test
  void aTwoDigitYearMoreThanFiftyYearsInThePastIsInTheFuture() {
    assertThat(parse("Saturday, 01-Jan-49 00:00:00 GMT", IN_2026))
        .isEqualTo(at("2049-01-01T00:00:00Z"));
    assertThat(parse("Saturday, 01-Jan-00 00:00:00 GMT", IN_2070))
        .isEqualTo(at("2100-01-01T00:00:00Z"));
    assertThat(parse("Saturday, 01-Jan-00 00:00:00 GMT", IN_2026))
        .isEqualTo(at("2000-01-01T00:00:00Z"));
  }

  @Test
  void fiftyYearsExactlyIsStillThePast() {
    long then = at("1994-11-06T08:49:37Z");
    String rfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";
    assertThat(parse(rfc850, then + HttpDates.FIFTY_YEARS_MILLIS)).isEqualTo(then);
    assertThat(parse(rfc850, then + HttpDates.FIFTY_YEARS_MILLIS + 1))
        .isEqualTo(at("2094-11-06T08:49:37Z"));
  }

  @Test
  void aFourDigitYearIsNeverMovedWhateverItsForm() {
    long then = at("1994-11-06T08:49:37Z");
    assertThat(parse("Sun, 06 Nov 1994 08:49:37 GMT", IN_2070)).isEqualTo(then);
    assertThat(parse("Sun Nov  6 08:49:37 1994", IN_2070)).isEqualTo(then);
    assertThat(parse("Sun, 06-Nov-1994 08:49:37 GMT", IN_2070)).isEqualTo(then);
  }

  @Test
  void onlyYears1970To9999AreDates() {
    assertThat(parse("Thu, 01 Jan 1970 00:00:00 GMT", IN_2026)).isZero();
    assertThat(parse("Wed, 31 Dec 1969 23:59:59 GMT", IN_2026)).isEqualTo(-1);
    assertThat(parse("Fri, 31 Dec 9999 23:59:59 GMT", IN_2026))
        .isEqualTo(HttpDates.MAX_MILLIS - 999);
  }

  @Test
  void aFieldThatIsAbsentRepeatedTooLongOrNotADateIsNoDate() {
    String date = "Sun, 06 Nov 1994 08:49:37 GMT";
    assertThat(HttpDates.parse(Headers.of(), "Date", IN_2026)).isEqualTo(-1);
    assertThat(HttpDates.parse(Headers.of("Date", date, "Date", date), "Date", IN_2026))
        .isEqualTo(-1);
    assertThat(parse(date + "x".repeat(40), IN_2026)).as("over 64 characters").isEqualTo(-1);
    assertThat(parse(date + "x", IN_2026)).as("OkHttp ignores what follows a date").isPositive();
    assertThat(parse("yesterday", IN_2026)).isEqualTo(-1);
    assertThat(parse("", IN_2026)).isEqualTo(-1);
  }

  @Test
  void formatWritesAnImfFixdateThatReadsBack() {
    long then = at("1994-11-06T08:49:37Z");
    assertThat(HttpDates.format(then)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT");
    assertThat(parse(HttpDates.format(then), IN_2026)).isEqualTo(then);
  }
}
