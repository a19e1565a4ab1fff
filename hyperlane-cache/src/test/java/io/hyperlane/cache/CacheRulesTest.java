package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.CacheRules.Use;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * RFC 9111 as {@link CacheRules} applies it, one rule at a time and at its edges: what may be
 * stored and why not, freshness from each source, what a stored entry may do for a request, and the
 * windows in which it may still answer.
 */
class CacheRulesTest {

  private static final long NOW = Instant.parse("2026-06-01T00:00:00Z").toEpochMilli();
  private static final long HOUR = 3_600_000;
  private static final String DATE = HttpDates.format(NOW);
  private static final Request GET = new Request.Builder().url("http://catalog/items").build();

  /** Heuristic freshness 10% capped at a day, no default stale windows, 1 KiB bodies. */
  private final CacheRules rules =
      new CacheRules(Set.of(200, 203, 204, 300, 301, 404, 410), 0.1, 24 * HOUR, 0, 0, 1024);

  private static Response response(Request request, int code, String... headers) {
    Response.Builder builder =
        new Response.Builder().request(request).protocol(Protocol.HTTP_1_1).code(code).message("m");
    Headers.Builder fields = new Headers.Builder();
    for (int i = 0; i + 1 < headers.length; i += 2) {
      fields.addUnsafeNonAscii(headers[i], headers[i + 1]); // as a server may send them
    }
    return builder
        .headers(fields.build())
        .body(ResponseBody.create("body", MediaType.get("text/plain")))
        .build();
  }

  private static Response response(int code, String... headers) {
    return response(GET, code, headers);
  }

  /** A response that came before another, in a redirect or an authentication: no body. */
  private static Response prior(Request request, int code) {
    return new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(code)
        .message("m")
        .build();
  }

  /** A stored 200 received at NOW, its Date NOW unless the headers give one. */
  private static StoredResponse entry(String... headers) {
    return entry(200, headers);
  }

  private static StoredResponse entry(int code, String... headers) {
    Headers.Builder all = new Headers.Builder();
    boolean dated = false;
    for (int i = 0; i + 1 < headers.length; i += 2) {
      all.add(headers[i], headers[i + 1]);
      dated |= headers[i].equals("Date");
    }
    if (!dated) {
      all.add("Date", DATE);
    }
    return new StoredResponse(
        List.of(), List.of(), NOW, NOW, 0, code, "m", Protocol.HTTP_1_1, all.build(), new byte[4]);
  }

  private static Directives request(String cacheControl) {
    return Directives.parse(List.of(cacheControl), List.of());
  }

  private String reason(Response response) {
    return rules.unstorableReason(response.request(), response, CacheRules.varyNames(response));
  }

  @Test
  void eachReasonNotToStoreIsNamed() {
    assertThat(reason(response(200))).isNull();
    assertThat(reason(response(500))).isEqualTo("status 500");
    assertThat(reason(response(200, "Cache-Control", "no-store"))).isEqualTo("no-store");
    assertThat(reason(response(200, "Cache-Control", "private"))).isEqualTo("private");
    assertThat(reason(response(200, "Set-Cookie", "session=1"))).isEqualTo("Set-Cookie");
    assertThat(reason(response(200, "Vary", "*"))).isEqualTo("Vary");
    assertThat(reason(response(200, "Content-Type", "Text/Event-Stream; charset=utf-8")))
        .isEqualTo("event stream");
    assertThat(reason(response(200, "Content-Type", "text/plain"))).isNull();
    Response large =
        new Response.Builder()
            .request(GET)
            .protocol(Protocol.HTTP_1_1)
            .code(200)
            .message("m")
            .body(ResponseBody.create(new byte[1025], null))
            .build();
    assertThat(reason(large)).isEqualTo("larger than 1024 bytes");
    Response limit = large.newBuilder().body(ResponseBody.create(new byte[1024], null)).build();
    assertThat(reason(limit)).as("exactly the limit").isNull();
    Response unknown =
        large
            .newBuilder()
            .body(ResponseBody.create(new okio.Buffer().write(new byte[2048]), null, -1))
            .build();
    assertThat(reason(unknown)).isNull();
  }

