package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/** A deadline's arithmetic, header form, ordering and thread scope, on fake time. */
@SuppressWarnings("try") // scopes are entered for their effect on the thread
class DeadlineTest {

  private final FakeTime time = new FakeTime();

  @Test
  void aDeadlineCountsDownOnItsTickerAndExpiresAtZero() {
    Deadline deadline = Deadline.after(Duration.ofMillis(300), time);
    assertThat(deadline.remaining()).isEqualTo(Duration.ofMillis(300));
    assertThat(deadline.toHeaderValue()).isEqualTo("300");
    time.advance(Duration.ofMillis(299));
    assertThat(deadline.isExpired()).isFalse();
    assertThat(deadline.remainingNanos()).isEqualTo(1_000_000);
    time.advance(Duration.ofMillis(1));
    assertThat(deadline.isExpired()).isTrue();
    time.advance(Duration.ofMillis(5));
    assertThat(deadline.remaining()).as("never negative").isEqualTo(Duration.ZERO);
    assertThat(deadline.toHeaderValue()).isEqualTo("0");
    assertThat(deadline.toString()).isEqualTo("Deadline{remaining=PT0S}");
  }

  @Test
  void aNegativeTimeoutHasPassedAndAHugeOneNeverDoes() {
    assertThat(Deadline.after(Duration.ofMillis(-5), time).isExpired()).isTrue();
    assertThat(Deadline.after(Duration.ZERO, time).isExpired()).isTrue();
    Deadline forever = Deadline.after(Duration.ofSeconds(Long.MAX_VALUE), time);
    time.advance(Duration.ofDays(365 * 100));
    assertThat(forever.isExpired()).isFalse();
    assertThat(forever.remainingNanos()).isEqualTo(Long.MAX_VALUE);
    FakeTime late = new FakeTime();
    late.advance(Duration.ofNanos(Long.MAX_VALUE - 2_000_000_000L));
    Deadline overflowing = Deadline.after(Duration.ofSeconds(5), late);
    assertThat(overflowing.isExpired()).as("an overflowing sum saturates").isFalse();
    Deadline started = Deadline.after(Duration.ofMillis(100), time, time.read() - 40_000_000);
    assertThat(started.remaining())
        .as("counted from the start given")
        .isEqualTo(Duration.ofMillis(60));
  }

  @Test
  void theHeaderIsReadAsMillisecondsAndAnythingElseIsNoDeadline() {
    assertThat(Deadline.fromHeader("250", time))
        .hasValueSatisfying(d -> assertThat(d.remaining()).isEqualTo(Duration.ofMillis(250)));
    assertThat(Deadline.fromHeader(" 7 ", time))
        .hasValueSatisfying(d -> assertThat(d.remaining()).isEqualTo(Duration.ofMillis(7)));
    assertThat(Deadline.fromHeader("0", time))
        .hasValueSatisfying(d -> assertThat(d.isExpired()).isTrue());
    for (String bad : new String[] {null, "", " ", "-5", "1.5", "12a", "a12", "٣", "+3"}) {
      assertThat(Deadline.fromHeader(bad, time)).as(String.valueOf(bad)).isEmpty();
    }
    assertThat(Deadline.fromHeader("99999999999999999999999999", time))
        .hasValueSatisfying(
            d -> assertThat(d.remaining()).isEqualTo(Duration.ofMillis(999_999_999_999L)));
    assertThat(Deadline.fromHeader("1000", Ticker.system())).isPresent();
    assertThat(Deadline.fromHeader("1000"))
        .hasValueSatisfying(
            d ->
                assertThat(d.remaining())
                    .isBetween(Duration.ofMillis(900), Duration.ofMillis(1000)));
  }

  @Test
  void theEarliestOfTwoIsTheOneWithLessLeftAndTiesKeepTheFirst() {
    Deadline soon = Deadline.after(Duration.ofMillis(100), time);
    Deadline later = Deadline.after(Duration.ofMillis(200), time);
    Deadline alsoSoon = Deadline.after(Duration.ofMillis(100), time);
    assertThat(Deadline.earliest(soon, later)).isSameAs(soon);
    assertThat(Deadline.earliest(later, soon)).isSameAs(soon);
    assertThat(Deadline.earliest(alsoSoon, soon)).isSameAs(alsoSoon);
    assertThat(soon.compareTo(later)).isNegative();
    assertThat(later.compareTo(soon)).isPositive();
    assertThat(soon.compareTo(alsoSoon)).isZero();
  }

  @Test
  void aScopeNarrowsTheThreadsDeadlineAndRestoresTheOuterOneOnClose() {
    assertThat(Deadline.current()).isEmpty();
    Deadline outer = Deadline.after(Duration.ofMillis(100), time);
    Deadline wider = Deadline.after(Duration.ofMillis(500), time);
    Deadline narrower = Deadline.after(Duration.ofMillis(50), time);
    try (Deadline.Scope a = outer.enter()) {
      assertThat(Deadline.current()).containsSame(outer);
      try (Deadline.Scope b = wider.enter()) {
        assertThat(Deadline.current()).as("an inner scope cannot extend").containsSame(outer);
      }
      try (Deadline.Scope c = narrower.enter()) {
        assertThat(Deadline.current()).containsSame(narrower);
      }
      assertThat(Deadline.current()).containsSame(outer);
    }
    assertThat(Deadline.current()).isEmpty();
  }

  @Test
  void aRequestsTagComesBeforeTheThreadsDeadline() {
    Deadline tagged = Deadline.after(Duration.ofMillis(100), time);
    Deadline scoped = Deadline.after(Duration.ofMillis(50), time);
    Request plain = new Request.Builder().url("http://catalog/").build();
    Request withTag = plain.newBuilder().tag(Deadline.class, tagged).build();
    try (Deadline.Scope scope = scoped.enter()) {
      assertThat(Deadline.of(withTag)).containsSame(tagged);
      assertThat(Deadline.of(plain)).containsSame(scoped);
    }
    assertThat(Deadline.of(plain)).isEmpty();
    assertThat(Deadline.after(Duration.ofSeconds(1)).remaining())
        .isBetween(Duration.ofMillis(900), Duration.ofSeconds(1));
  }
}
