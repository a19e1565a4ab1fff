package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
 * Properties of the cache's parsers of outside input over generated values: {@code Cache-Control},
 * the HTTP dates of {@code Date}, {@code Expires} and {@code Last-Modified}, {@code Age} and {@code
 * Vary}. Any value gives a defined result and never throws; round trips hold; values beyond range
 * saturate.
 */
class CacheParserProperties {

  private static final long NOW = 1_795_000_000_000L; // 2026-11-18
  private static final CacheRules RULES =
      new CacheRules(Set.of(200), 0.1, 86_400_000, 1000, 1000, 1 << 20);

  @Property(tries = 10_000)
  void anHttpDateNeverThrowsAndIsAbsentOrInRange(@ForAll("dateLike") String value) {
    long millis = HttpDates.parse(headers("Date", value), "Date", NOW);
    assertThat(millis)
        .satisfiesAnyOf(
            m -> assertThat(m).isEqualTo(-1),
            m -> assertThat(m).isBetween(0L, HttpDates.MAX_MILLIS));
  }

  @Property(tries = 10_000)
  void anImfFixdateRoundTrips(@ForAll @LongRange(min = 0, max = HttpDates.MAX_MILLIS) long at) {
    long seconds = at / 1000 * 1000;
    assertThat(HttpDates.parse(headers("Date", HttpDates.format(seconds)), "Date", NOW))
        .isEqualTo(seconds);
  }