  @Test
  void credentialsOnAnyRequestSentKeepAResponsePrivateUnlessItSaysOtherwise() {
    Request authorized = GET.newBuilder().header("Authorization", "Bearer a").build();
    assertThat(rules.unstorableReason(authorized, response(200), List.of()))
        .isEqualTo("authorized request");
    Response sentWithCredentials = response(authorized, 200);
    assertThat(rules.unstorableReason(GET, sentWithCredentials, List.of()))
        .as("added below the cache")
        .isEqualTo("authorized request");
    Response afterChallenge =
        response(authorized, 200).newBuilder().priorResponse(prior(GET, 401)).build();
    assertThat(rules.unstorableReason(GET, afterChallenge, List.of()))
        .isEqualTo("authorized request");
    Response challengedFirst =
        response(GET, 200).newBuilder().priorResponse(prior(authorized, 401)).build();
    assertThat(CacheRules.authorized(GET, challengedFirst)).isTrue();
    assertThat(CacheRules.authorized(GET, response(200))).isFalse();
    assertThat(rules.unstorableReason(GET, response(200), List.of(), true))
        .as("credentials seen on the wire")
        .isEqualTo("authorized request");
    for (String allowed : new String[] {"public", "s-maxage=60", "must-revalidate"}) {
      assertThat(
              rules.unstorableReason(
                  authorized, response(200, "Cache-Control", allowed), List.of()))
          .as(allowed)
          .isNull();
      assertThat(
              rules.unstorableReason(GET, response(200, "Cache-Control", allowed), List.of(), true))
          .as(allowed)
          .isNull();
    }
  }

  @Test
  void aResponseReachedThroughARedirectIsNotStored() {
    for (int code : new int[] {300, 301, 307, 399}) {
      Response redirected = response(200).newBuilder().priorResponse(prior(GET, code)).build();
      assertThat(reason(redirected)).as("%d", code).isEqualTo("followed a redirect");
    }
    for (int code : new int[] {299, 400, 401}) {
      Response retried = response(200).newBuilder().priorResponse(prior(GET, code)).build();
      assertThat(reason(retried)).as("%d", code).isNull();
    }
    Response twoHops =
        response(200)
            .newBuilder()
            .priorResponse(prior(GET, 401).newBuilder().priorResponse(prior(GET, 302)).build())
            .build();
    assertThat(reason(twoHops)).isEqualTo("followed a redirect");
  }

  @Test
  void onlyAResponsesOwnReasonsAreIntrinsic() {
    assertThat(CacheRules.intrinsic(null)).isFalse();
    assertThat(CacheRules.intrinsic("authorized request")).isFalse();
    assertThat(CacheRules.intrinsic("status 503")).isFalse();
    assertThat(CacheRules.intrinsic("followed a redirect")).isFalse();
    assertThat(CacheRules.intrinsic("status 403")).isTrue();
    assertThat(CacheRules.intrinsic("no-store")).isTrue();
    assertThat(CacheRules.intrinsic("Set-Cookie")).isTrue();
  }

  @Test
  void aRefreshThatBroughtPrivacyMakesTheEntryUnstorable() {
    assertThat(CacheRules.unstorableRefresh(entry("Cache-Control", "max-age=60"), false)).isNull();
    assertThat(CacheRules.unstorableRefresh(entry("Cache-Control", "no-store"), false))
        .isEqualTo("no-store");
    assertThat(CacheRules.unstorableRefresh(entry("Cache-Control", "private"), false))
        .isEqualTo("private");
    assertThat(CacheRules.unstorableRefresh(entry("Set-Cookie", "a=b"), false))
        .isEqualTo("Set-Cookie");
    assertThat(CacheRules.unstorableRefresh(entry(), true)).isEqualTo("authorized request");
    for (String allowed : new String[] {"public", "s-maxage=60", "must-revalidate"}) {
      assertThat(CacheRules.unstorableRefresh(entry("Cache-Control", allowed), true))
          .as(allowed)
          .isNull();
    }
  }

  @Test
  void varyIsAListOfFieldNamesAndAnythingElseIsUnstorable() {
    assertThat(CacheRules.varyNames(response(200))).isEmpty();
    assertThat(
            CacheRules.varyNames(
                response(
                    200, "Vary", "Accept-Encoding, accept-encoding", "Vary", " ,Accept-Language")))
        .containsExactly("accept-encoding", "accept-language");
    assertThat(CacheRules.varyNames(response(200, "Vary", "x!#$%&'+-.^_`|~09az")))
        .containsExactly("x!#$%&'+-.^_`|~09az");
    for (String bad :
        new String[] {"*", "Accept, *", "a b", "a/b", "a:b", "a{b", "a@b", "a\"b", "a(b", "ä"}) {
      assertThat(CacheRules.varyNames(response(200, "Vary", bad))).as(bad).isNull();
    }
  }

