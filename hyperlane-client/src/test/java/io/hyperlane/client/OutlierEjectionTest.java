package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Passive outlier ejection on real loopback replicas and fake time. */
class OutlierEjectionTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();

  private Hyperlane.Builder builder(OutlierDetection outliers) {
    return FakeTimes.drive(time, Hyperlane.builder())
        .loadBalancer(LoadBalancerPolicy.roundRobin())
        .slowStart(SlowStart.disabled())
        .retry(RetryPolicy.none()) // ejection alone is under test
        .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .outlierDetection(outliers);
  }

  @Test
  void anEndpointThatFailsFastIsEjectedAndComesBackAfterItsBackoff() throws Exception {
    replicas = Replicas.start(3);
    replicas.answer(1, 503, 0);
    OutlierDetection outliers =
        OutlierDetection.builder()
            .consecutiveFailures(3)
            .baseEjectionTime(Duration.ofSeconds(10))
            .build();
    try (Hyperlane hyperlane = builder(outliers).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 9; i++) { // round robin: replica 1 gets its 3rd failure on call 8
        Replicas.get(client, "http://inventory/");
      }
      EndpointSnapshot failing = endpoint(hyperlane, 1);
      assertThat(failing.ejected()).isTrue();
      assertThat(failing.ejections()).isEqualTo(1);
      assertThat(failing.failures()).isEqualTo(3);

      int before = replicas.received(1);
      for (int i = 0; i < 50; i++) {
        assertThat(Replicas.get(client, "http://inventory/")).isNotEqualTo(1);
      }
      assertThat(replicas.received(1)).isEqualTo(before);

      replicas.answer(1, 200, 0); // it recovers while ejected
      time.advance(Duration.ofSeconds(9));
      assertThat(endpoint(hyperlane, 1).ejected()).isTrue();
      time.advance(Duration.ofSeconds(1));
      int[] served = new int[3];
      for (int i = 0; i < 30; i++) {
        served[Replicas.get(client, "http://inventory/")]++;
      }
      assertThat(served).containsExactly(10, 10, 10);
      assertThat(endpoint(hyperlane, 1).ejected()).isFalse();
    }
  }

  @Test
  void eachEjectionInARowLastsLongerUpToTheMaximum() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    OutlierDetection outliers =
        OutlierDetection.builder()
            .consecutiveFailures(1)
            .baseEjectionTime(Duration.ofSeconds(10))
            .maxEjectionTime(Duration.ofSeconds(25))
            .build();
    try (Hyperlane hyperlane = builder(outliers).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      long[] expected = {10, 20, 25, 25};
      for (long seconds : expected) {
        callUntilEjected(client, hyperlane);
        time.advance(Duration.ofSeconds(seconds).minusMillis(1));
        assertThat(endpoint(hyperlane, 0).ejected())
            .as("still ejected before %s s", seconds)
            .isTrue();
        time.advance(Duration.ofMillis(1));
        assertThat(endpoint(hyperlane, 0).ejected()).as("back after %s s", seconds).isFalse();
      }
      assertThat(endpoint(hyperlane, 0).ejections()).isEqualTo(4);
    }
  }

  @Test
  void theBackoffShrinksAgainAfterAHealthyPeriod() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    OutlierDetection outliers =
        OutlierDetection.builder()
            .consecutiveFailures(1)
            .baseEjectionTime(Duration.ofSeconds(10))
            .build();
    try (Hyperlane hyperlane = builder(outliers).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      callUntilEjected(client, hyperlane);
      time.advance(Duration.ofSeconds(10));
      callUntilEjected(client, hyperlane); // second in a row: 20 s
      time.advance(Duration.ofSeconds(20));
      replicas.answer(0, 200, 0);
      Replicas.get(client, "http://inventory/");
      Replicas.get(client, "http://inventory/");
      time.advance(Duration.ofSeconds(25)); // two healthy periods of 10 s: back to the base
      replicas.answer(0, 503, 0);
      callUntilEjected(client, hyperlane);
      time.advance(Duration.ofSeconds(10).minusMillis(1));
      assertThat(endpoint(hyperlane, 0).ejected()).isTrue();
      time.advance(Duration.ofMillis(1));
      assertThat(endpoint(hyperlane, 0).ejected()).isFalse();
    }
  }

  @Test
  void neverEjectsMoreThanTheConfiguredShare() throws Exception {
    replicas = Replicas.start(4);
    for (int i = 0; i < 4; i++) {
      replicas.answer(i, 503, 0);
    }
    OutlierDetection outliers =
        OutlierDetection.builder().consecutiveFailures(2).maxEjectedShare(0.5).build();
    try (Hyperlane hyperlane = builder(outliers).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 40; i++) {
        Replicas.get(client, "http://inventory/");
      }
      long ejected =
          hyperlane.snapshot().service("inventory").endpoints().stream()
              .filter(EndpointSnapshot::ejected)
              .count();
      assertThat(ejected).isEqualTo(2);
    }
  }

  @Test
  void whenEveryEndpointIsEjectedCallsAreSpreadOverAllOfThem() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    replicas.answer(1, 503, 0);
    OutlierDetection outliers =
        OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(1.0).build();
    try (Hyperlane hyperlane = builder(outliers).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Replicas.get(client, "http://inventory/");
      Replicas.get(client, "http://inventory/");
      assertThat(hyperlane.snapshot().service("inventory").endpoints())
          .allMatch(EndpointSnapshot::ejected);
      int[] served = new int[2];
      for (int i = 0; i < 10; i++) {
        served[Replicas.get(client, "http://inventory/")]++;
      }
      assertThat(served).containsExactly(5, 5);
    }
  }

  private void callUntilEjected(OkHttpClient client, Hyperlane hyperlane) throws Exception {
    for (int i = 0; i < 10 && !endpoint(hyperlane, 0).ejected(); i++) {
      Replicas.get(client, "http://inventory/");
    }
    assertThat(endpoint(hyperlane, 0).ejected()).isTrue();
  }

  private EndpointSnapshot endpoint(Hyperlane hyperlane, int replica) {
    return hyperlane.snapshot().service("inventory").endpoint(replicas.url(replica)).orElseThrow();
  }
}
