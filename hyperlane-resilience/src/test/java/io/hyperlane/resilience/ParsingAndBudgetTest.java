package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Random;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** Hostile input (Retry-After) and the budget's time window, without sockets. */
class ParsingAndBudgetTest {

  private static Response withHeaders(String... namesAndValues) {
    Response.Builder b =
        new Response.Builder()
            .request(new Request.Builder().url("http://inventory/").build())
            .protocol(Protocol.HTTP_1_1)
            .code(503)
            .message("Service Unavailable");
    for (int i = 0; i < namesAndValues.length; i += 2) {
      b.addHeader(namesAndValues[i], namesAndValues[i + 1]);
    }
    return b.build();
  }

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-10-21T07:28:00Z"), ZoneOffset.UTC);

  @Test
  void retryAfterAcceptsSecondsAndHttpDatesAndRefusesGarbage() {
    assertThat(RetryAfter.nanos(withHeaders(), CLOCK)).isEqualTo(RetryAfter.ABSENT);
    assertThat(RetryAfter.nanos(withHeaders("Retry-After", "3"), CLOCK))
        .isEqualTo(Duration.ofSeconds(3).toNanos());
    assertThat(RetryAfter.nanos(withHeaders("Retry-After", " 0 "), CLOCK)).isZero();
    // An HTTP-date is measured against the response's own Date, not this machine's clock.
    assertThat(
            RetryAfter.nanos(
                withHeaders(
                    "Date", "Wed, 21 Oct 2026 07:20:00 GMT",
                    "Retry-After", "Wed, 21 Oct 2026 07:20:07 GMT"),
                CLOCK))
        .isEqualTo(Duration.ofSeconds(7).toNanos());
    // A date in the past means "now".
    assertThat(
            RetryAfter.nanos(
                withHeaders(
                    "Date", "Wed, 21 Oct 2026 07:28:00 GMT",
                    "Retry-After", "Wed, 21 Oct 2026 07:27:00 GMT"),
                CLOCK))
        .isZero();
    for (String bad : new String[] {"-1", "1.5", "soon", "", "Wed, 32 Oct 2026"}) {
      assertThat(RetryAfter.nanos(withHeaders("Retry-After", bad), CLOCK))
          .as("\"%s\"", bad)
          .isEqualTo(RetryAfter.ABSENT);
    }
  }

  @Test
  void retryAfterReadsBothObsoleteDateFormsAgainstTheInjectedClock() {
    // No Date header: measured from the injected clock (07:28:00), not this machine's.
    assertThat(
            RetryAfter.nanos(
                withHeaders("Retry-After", "Wednesday, 21-Oct-26 07:28:30 GMT"), CLOCK))
        .as("RFC 850")
        .isEqualTo(Duration.ofSeconds(30).toNanos());
    assertThat(RetryAfter.nanos(withHeaders("Retry-After", "Wed Oct 21 07:29:00 2026"), CLOCK))
        .as("asctime")
        .isEqualTo(Duration.ofSeconds(60).toNanos());
    assertThat(RetryAfter.nanos(withHeaders("Retry-After", "Wed, 21 Oct 2026 07:28:05 GMT"), CLOCK))
        .as("IMF-fixdate")
        .isEqualTo(Duration.ofSeconds(5).toNanos());
  }

  @Test
  void retryAfterSecondsOfAnyLengthSaturateInsteadOfOverflowing() {
    long huge = RetryAfter.nanos(withHeaders("Retry-After", "99999999999999999999999"), CLOCK);
    assertThat(huge).isEqualTo(Duration.ofSeconds(1_000_000_000).toNanos());
    assertThat(RetryAfter.nanos(withHeaders("Retry-After", "9999999999"), CLOCK)).isEqualTo(huge);
    assertThat(RetryAfter.nanos(withHeaders("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"), CLOCK))
        .isEqualTo(huge);
  }

  @Test
  void theBudgetAllowsTheFloorPlusAShareOfCallsAndForgetsThemAfterTheTtl() {
    BudgetState budget =
        new BudgetState(
            RetryBudget.builder()
                .ttl(Duration.ofSeconds(10))
                .minRetriesPerSecond(1)
                .maxRetryShare(0.5)
                .build());
    long now = 0;
    for (int i = 0; i < 20; i++) {
      budget.deposit(now); // 20 calls × 0.5 = 10 retries, plus a floor of 1/s × 10 s = 10
    }
    int granted = 0;
    while (budget.tryWithdraw(now)) {
      granted++;
    }
    assertThat(granted).isEqualTo(20);
    // Eleven seconds later every deposit and withdrawal has expired: the floor alone is back.
    now += Duration.ofSeconds(11).toNanos();
    granted = 0;
    while (budget.tryWithdraw(now)) {
      granted++;
    }
    assertThat(granted).isEqualTo(10);
  }

  @Test
  void backoffStaysWithinTheCapWhateverTheAttempt() {
    RetryPolicy policy =
        RetryPolicy.builder().backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build();
    for (int attempt = 1; attempt < 70; attempt++) {
      long ceiling =
          Math.min(
              Duration.ofSeconds(1).toNanos(),
              attempt > 20 ? Long.MAX_VALUE : Duration.ofMillis(100).toNanos() << (attempt - 1));
      assertThat(RetryInterceptor.backoff(policy, attempt, null)).isBetween(0L, ceiling);
    }
  }

  @Test
  void aSeededGeneratorRepeatsTheJitter() {
    RetryPolicy policy =
        RetryPolicy.builder().backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).build();
    Random first = new Random(7);
    Random second = new Random(7);
    long[] a = new long[8];
    long[] b = new long[8];
    for (int i = 0; i < 8; i++) {
      a[i] = RetryInterceptor.backoff(policy, i + 1, first);
      b[i] = RetryInterceptor.backoff(policy, i + 1, second);
    }
    assertThat(a).containsExactly(b);
    assertThat(Arrays.stream(a).distinct().count()).isGreaterThan(4); // jitter, not zero
  }

  @Test
  void adaptiveHedgingMayHedgeTwiceItsShareOfCallsPlusOnePerSecond() {
    assertThat(HedgingPolicy.adaptive().maxHedgedShare()).isCloseTo(0.10, within(1e-9));
    assertThat(HedgingPolicy.adaptive(0.99, 2).maxHedgedShare()).isCloseTo(0.02, within(1e-9));
    assertThat(HedgingPolicy.adaptive(0.5, 1).maxHedgedShare()).isEqualTo(1.0);
    assertThat(HedgingPolicy.fixed(Duration.ofMillis(20), 1).maxHedgedShare()).isZero();

    HedgingPolicy policy = HedgingPolicy.adaptive();
    BudgetState rate =
        new BudgetState(Duration.ofSeconds(10).toNanos(), 1, policy.maxHedgedShare());
    long now = 0;
    for (int call = 0; call < 100; call++) {
      rate.deposit(now);
    }
    int granted = 0;
    while (rate.tryWithdraw(now)) {
      granted++;
    }
    assertThat(granted).as("10% of 100 calls, plus 1 per second of the 10 s window").isEqualTo(20);
  }
}