  @Test
  void freshnessComesFromSMaxAgeThenMaxAgeThenExpiresThenTheHeuristic() {
    assertThat(rules.freshnessMillis(entry("Cache-Control", "max-age=60, s-maxage=10")))
        .isEqualTo(10_000);
    assertThat(rules.freshnessMillis(entry("Cache-Control", "s-maxage=x, max-age=60"))).isZero();
    assertThat(
            rules.freshnessMillis(
                entry("Cache-Control", "max-age=60", "Expires", HttpDates.format(NOW + HOUR))))
        .isEqualTo(60_000);
    assertThat(rules.freshnessMillis(entry("Cache-Control", "max-age=-1"))).isZero();
    assertThat(rules.freshnessMillis(entry("Expires", HttpDates.format(NOW + HOUR))))
        .isEqualTo(HOUR);
    assertThat(rules.freshnessMillis(entry("Expires", HttpDates.format(NOW - HOUR)))).isZero();
    assertThat(rules.freshnessMillis(entry("Expires", "0"))).as("invalid: stale").isZero();
    assertThat(
            rules.freshnessMillis(
                entry(
                    "Expires",
                    HttpDates.format(NOW + HOUR),
                    "Last-Modified",
                    HttpDates.format(NOW - 100 * HOUR))))
        .as("Expires before heuristics")
        .isEqualTo(HOUR);
    assertThat(rules.freshnessMillis(entry("Expires", "Fri, 31 Dec 9999 23:59:59 GMT")))
        .as("capped")
        .isEqualTo(Directives.MAX_SECONDS * 1000);
    assertThat(rules.freshnessMillis(entry("Last-Modified", HttpDates.format(NOW - 10 * HOUR))))
        .as("a tenth of the time since it last changed")
        .isEqualTo(HOUR);
    assertThat(rules.freshnessMillis(entry("Last-Modified", HttpDates.format(NOW - 1000 * HOUR))))
        .as("capped at a day")
        .isEqualTo(24 * HOUR);
    assertThat(rules.freshnessMillis(entry("Last-Modified", HttpDates.format(NOW + HOUR))))
        .as("modified after its own date")
        .isZero();
    assertThat(rules.freshnessMillis(entry("Last-Modified", "Thu, 01 Jan 1970 00:00:00 GMT")))
        .as("last modified at the epoch: a date like any other")
        .isEqualTo(24 * HOUR);
    assertThat(
            rules.freshnessMillis(entry(302, "Last-Modified", HttpDates.format(NOW - 10 * HOUR))))
        .as("no heuristic for a 302")
        .isZero();
    assertThat(
            rules.freshnessMillis(entry(404, "Last-Modified", HttpDates.format(NOW - 10 * HOUR))))
        .isEqualTo(HOUR);
    assertThat(rules.freshnessMillis(entry())).isZero();
    CacheRules noHeuristic = new CacheRules(Set.of(200), 0, 24 * HOUR, 0, 0, 1024);
    assertThat(
            noHeuristic.freshnessMillis(entry("Last-Modified", HttpDates.format(NOW - 10 * HOUR))))
        .isZero();
  }

  @Test
  void anEntryIsWorthStoringWhenFreshOrRevalidatable() {
    assertThat(rules.worthStoring(entry("Cache-Control", "max-age=1"))).isTrue();
    assertThat(rules.worthStoring(entry("ETag", "\"v1\""))).isTrue();
    assertThat(rules.worthStoring(entry("Cache-Control", "max-age=0"))).isFalse();
  }

  @Test
  void eachDirectiveThatForbidsServingStaleIsHonoured() {
    for (String d :
        new String[] {"must-revalidate", "proxy-revalidate", "s-maxage=5", "no-cache"}) {
      assertThat(CacheRules.mustRevalidate(entry("Cache-Control", d))).as(d).isTrue();
      assertThat(rules.staleIfErrorMillis(entry("Cache-Control", d + ", stale-if-error=60")))
          .as(d)
          .isZero();
    }
    assertThat(CacheRules.mustRevalidate(entry("Cache-Control", "max-age=5"))).isFalse();
  }

  @Test
  void staleWindowsComeFromTheResponseOrTheDefaults() {
    CacheRules defaults = new CacheRules(Set.of(200), 0, 0, 7_000, 9_000, 1024);
    assertThat(defaults.staleWhileRevalidateMillis(entry())).isEqualTo(7_000);
    assertThat(defaults.staleIfErrorMillis(entry())).isEqualTo(9_000);
    assertThat(
            defaults.staleWhileRevalidateMillis(entry("Cache-Control", "stale-while-revalidate=3")))
        .isEqualTo(3_000);
    assertThat(defaults.staleIfErrorMillis(entry("Cache-Control", "stale-if-error=4")))
        .isEqualTo(4_000);
    assertThat(defaults.staleIfErrorMillis(entry("Cache-Control", "stale-if-error=soon")))
        .as("invalid: none")
        .isZero();
  }

