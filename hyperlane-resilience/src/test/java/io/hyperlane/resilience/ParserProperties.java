package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import okhttp3.Headers;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Properties of the resilience stages' parsers of outside input ({@code Retry-After}, the deadline
 * header) over generated values: any value gives a defined result and never throws, round trips
 * hold, values beyond range saturate.
 */
class ParserProperties {

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC);

  private static Response withRetryAfter(String value, String date) {
    Headers.Builder headers = new Headers.Builder().addUnsafeNonAscii("Retry-After", value);
    if (date != null) {
      headers.addUnsafeNonAscii("Date", date);
    }
    return new Response.Builder()
        .request(new Request.Builder().url("http://inventory/").build())
        .protocol(Protocol.HTTP_1_1)
        .code(503)
        .message("Service Unavailable")
        .headers(headers.build())
        .build();
  }

  @Property(tries = 10_000)
  void retryAfterNeverThrowsAndIsAbsentOrANonNegativePause(
      @ForAll("retryAfterValues") String value, @ForAll("dates") String date) {
    long nanos = RetryAfter.nanos(withRetryAfter(value, date), CLOCK);
    assertThat(nanos)
        .satisfiesAnyOf(
            n -> assertThat(n).isEqualTo(RetryAfter.ABSENT),
            n -> assertThat(n).isBetween(0L, Duration.ofSeconds(1_000_000_000).toNanos()));
  }

  @Property(tries = 10_000)
  void retryAfterSecondsRoundTripAndSaturate(@ForAll @LongRange(max = Long.MAX_VALUE) long s) {
    long nanos = RetryAfter.nanos(withRetryAfter(Long.toString(s), null), CLOCK);
    assertThat(nanos).isEqualTo(Duration.ofSeconds(Math.min(s, 1_000_000_000)).toNanos());
  }

  @Property(tries = 10_000)
  void retryAfterDatesAreMeasuredFromTheResponsesDate(
      @ForAll @LongRange(min = 0, max = 86_400 * 30) long seconds) {
    Instant date = Instant.parse("2030-01-01T00:00:00Z");
    String at = new Headers.Builder().add("X", date.plusSeconds(seconds)).build().get("X");
    String from = new Headers.Builder().add("X", date).build().get("X");
    assertThat(RetryAfter.nanos(withRetryAfter(at, from), CLOCK))
        .isEqualTo(Duration.ofSeconds(seconds).toNanos());
  }

  @Property(tries = 10_000)
  void theDeadlineHeaderNeverThrowsAndRoundTrips(@ForAll("deadlineValues") String value) {
    Optional<Deadline> deadline = Deadline.fromHeader(value, () -> 0L);
    String trimmed = value.trim();
    boolean digits = !trimmed.isEmpty() && trimmed.chars().allMatch(c -> c >= '0' && c <= '9');
    assertThat(deadline.isPresent()).isEqualTo(digits);
    deadline.ifPresent(
        d ->
            assertThat(d.toHeaderValue())
                .isEqualTo(
                    new BigInteger(trimmed).min(BigInteger.valueOf(999_999_999_999L)).toString()));
  }

  @Provide
  Arbitrary<String> retryAfterValues() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(80),
        digits(),
        dates(),
        Arbitraries.strings().withChars("0123456789 -+.,:GMTWedOct").ofMaxLength(40));
  }

  @Provide
  Arbitrary<String> deadlineValues() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(30),
        digits(),
        Arbitraries.strings().withChars("0123456789\u0663\u0967 ").ofMaxLength(15),
        digits().map(d -> " " + d + " "),
        digits().map(d -> "-" + d));
  }

  private static Arbitrary<String> digits() {
    return Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(25);
  }

  /** Strings shaped like the three HTTP-date forms, with every field from a wide range. */
  @Provide
  static Arbitrary<String> dates() {
    Arbitrary<String> day = Arbitraries.of("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz");
    Arbitrary<String> month =
        Arbitraries.of(
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            "Foo");
    Arbitrary<Integer> dom = Arbitraries.integers().between(-1, 40);
    Arbitrary<Long> year = Arbitraries.longs().between(-10_000, 400_000_000);
    Arbitrary<Integer> clock = Arbitraries.integers().between(-1, 70);
    Arbitrary<String> imf =
        Combinators.combine(day, dom, month, year, clock, clock)
            .as(
                (d, n, m, y, h, s) ->
                    String.format("%s, %02d %s %d %02d:%02d:%02d GMT", d, n, m, y, h, s, s));
    Arbitrary<String> rfc850 =
        Combinators.combine(day, dom, month, year, clock)
            .as(
                (d, n, m, y, h) ->
                    String.format(
                        "%sday, %02d-%s-%02d %02d:%02d:%02d GMT",
                        d, n, m, Math.floorMod(y, 100), h, h, h));
    Arbitrary<String> asctime =
        Combinators.combine(day, month, dom, year, clock)
            .as(
                (d, m, n, y, h) ->
                    String.format("%s %s %2d %02d:%02d:%02d %d", d, m, n, h, h, h, y));
    return Arbitraries.oneOf(
        imf, rfc850, asctime, Arbitraries.just("Sat Jan  1 00:00:00 +300000000"));
  }
}
