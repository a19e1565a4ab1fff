package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One convention for rates (fractions, checked), custom circuits from Hyperlane's defaults. */
class RatesAndDefaultsTest {

  @ParameterizedTest
  @ValueSource(doubles = {-0.1, 1.01, 5, 20, Double.NaN, Double.POSITIVE_INFINITY})
  void aRetryShareIsAFractionAndAnythingElseIsRefused(double share) {
    assertThatThrownBy(() -> RetryBudget.builder().maxRetryShare(share))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxRetryShare is a fraction between 0 and 1 (0.2 = 20%)");
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, 1.01, 30, 50, 100, -1, Double.NaN})
  void aCircuitsFailureRateIsAFractionAndAPercentageIsRefused(double share) {
    assertThatThrownBy(
            () -> CircuitBreakerPolicy.serviceDefaults().toBuilder().failureRateAbove(share))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failureRateAbove is a fraction above 0 and at most 1");
  }

  @Test
  void aCustomCircuitStartsFromHyperlanesDefaultsAndChangesOnlyWhatItIsTold() {
    assertThat(CircuitBreakerPolicy.serviceDefaults())
        .hasToString(
            "CircuitBreakerPolicy{opens at 50.0% failures over 50 calls (20 at least), open 5 s,"
                + " 5 probe calls}");
    assertThat(CircuitBreakerPolicy.serviceDefaults().toBuilder().failureRateAbove(0.3).build())
        .hasToString(
            "CircuitBreakerPolicy{opens at 30.0% failures over 50 calls (20 at least), open 5 s,"
                + " 5 probe calls}");
    assertThat(
            CircuitBreakerPolicy.endpointDefaults().toBuilder()
                .window(40)
                .minimumCalls(15)
                .openFor(Duration.ofSeconds(20))
                .probeCalls(2)
                .build())
        .hasToString(
            "CircuitBreakerPolicy{opens at 50.0% failures over 40 calls (15 at least), open 20 s,"
                + " 2 probe calls}");
    assertThat(CircuitBreakerPolicy.endpointDefaults())
        .as("the defaults themselves are untouched")
        .hasToString(
            "CircuitBreakerPolicy{opens at 50.0% failures over 20 calls (10 at least), open 10 s,"
                + " 3 probe calls}");
  }

  @Test
  void aCircuitBuilderRefusesWhatCannotBe() {
    CircuitBreakerPolicy.Builder builder = CircuitBreakerPolicy.serviceDefaults().toBuilder();
    assertThatThrownBy(() -> builder.window(0)).hasMessageContaining("between 1 and 10000");
    assertThatThrownBy(() -> builder.minimumCalls(10_001))
        .hasMessageContaining("between 1 and 10000");
    assertThatThrownBy(() -> builder.probeCalls(-1)).hasMessageContaining("between 1 and 10000");
    assertThatThrownBy(() -> builder.openFor(Duration.ZERO))
        .hasMessage("openFor must be between 1 ms and 1 h but was 0 ms");
    assertThatThrownBy(() -> builder.openFor(Duration.ofHours(2))).hasMessageContaining("2 h");
    assertThatThrownBy(() -> CircuitBreakerPolicy.disabled().toBuilder())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("start from serviceDefaults() or endpointDefaults()");
  }

  @Test
  void durationsReadAsPeopleWriteThem() {
    assertThat(Durations.human(Duration.ZERO)).isEqualTo("0 ms");
    assertThat(Durations.nanos(750)).isEqualTo("750 ns");
    assertThat(Durations.human(Duration.ofNanos(250_400))).isEqualTo("250 µs");
    assertThat(Durations.human(Duration.ofNanos(2_540_000))).isEqualTo("2.5 ms");
    assertThat(Durations.human(Duration.ofMillis(300))).isEqualTo("300 ms");
    assertThat(Durations.human(Duration.ofMillis(1500))).isEqualTo("1.5 s");
    assertThat(Durations.human(Duration.ofMillis(1234))).isEqualTo("1.23 s");
    assertThat(Durations.human(Duration.ofSeconds(10))).isEqualTo("10 s");
    assertThat(Durations.human(Duration.ofSeconds(90))).isEqualTo("90 s");
    assertThat(Durations.human(Duration.ofMinutes(2))).isEqualTo("2 min");
    assertThat(Durations.human(Duration.ofHours(48))).isEqualTo("48 h");
    assertThat(Durations.human(Duration.ofMillis(-5))).isEqualTo("-5 ms");
    assertThat(Durations.human(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo("∞");
    assertThat(Durations.nanos(Long.MIN_VALUE)).isEqualTo("-∞");
  }

  @Test
  void anAttemptHasAStatusOrAFailureNeverBoth() {
    assertThatThrownBy(
            () ->
                new CallFailedException.Attempt(
                    1, null, 503, new java.io.IOException("x"), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CallFailedException.Attempt(1, null, 0, null, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(
            new CallFailedException.Attempt(
                2, "http://10.0.0.1:80", 503, null, Duration.ofMillis(3)))
        .hasToString("#2 http://10.0.0.1:80: HTTP 503 (3 ms)");
  }
}