  @Test
  void whatAStoredEntryMayDoForARequest() {
    StoredResponse fresh60 = entry("Cache-Control", "max-age=60, stale-while-revalidate=30");
    assertThat(rules.use(fresh60, Directives.NONE, NOW)).isEqualTo(Use.FRESH);
    assertThat(rules.use(fresh60, Directives.NONE, NOW + 59_999)).isEqualTo(Use.FRESH);
    assertThat(rules.use(fresh60, Directives.NONE, NOW + 60_000))
        .isEqualTo(Use.STALE_WHILE_REVALIDATE);
    assertThat(rules.use(fresh60, Directives.NONE, NOW + 90_000))
        .as("the window's last moment")
        .isEqualTo(Use.STALE_WHILE_REVALIDATE);
    assertThat(rules.use(fresh60, Directives.NONE, NOW + 90_001)).isEqualTo(Use.FORWARD);

    assertThat(rules.use(entry("Cache-Control", "max-age=60, no-cache"), Directives.NONE, NOW))
        .isEqualTo(Use.FORWARD);
    assertThat(rules.use(fresh60, request("no-cache"), NOW)).isEqualTo(Use.FORWARD);
    assertThat(rules.use(fresh60, request("max-age=x"), NOW)).isEqualTo(Use.FORWARD);
    assertThat(rules.use(fresh60, request("max-age=10"), NOW + 10_000)).isEqualTo(Use.FRESH);
    assertThat(rules.use(fresh60, request("max-age=10"), NOW + 10_001)).isEqualTo(Use.FORWARD);
    assertThat(rules.use(fresh60, request("max-age=0"), NOW)).isEqualTo(Use.FRESH);
    assertThat(rules.use(fresh60, request("max-age=0"), NOW + 1)).isEqualTo(Use.FORWARD);
    assertThat(rules.use(fresh60, request("min-fresh=10"), NOW + 49_999)).isEqualTo(Use.FRESH);
    assertThat(rules.use(fresh60, request("min-fresh=10"), NOW + 50_000))
        .isEqualTo(Use.STALE_WHILE_REVALIDATE);
    assertThat(rules.use(fresh60, request("min-fresh=0"), NOW + 59_999)).isEqualTo(Use.FRESH);

    StoredResponse mustRevalidate = entry("Cache-Control", "max-age=60, must-revalidate");
    assertThat(rules.use(mustRevalidate, request("max-stale"), NOW + 60_000))
        .isEqualTo(Use.FORWARD);
    StoredResponse plain = entry("Cache-Control", "max-age=60");
    assertThat(rules.use(plain, Directives.NONE, NOW + 60_000))
        .as("a zero window still covers the moment it goes stale")
        .isEqualTo(Use.STALE_WHILE_REVALIDATE);
    assertThat(rules.use(plain, Directives.NONE, NOW + 60_001)).isEqualTo(Use.FORWARD);
    assertThat(rules.use(plain, request("max-stale=0"), NOW + 60_000))
        .as("no staleness at all still covers the moment it goes stale")
        .isEqualTo(Use.FRESH);
    assertThat(rules.use(plain, request("max-stale=5"), NOW + 65_000)).isEqualTo(Use.FRESH);
    assertThat(rules.use(plain, request("max-stale=5"), NOW + 65_001)).isEqualTo(Use.FORWARD);
    assertThat(rules.use(plain, request("max-stale"), NOW + 1000 * HOUR)).isEqualTo(Use.FRESH);
    assertThat(rules.use(plain, request("max-stale=x"), NOW + 60_001)).isEqualTo(Use.FORWARD);
  }

  @Test
  void aStaleEntryMayStandInForAFailedOriginWithinItsWindow() {
    StoredResponse entry = entry("Cache-Control", "max-age=60, stale-if-error=30");
    assertThat(rules.servableOnError(entry, NOW + 90_000)).isTrue();
    assertThat(rules.servableOnError(entry, NOW + 90_001)).isFalse();
    assertThat(
            rules.servableOnError(
                entry("Cache-Control", "max-age=60, stale-if-error=30, no-cache"), NOW))
        .isFalse();
  }

  @Test
  void anEntryCanServeUntilItsLongestWindowEndsAndAnHourMoreWithValidators() {
    StoredResponse entry =
        entry("Cache-Control", "max-age=60, stale-while-revalidate=30, stale-if-error=50");
    assertThat(rules.servableUntil(entry)).isEqualTo(NOW + 110_000);
    StoredResponse older =
        new StoredResponse(
            List.of(),
            List.of(),
            NOW,
            NOW,
            20_000,
            200,
            "m",
            Protocol.HTTP_1_1,
            Headers.of("Cache-Control", "max-age=60", "ETag", "\"1\""),
            new byte[0]);
    assertThat(rules.servableUntil(older))
        .isEqualTo(NOW - 20_000 + 60_000 + CacheRules.VALIDATOR_RETENTION_MILLIS);
  }