  @Property(tries = 10_000)
  void aTwoDigitYearIsTheOneWithinFiftyYearsOfNow(
      @ForAll @LongRange(min = -49 * 365, max = 49 * 365) long days) {
    long at = NOW / 86_400_000 * 86_400_000 + days * 86_400_000;
    String rfc850 =
        DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.US)
            .format(Instant.ofEpochMilli(at).atOffset(ZoneOffset.UTC));
    assertThat(HttpDates.parse(headers("Expires", rfc850), "Expires", NOW)).isEqualTo(at);
  }

  @Property(tries = 10_000)
  void cacheControlNeverThrowsAndEverySecondsValueIsDefined(
      @ForAll("cacheControlLines") List<String> lines) {
    Directives d = Directives.parse(lines, lines);
    for (String name : List.of("max-age", "s-maxage", "stale-if-error", "min-fresh", "x")) {
      assertThat(d.seconds(name))
          .satisfiesAnyOf(
              v -> assertThat(v).isIn(Directives.ABSENT, Directives.INVALID),
              v -> assertThat(v).isBetween(0L, Directives.MAX_SECONDS));
    }
    assertThat(d.maxStale()).isGreaterThanOrEqualTo(Directives.INVALID);
  }

  @Property(tries = 10_000)
  void deltaSecondsSaturateAndAnythingElseIsInvalid(@ForAll("secondsLike") String value) {
    long parsed = Directives.parseSeconds(value);
    if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      assertThat(parsed)
          .isEqualTo(
              new BigInteger(value)
                  .min(BigInteger.valueOf(Directives.MAX_SECONDS))
                  .longValueExact());
    } else {
      assertThat(parsed).isEqualTo(Directives.INVALID);
    }
  }

  @Property(tries = 10_000)
  void anyResponseHeadersGiveADefinedFreshnessAgeAndUse(
      @ForAll("cacheControlLines") List<String> cacheControl,
      @ForAll("dateLike") String date,
      @ForAll("dateLike") String expires,
      @ForAll("dateLike") String lastModified,
      @ForAll("secondsLike") String age,
      @ForAll("varyLike") String vary,
      @ForAll @LongRange(min = -1_000_000_000, max = 1_000_000_000) long elapsed) {
    Headers.Builder h = new Headers.Builder();
    cacheControl.forEach(line -> h.addUnsafeNonAscii("Cache-Control", line));
    h.addUnsafeNonAscii("Date", date)
        .addUnsafeNonAscii("Expires", expires)
        .addUnsafeNonAscii("Last-Modified", lastModified)
        .addUnsafeNonAscii("Age", age)
        .addUnsafeNonAscii("Vary", vary);
    Request request = new Request.Builder().url("http://inventory/items").build();
    Response response =
        new Response.Builder()
            .request(request)
            .protocol(Protocol.HTTP_1_1)
            .code(200)
            .message("OK")
            .headers(h.build())
            .build();
    List<String> varyNames = CacheRules.varyNames(response);
    RULES.unstorableReason(request, response, varyNames);
    StoredResponse entry =
        StoredResponse.of(
            request,
            response,
            varyNames == null ? List.of() : varyNames,
            new byte[0],
            NOW - 5,
            NOW);
    assertThat(RULES.freshnessMillis(entry)).isBetween(0L, Directives.MAX_SECONDS * 1000);
    assertThat(entry.ageMillis(NOW + elapsed)).isNotNegative();
    assertThat(RULES.use(entry, Directives.parse(cacheControl, List.of()), NOW + elapsed))
        .isNotNull();
    RULES.servableOnError(entry, NOW + elapsed);
    assertThat(RULES.servableUntil(entry)).isGreaterThan(Long.MIN_VALUE);
  }

  private static Headers headers(String name, String value) {
    return new Headers.Builder().addUnsafeNonAscii(name, value).build();
  }

  @Provide
  Arbitrary<String> dateLike() {
    Arbitrary<String> day = Arbitraries.of("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz");
    Arbitrary<String> month = Arbitraries.of("Jan", "Feb", "Jun", "Nov", "Dec", "Foo");
    Arbitrary<Integer> dom = Arbitraries.integers().between(-1, 40);
    Arbitrary<Long> year = Arbitraries.longs().between(-10_000, 400_000_000);
    Arbitrary<Integer> hms = Arbitraries.integers().between(-1, 70);
    Arbitrary<String> imf =
        Combinators.combine(day, dom, month, year, hms)
            .as(
                (d, n, m, y, t) ->
                    String.format("%s, %02d %s %d %02d:%02d:%02d GMT", d, n, m, y, t, t, t));
    Arbitrary<String> rfc850 =
        Combinators.combine(day, dom, month, year, hms)
            .as(
                (d, n, m, y, t) ->
                    String.format(
                        "%sday, %02d-%s-%02d %02d:%02d:%02d GMT",
                        d, n, m, Math.floorMod(y, 100), t, t, t));
    Arbitrary<String> asctime =
        Combinators.combine(day, month, dom, year, hms)
            .as(
                (d, m, n, y, t) ->
                    String.format("%s %s %2d %02d:%02d:%02d %d", d, m, n, t, t, t, y));
    return Arbitraries.oneOf(
        imf,
        rfc850,
        asctime,
        Arbitraries.strings().ofMaxLength(70),
        Arbitraries.just("Sat Jan  1 00:00:00 +300000000"));
  }

  @Provide
  Arbitrary<String> secondsLike() {
    return Arbitraries.oneOf(
        Arbitraries.strings().numeric().ofMaxLength(40),
        Arbitraries.strings().withChars("0123456789 -+.,\"e").ofMaxLength(25),
        Arbitraries.strings().ofMaxLength(10));
  }

  @Provide
  Arbitrary<String> varyLike() {
    return Arbitraries.strings().withChars("abcXYZ-*, \t\u00e9\u0001").ofMaxLength(30);
  }

  @Provide
  Arbitrary<List<String>> cacheControlLines() {
    Arbitrary<String> name =
        Arbitraries.of(
            "max-age",
            "s-maxage",
            "no-cache",
            "no-store",
            "private",
            "public",
            "must-revalidate",
            "stale-while-revalidate",
            "stale-if-error",
            "max-stale",
            "min-fresh",
            "only-if-cached",
            "MAX-AGE",
            "x-other",
            "");
    Arbitrary<String> value =
        Arbitraries.oneOf(
            Arbitraries.just(""),
            secondsLike(),
            secondsLike().map(v -> "\"" + v),
            secondsLike().map(v -> "\"" + v + "\""));
    Arbitrary<String> directive =
        Combinators.combine(name, value).as((n, v) -> v.isEmpty() ? n : n + "=" + v);
    Arbitrary<String> line =
        Arbitraries.oneOf(
            directive.list().ofMaxSize(6).map(l -> String.join(", ", l)),
            Arbitraries.strings().withChars("=,\" \tmax-age0123456789").ofMaxLength(40));
    return line.list().ofMaxSize(3);
  }
}