  @Test
  void onlyAPlainGetIsLookedUp() {
    assertThat(CacheRules.cacheableRequest(GET, Directives.NONE)).isTrue();
    assertThat(CacheRules.cacheableRequest(GET.newBuilder().head().build(), Directives.NONE))
        .isFalse();
    assertThat(CacheRules.cacheableRequest(GET, request("no-store"))).isFalse();
    for (String header :
        new String[] {
          "Range",
          "If-None-Match",
          "If-Modified-Since",
          "If-Match",
          "If-Unmodified-Since",
          "If-Range"
        }) {
      assertThat(
              CacheRules.cacheableRequest(
                  GET.newBuilder().header(header, "x").build(), Directives.NONE))
          .as(header)
          .isFalse();
    }
  }

  // Directives

  @Test
  void directivesAreParsedToleratingWhatServersReallySend() {
    Directives d =
        Directives.parse(
            List.of("Max-Age=\"60\"x, PUBLIC,, no-cache=\"a,b\"", " \ts-maxage = 5 ,max-stale"),
            List.of());
    assertThat(d.seconds("max-age")).isEqualTo(60);
    assertThat(d.has("public")).isTrue();
    assertThat(d.has("no-cache")).isTrue();
    assertThat(d.seconds("s-maxage")).isEqualTo(5);
    assertThat(d.maxStale()).isEqualTo(Directives.MAX_SECONDS);
    assertThat(d.seconds("stale-if-error")).isEqualTo(Directives.ABSENT);
    assertThat(Directives.parse(List.of("max-age=\"60"), List.of()).seconds("max-age"))
        .as("an unterminated quote")
        .isEqualTo(60);
    assertThat(Directives.parse(List.of("max-age=60, max-age=60"), List.of()).seconds("max-age"))
        .isEqualTo(60);
    assertThat(Directives.parse(List.of("max-age=60", "max-age=70"), List.of()).seconds("max-age"))
        .as("disagreeing duplicates")
        .isEqualTo(Directives.INVALID);
    assertThat(Directives.parse(List.of("max-stale=7"), List.of()).maxStale()).isEqualTo(7);
    assertThat(Directives.parse(List.of("max-stale=x"), List.of()).maxStale())
        .isEqualTo(Directives.INVALID);
    assertThat(Directives.NONE.maxStale()).isEqualTo(Directives.ABSENT);
    assertThat(Directives.parse(List.of(""), List.of())).isSameAs(Directives.NONE);
    assertThat(Directives.parse(List.of(), List.of())).isSameAs(Directives.NONE);
  }

  @Test
  void directivesEndingAnywhereOrQuotingSeparatorsParseAndNeverThrow() {
    Directives d =
        Directives.parse(List.of("Max-Age=\"60\"x y, no-cache=\"a,\", public, \t"), List.of());
    assertThat(d.seconds("max-age")).isEqualTo(60);
    assertThat(d.has("x")).as("garbage after a quoted value is dropped").isFalse();
    assertThat(d.has("x y")).isFalse();
    assertThat(d.has("\"")).as("a separator inside quotes separates nothing").isFalse();
    assertThat(d.has("public")).isTrue();
    assertThat(Directives.parse(List.of("max-age="), List.of()).seconds("max-age"))
        .isEqualTo(Directives.INVALID);
    assertThat(Directives.parse(List.of("max-age= \t"), List.of()).seconds("max-age"))
        .isEqualTo(Directives.INVALID);
    assertThat(Directives.parse(List.of("max-age= \t7"), List.of()).seconds("max-age"))
        .isEqualTo(7);
    assertThat(Directives.parse(List.of("max-age=\""), List.of()).seconds("max-age"))
        .isEqualTo(Directives.INVALID);
    assertThat(Directives.parse(List.of("no-store,"), List.of()).has("no-store")).isTrue();
    assertThat(Directives.parse(List.of(", ,\t"), List.of())).isSameAs(Directives.NONE);
  }

  @Test
  void pragmaNoCacheCountsOnlyWithoutCacheControl() {
    assertThat(Directives.parse(List.of(), List.of("x, No-Cache")).has("no-cache")).isTrue();
    assertThat(Directives.parse(List.of(), List.of("x")).has("no-cache")).isFalse();
    assertThat(Directives.parse(List.of("max-age=5"), List.of("no-cache")).has("no-cache"))
        .isFalse();
  }

  @Test
  void secondsAreDigitsOnlyAndSaturate() {
    assertThat(Directives.parseSeconds("0")).isZero();
    assertThat(Directives.parseSeconds("09")).isEqualTo(9);
    assertThat(Directives.parseSeconds("")).isEqualTo(Directives.INVALID);
    for (String bad : new String[] {"1a", "/", ":", "-1", "+1", " 1", "1.0"}) {
      assertThat(Directives.parseSeconds(bad)).as(bad).isEqualTo(Directives.INVALID);
    }
    assertThat(Directives.parseSeconds("99999999999999999999999"))
        .isEqualTo(Directives.MAX_SECONDS);
    assertThat(Directives.parseSeconds("2147483647")).isEqualTo(Directives.MAX_SECONDS);
    assertThat(Directives.parseSeconds("2147483646")).isEqualTo(2147483646L);
  }

  // HttpDates

  private static long date(String value, long now) {
    return HttpDates.parse(Headers.of("Date", value), "Date", now);
  }

  @Test
  void datesInEveryFormRfc9110AllowsAreRead() {
    long expected = Instant.parse("1994-11-06T08:49:37Z").toEpochMilli();
    assertThat(date("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).isEqualTo(expected);
    assertThat(date("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).isEqualTo(expected);
    assertThat(date("Sunday,06-Nov-94 08:49:37 GMT", NOW)).isEqualTo(expected);
    assertThat(date("Sun Nov  6 08:49:37 1994", NOW)).isEqualTo(expected);
    assertThat(date("Thu, 01 Jan 1970 00:00:00 GMT", NOW)).as("the epoch itself").isZero();
    assertThat(date("Wed, 31 Dec 1969 23:59:59 GMT", NOW)).isEqualTo(-1);
    assertThat(date("Fri, 31 Dec 9999 23:59:59 GMT", NOW))
        .isEqualTo(Instant.parse("9999-12-31T23:59:59Z").toEpochMilli());
    assertThat(date("yesterday", NOW)).isEqualTo(-1);
    assertThat(HttpDates.parse(Headers.of(), "Date", NOW)).isEqualTo(-1);
    assertThat(
            HttpDates.parse(
                Headers.of(
                    "Date",
                    "Sun, 06 Nov 1994 08:49:37 GMT",
                    "Date",
                    "Sun, 06 Nov 1994 08:49:37 GMT"),
                "Date",
                NOW))
        .as("repeated")
        .isEqualTo(-1);
  }

  @Test
  void aValueLongerThanSixtyFourCharactersIsNotADate() {
    String valid = "Sun, 06 Nov 1994 08:49:37 GMT ";
    String sixtyFour = valid + "x".repeat(64 - valid.length());
    assertThat(date(sixtyFour, NOW)).isPositive();
    assertThat(date(sixtyFour + "x", NOW)).isEqualTo(-1);
  }

  @Test
  void aTwoDigitYearMoreThanFiftyYearsAgoIsInTheNextCentury() {
    long in1976 = Instant.parse("1976-01-01T00:00:00Z").toEpochMilli();
    long in2076 = Instant.parse("2076-01-01T00:00:00Z").toEpochMilli();
    long fifty = (long) (50 * 365.2425 * 86_400_000);
    String rfc850 = "Thursday, 01-Jan-76 00:00:00 GMT";
    assertThat(date(rfc850, NOW)).isEqualTo(in2076);
    assertThat(date(rfc850, in1976 + fifty)).as("exactly fifty years: not yet").isEqualTo(in1976);
    assertThat(date(rfc850, in1976 + fifty + 1)).isEqualTo(in2076);
    assertThat(date("Thursday, 01-Jan-1976 00:00:00 GMT", NOW))
        .as("a four-digit year stays")
        .isEqualTo(in1976);
    assertThat(date("Thu, 01 Jan 1976 00:00:00 GMT", NOW)).isEqualTo(in1976);
    assertThat(date("Thursday,  01-Jan-76 00:00:00 GMT", NOW)).isEqualTo(in2076);
  }

  // StoredResponse

  @Test
  void theInitialAgeIsTheLargerOfTheApparentAndTheCorrectedAge() {
    Headers aged = Headers.of("Age", "30");
    assertThat(StoredResponse.initialAge(aged, NOW - 2_000, NOW)).isEqualTo(32_000);
    assertThat(StoredResponse.initialAge(Headers.of("Age", "30, 50"), NOW, NOW)).isEqualTo(30_000);
    assertThat(StoredResponse.initialAge(Headers.of("Age", "-3"), NOW, NOW)).isZero();
    assertThat(
            StoredResponse.initialAge(
                Headers.of("Date", HttpDates.format(NOW - 40_000), "Age", "30"), NOW, NOW))
        .as("the Date says older")
        .isEqualTo(40_000);
    assertThat(
            StoredResponse.initialAge(Headers.of("Date", HttpDates.format(NOW + 40_000)), NOW, NOW))
        .as("a Date in the future")
        .isZero();
    assertThat(StoredResponse.initialAge(Headers.of("Date", "garbage"), NOW - 5, NOW)).isEqualTo(5);
    StoredResponse stored =
        new StoredResponse(
            List.of(),
            List.of(),
            NOW,
            NOW,
            -5,
            200,
            "m",
            Protocol.HTTP_1_1,
            Headers.of(),
            new byte[0]);
    assertThat(stored.ageMillis(NOW)).as("never negative").isZero();
    assertThat(stored.ageMillis(NOW - 1_000)).isZero();
    assertThat(stored.ageMillis(NOW + 1_000)).isEqualTo(1_000);
  }

  @Test
  void theDateDefaultsToWhenTheResponseCameAndExpiresIsReadOnlyWhenPresent() {
    StoredResponse undated =
        new StoredResponse(
            List.of(),
            List.of(),
            NOW,
            NOW,
            0,
            200,
            "m",
            Protocol.HTTP_1_1,
            Headers.of(),
            new byte[0]);
    assertThat(undated.dateMillis).isEqualTo(NOW);
    assertThat(undated.expiresMillis).isEqualTo(-1);
    StoredResponse dated = entry("Date", HttpDates.format(NOW - 1000), "Expires", "0");
    assertThat(dated.dateMillis).isEqualTo(NOW - 1000);
    assertThat(dated.expiresMillis).isEqualTo(-1);
    assertThat(entry("Expires", HttpDates.format(NOW + 5000)).expiresMillis).isEqualTo(NOW + 5000);
  }

  @Test
  void aRevalidationKeepsTheBodysFieldsAndTakesEverythingElseFromThe304() {
    StoredResponse stored =
        StoredResponse.of(
            GET,
            response(
                200,
                "Content-Type",
                "text/plain",
                "Content-Encoding",
                "gzip",
                "ETag",
                "\"1\"",
                "X-Old",
                "a",
                "X-Both",
                "old"),
            List.of(),
            new byte[] {1},
            NOW,
            NOW);
    Response notModified =
        response(
            304,
            "ETag",
            "\"2\"",
            "X-Both",
            "new",
            "Content-Type",
            "text/html",
            "Content-Length",
            "99",
            "Connection",
            "close");
    StoredResponse refreshed = stored.refreshed(notModified, NOW + 10, NOW + 20);
    assertThat(refreshed.headers.get("ETag")).isEqualTo("\"2\"");
    assertThat(refreshed.headers.values("X-Both")).containsExactly("new");
    assertThat(refreshed.headers.get("X-Old")).isEqualTo("a");
    assertThat(refreshed.headers.get("Content-Type")).isEqualTo("text/plain");
    assertThat(refreshed.headers.get("Content-Encoding")).isEqualTo("gzip");
    assertThat(refreshed.headers.get("Content-Length")).as("the body's own").isNull();
    assertThat(refreshed.headers.get("Connection")).isNull();
    assertThat(refreshed.responseMillis).isEqualTo(NOW + 20);
    assertThat(refreshed.requestMillis).isEqualTo(NOW + 10);
    assertThat(refreshed.body).isSameAs(stored.body);
    assertThat(refreshed.sameVariant(stored)).isTrue();
  }

  @Test
  void hopByHopFieldsAndFieldsNamedByConnectionAreNotStored() {
    StoredResponse stored =
        StoredResponse.of(
            GET,
            response(
                200,
                "Connection",
                "close, X-Hop",
                "X-Hop",
                "1",
                "Keep-Alive",
                "5",
                "Age",
                "3",
                "X-Kept",
                "k"),
            List.of(),
            new byte[0],
            NOW,
            NOW);
    assertThat(stored.headers.names()).containsExactly("X-Kept");
  }

  @Test
  void variantsAreSelectedByTheNormalisedValuesOfTheirFieldsAndHostAlways() {
    Request gzip = GET.newBuilder().header("Accept-Encoding", "gzip").header("Host", "a").build();
    StoredResponse coded =
        StoredResponse.of(
            gzip,
            response(200, "Content-Encoding", "gzip"),
            List.of("accept-language"),
            new byte[0],
            NOW,
            NOW);
    assertThat(coded.varyNames).containsExactly("accept-language", "host", "accept-encoding");
    assertThat(coded.matches(gzip)).isTrue();
    assertThat(coded.matches(gzip.newBuilder().header("Accept-Encoding", " gzip ").build()))
        .isTrue();
    assertThat(coded.matches(gzip.newBuilder().removeHeader("Accept-Encoding").build())).isFalse();
    assertThat(coded.matches(gzip.newBuilder().header("Host", "b").build())).isFalse();
    assertThat(coded.matches(gzip.newBuilder().header("Accept-Language", "de").build())).isFalse();
    StoredResponse identity =
        StoredResponse.of(
            GET, response(200, "Content-Encoding", " Identity "), List.of(), new byte[0], NOW, NOW);
    assertThat(identity.varyNames).containsExactly("host");
    Request lists =
        GET.newBuilder()
            .addHeader("Accept-Language", "de, ,en")
            .addHeader("Accept-Language", "fr")
            .build();
    assertThat(StoredResponse.varyValues(lists, List.of("accept-language")))
        .containsExactly("de,en,fr");
    StoredResponse other =
        StoredResponse.of(
            GET.newBuilder().header("Host", "b").build(),
            response(200),
            List.of(),
            new byte[0],
            NOW,
            NOW);
    assertThat(other.sameVariant(identity)).isFalse();
    StoredResponse otherNames =
        StoredResponse.of(GET, response(200), List.of("accept"), new byte[0], NOW, NOW);
    assertThat(otherNames.sameVariant(identity)).isFalse();
  }

  @Test
  void onlyValidatorsOkHttpCanSendAreSent() {
    StoredResponse both = entry("ETag", "\"1\"", "Last-Modified", DATE);
    Request conditional = both.conditional(GET);
    assertThat(conditional.header("If-None-Match")).isEqualTo("\"1\"");
    assertThat(conditional.header("If-Modified-Since")).isEqualTo(DATE);
    assertThat(both.hasWritableValidators()).isTrue();
    Headers unsendable =
        new Headers.Builder()
            .addUnsafeNonAscii("ETag", "\"ü\"")
            .addUnsafeNonAscii("Last-Modified", "x\u007f")
            .build();
    StoredResponse bad =
        new StoredResponse(
            List.of(),
            List.of(),
            NOW,
            NOW,
            0,
            200,
            "m",
            Protocol.HTTP_1_1,
            unsendable,
            new byte[0]);
    assertThat(bad.hasWritableValidators()).isFalse();
    assertThat(bad.conditional(GET).header("If-None-Match")).isNull();
    assertThat(bad.conditional(GET).header("If-Modified-Since")).isNull();
    Headers tabbed = new Headers.Builder().addUnsafeNonAscii("ETag", "\"a\tb\"").build();
    assertThat(
            new StoredResponse(
                    List.of(),
                    List.of(),
                    NOW,
                    NOW,
                    0,
                    200,
                    "m",
                    Protocol.HTTP_1_1,
                    tabbed,
                    new byte[0])
                .hasWritableValidators())
        .isTrue();
    Headers control =
        new Headers.Builder()
            .addUnsafeNonAscii("ETag", "\"a\u001fb\"")
            .addUnsafeNonAscii("Last-Modified", DATE)
            .build();
    StoredResponse lastModifiedOnly =
        new StoredResponse(
            List.of(), List.of(), NOW, NOW, 0, 200, "m", Protocol.HTTP_1_1, control, new byte[0]);
    assertThat(lastModifiedOnly.hasWritableValidators()).isTrue();
    assertThat(lastModifiedOnly.conditional(GET).header("If-None-Match")).isNull();
    assertThat(entry().hasWritableValidators()).isFalse();
  }

  @Test
  void anEntrysWeightCountsItsBodyFieldsAndVariantValues() {
    StoredResponse plain =
        new StoredResponse(
            List.of(),
            List.of(),
            NOW,
            NOW,
            0,
            200,
            "m",
            Protocol.HTTP_1_1,
            Headers.of("Ab", "cde"),
            new byte[10]);
    assertThat(plain.weight()).isEqualTo(96 + 10 + 2 * 5 + 32);
    StoredResponse varied =
        new StoredResponse(
            List.of("host"),
            List.of("ab"),
            NOW,
            NOW,
            0,
            200,
            "m",
            Protocol.HTTP_1_1,
            Headers.of(),
            new byte[0]);
    assertThat(varied.weight()).isEqualTo(96 + 2 * 6 + 32);
    Variants two = new Variants(List.of(plain, varied));
    assertThat(two.weight()).isEqualTo(32 + plain.weight() + varied.weight());
  }

  @Test
  void variantsKeepTheNewestForEachValueAndAtMostEight() {
    Variants variants = null;
    for (int i = 0; i < Variants.MAX + 2; i++) {
      Request request = GET.newBuilder().header("Host", "h" + i).build();
      StoredResponse entry =
          StoredResponse.of(request, response(200), List.of(), new byte[0], NOW, NOW);
      variants = variants == null ? new Variants(List.of(entry)) : variants.with(entry);
    }
    assertThat(variants.match(GET.newBuilder().header("Host", "h0").build())).isNull();
    assertThat(variants.match(GET.newBuilder().header("Host", "h1").build())).isNull();
    assertThat(variants.match(GET.newBuilder().header("Host", "h2").build())).isNotNull();
    StoredResponse replacement =
        StoredResponse.of(
            GET.newBuilder().header("Host", "h5").build(),
            response(200),
            List.of(),
            new byte[1],
            NOW + 1,
            NOW + 1);
    Variants replaced = variants.with(replacement);
    assertThat(replaced.match(GET.newBuilder().header("Host", "h5").build())).isSameAs(replacement);
    assertThat(replaced.match(GET.newBuilder().header("Host", "h2").build())).isNotNull();
    StoredResponse longLived = entry("Cache-Control", "max-age=600");
    assertThat(
            new Variants(List.of(entry("Cache-Control", "max-age=60"), longLived))
                .servableUntil(rules))
        .isEqualTo(NOW + 600_000);
  }
}
