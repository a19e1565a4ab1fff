package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.testing.FakeTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The balancers' choices on hand-set endpoint state, without sockets. */
class BalancerTest {

  private static final okhttp3.Request CALL =
      new okhttp3.Request.Builder().url("http://inventory/").build();

  private final FakeTime time = new FakeTime();

  private ServiceState service(LoadBalancerPolicy policy, String... origins) {
    ServiceState service =
        new ServiceState(
            "inventory",
            policy,
            OutlierDetection.disabled(),
            SlowStart.disabled(),
            CircuitBreakerPolicy.disabled(),
            ZonePreference.none(),
            ResilienceListener.noop(),
            time,
            time,
            time,
            CurrentThreadRandom.INSTANCE);
    service.update(Arrays.stream(origins).map(Endpoint::of).toList());
    return service;
  }

  private static EndpointState pick(ServiceState service, long now) throws Exception {
    return service.pick(now, null, CALL, Map.of());
  }

  private static EndpointState[] states(ServiceState service) throws Exception {
    return states(service, 3);
  }

  /** The states of the endpoints on ports 8081 to 8080 + {@code n}, found by picking. */
  private static EndpointState[] states(ServiceState service, int n) throws Exception {
    EndpointState[] states = new EndpointState[n];
    for (int i = 0; i < 200 && Arrays.asList(states).contains(null); i++) {
      EndpointState e = pick(service, 0);
      states[e.endpoint.url().port() - 8081] = e;
    }
    return states;
  }

  @Test
  void leastInFlightNeverPicksTheBusierOfTwoCandidates() throws Exception {
    ServiceState service =
        service(
            LoadBalancerPolicy.leastInFlight(),
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8082",
            "http://127.0.0.1:8083");
    EndpointState[] e = states(service);
    for (int i = 0; i < 3; i++) {
      e[1].begin();
      e[2].begin();
    }
    int[] picks = new int[3];
    for (int i = 0; i < 3000; i++) {
      picks[pick(service, time.read()).endpoint.url().port() - 8081]++;
    }
    // Endpoint 0 wins every pair it is drawn into (2/3 of draws); 1 and 2 split the rest.
    assertThat(picks[0]).isBetween(1850, 2150);
    assertThat(picks[1] + picks[2]).isBetween(850, 1150);
  }

  @Test
  void peakEwmaReactsToASlowSampleAtOnceAndForgetsItWithTime() throws Exception {
    ServiceState service =
        service(
            LoadBalancerPolicy.peakEwma(Duration.ofSeconds(10), Duration.ofSeconds(1)),
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8082",
            "http://127.0.0.1:8083");
    EndpointState[] e = states(service);
    long now = time.read();
    for (EndpointState s : e) {
      s.begin();
      service.onResponse(s, now - 2_000_000, now, 200); // 2 ms each
    }
    e[2].begin();
    service.onResponse(
        e[2], now - 50_000_000, now, 200); // one 50 ms sample: the peak is taken at once
    assertThat(e[2].latencyNanos(now, Duration.ofSeconds(10).toNanos())).isEqualTo(50_000_000.0);
    for (int i = 0; i < 300; i++) {
      assertThat(pick(service, now).endpoint.url().port()).isNotEqualTo(8083);
    }
    // A minute later its peers have fresh 2 ms samples, and its own 50 ms has decayed by e^-6.
    time.advance(Duration.ofSeconds(60));
    long later = time.read();
    e[0].begin();
    service.onResponse(e[0], later - 2_000_000, later, 200);
    e[1].begin();
    service.onResponse(e[1], later - 2_000_000, later, 200);
    assertThat(e[2].latencyNanos(later, Duration.ofSeconds(10).toNanos()))
        .isLessThan(200_000.0); // 50 ms × e^-6
    int picked = 0;
    for (int i = 0; i < 300; i++) {
      if (pick(service, later).endpoint.url().port() == 8083) {
        picked++;
      }
    }
    assertThat(picked).as("the forgotten endpoint is tried again").isGreaterThan(100);
  }

  @Test
  void aFailureCountsAsAtLeastThePenalty() throws Exception {
    ServiceState service =
        service(
            LoadBalancerPolicy.peakEwma(Duration.ofSeconds(10), Duration.ofMillis(750)),
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8082",
            "http://127.0.0.1:8083");
    EndpointState[] e = states(service);
    long now = time.read();
    e[0].begin();
    service.onResponse(e[0], now - 1_000, now, 503); // failed in 1 µs
    assertThat(e[0].latencyNanos(now, Duration.ofSeconds(10).toNanos())).isEqualTo(750_000_000.0);
  }

  @Test
  void aCancelledCallCanRaiseTheEstimateButNeverLowerIt() throws Exception {
    ServiceState service =
        service(
            LoadBalancerPolicy.peakEwma(),
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8082",
            "http://127.0.0.1:8083");
    EndpointState e = states(service)[0];
    long now = time.read();
    e.begin();
    service.onResponse(e, now - 10_000_000, now, 200);
    e.begin();
    service.onCancelled(e, now - 1_000_000, now); // 1 ms, then cancelled: says nothing
    assertThat(e.latencyNanos(now, LoadBalancerPolicy.DEFAULT_DECAY.toNanos()))
        .isEqualTo(10_000_000.0);
    e.begin();
    service.onCancelled(e, now - 30_000_000, now); // still running after 30 ms: at least that
    assertThat(e.latencyNanos(now, LoadBalancerPolicy.DEFAULT_DECAY.toNanos()))
        .isEqualTo(30_000_000.0);
    assertThat(e.inFlight()).isZero();
    assertThat(e.failures()).isZero();
  }

  @Test
  void aNewcomerStartsAtItsPeersMeanLatency() throws Exception {
    ServiceState service =
        service(LoadBalancerPolicy.peakEwma(), "http://127.0.0.1:8081", "http://127.0.0.1:8082");
    long now = time.read();
    EndpointState[] e = new EndpointState[2];
    for (int i = 0; i < 100 && (e[0] == null || e[1] == null); i++) {
      EndpointState s = pick(service, now);
      e[s.endpoint.url().port() - 8081] = s;
    }
    e[0].begin();
    service.onResponse(e[0], now - 4_000_000, now, 200);
    e[1].begin();
    service.onResponse(e[1], now - 8_000_000, now, 200);
    service.update(
        List.of(
            Endpoint.of("http://127.0.0.1:8081"),
            Endpoint.of("http://127.0.0.1:8082"),
            Endpoint.of("http://127.0.0.1:8083")));
    EndpointSnapshot newcomer = service.snapshot().endpoint("http://127.0.0.1:8083").orElseThrow();
    assertThat(newcomer.balancerLatency()).isEqualTo(Duration.ofMillis(6));
    assertThat(newcomer.latencyEwma()).as("it has answered nothing yet").isZero();
  }

  private ServiceState weighted(LoadBalancerPolicy policy, Endpoint... endpoints) {
    ServiceState service =
        new ServiceState(
            "inventory",
            policy,
            OutlierDetection.disabled(),
            SlowStart.disabled(),
            CircuitBreakerPolicy.disabled(),
            ZonePreference.none(),
            ResilienceListener.noop(),
            time,
            time,
            time,
            CurrentThreadRandom.INSTANCE);
    service.update(List.of(endpoints));
    return service;
  }

  private static int port(ServiceState service, okhttp3.Request request, Map<String, String> subset)
      throws Exception {
    return service.pick(0, null, request, subset).endpoint.url().port();
  }

  @Test
  void moreChoicesFindTheOneGoodEndpointMoreOften() throws Exception {
    String[] four = {
      "http://127.0.0.1:8081",
      "http://127.0.0.1:8082",
      "http://127.0.0.1:8083",
      "http://127.0.0.1:8084"
    };
    for (int choices : new int[] {2, 3, 4}) {
      ServiceState service = service(LoadBalancerPolicy.leastInFlight().choices(choices), four);
      EndpointState[] e = states(service, 4);
      for (int i = 1; i < 4; i++) {
        e[i].begin(); // only endpoint 0 is idle
      }
      int good = 0;
      for (int i = 0; i < 4000; i++) {
        good += pick(service, 0) == e[0] ? 1 : 0;
      }
      // Two of four draw endpoint 0 in half the pairs, three in three draws of four; four (all
      // of them, when there are no more) every time.
      if (choices == 2) {
        assertThat(good).isBetween(1800, 2200);
      } else if (choices == 3) {
        assertThat(good).isBetween(2800, 3200);
      } else {
        assertThat(good).isEqualTo(4000);
      }
    }
    // With more endpoints than choices, three draws hit the good one 3/8 of the time (two: 2/8).
    String[] eight = new String[8];
    for (int i = 0; i < 8; i++) {
      eight[i] = "http://127.0.0.1:" + (8081 + i);
    }
    ServiceState service = service(LoadBalancerPolicy.peakEwma(), eight);
    EndpointState[] e = states(service, 8);
    for (int i = 1; i < 8; i++) {
      e[i].begin();
    }
    int good = 0;
    for (int i = 0; i < 8000; i++) {
      good += pick(service, 0) == e[0] ? 1 : 0;
    }
    assertThat(good).isBetween(2800, 3200);
    assertThat(LoadBalancerPolicy.peakEwma().choices()).isEqualTo(3);

    // With no more endpoints than choices and equal costs, ties are broken at random: every
    // endpoint gets its share, not the first one listed.
    ServiceState even = service(LoadBalancerPolicy.leastInFlight().choices(4), four);
    int[] picks = new int[4];
    for (int i = 0; i < 4000; i++) {
      picks[pick(even, 0).endpoint.url().port() - 8081]++;
    }
    for (int p : picks) {
      assertThat(p).isBetween(800, 1200);
    }
    assertThat(LoadBalancerPolicy.leastInFlight().choices()).isEqualTo(2);
  }

  @Test
  void ofTwoCandidatesTheLessLoadedWinsEveryPick() throws Exception {
    ServiceState service =
        service(
            LoadBalancerPolicy.leastInFlight(), "http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState busy = states(service, 2)[0];
    busy.begin();
    for (int i = 0; i < 200; i++) {
      assertThat(pick(service, 0).endpoint.url().port()).isEqualTo(8082);
    }
  }

  @Test
  void costIsWeighedByWeightInBothPowerOfTwoBalancers() throws Exception {
    for (LoadBalancerPolicy policy :
        List.of(LoadBalancerPolicy.leastInFlight(), LoadBalancerPolicy.peakEwma())) {
      ServiceState service =
          weighted(
              policy,
              Endpoint.of("http://127.0.0.1:8081", 1),
              Endpoint.of("http://127.0.0.1:8082", 9));
      for (int i = 0; i < 200; i++) {
        assertThat(pick(service, 0).endpoint.url().port()).as(policy.toString()).isEqualTo(8082);
      }
      EndpointState heavy = service.pick(0, null, CALL, Map.of());
      for (int i = 0; i < 9; i++) {
        heavy.begin(); // 10 in flight per 9 units of weight against 1 per unit: the light one
      }
      assertThat(pick(service, 0).endpoint.url().port()).as(policy.toString()).isEqualTo(8081);
    }
  }

  @Test
  void theRingSharesKeysByWeight() throws Exception {
    ServiceState equal =
        service(
            LoadBalancerPolicy.consistentHash("X-User"),
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8082",
            "http://127.0.0.1:8083");
    ServiceState threeToOne =
        weighted(
            LoadBalancerPolicy.consistentHash("X-User"),
            Endpoint.of("http://127.0.0.1:8081", 3),
            Endpoint.of("http://127.0.0.1:8082", 1));
    int[] shares = new int[3];
    int[] weightedShares = new int[2];
    for (int k = 0; k < 6000; k++) {
      okhttp3.Request request = CALL.newBuilder().header("X-User", "user-" + k).build();
      shares[port(equal, request, Map.of()) - 8081]++;
      weightedShares[port(threeToOne, request, Map.of()) - 8081]++;
    }
    for (int share : shares) {
      assertThat(share)
          .as("100 points per endpoint: within a quarter of a fair share")
          .isBetween(1500, 2500);
    }
    assertThat(weightedShares[0]).isBetween(4200, 4800);
  }

  @Test
  void whenItsOwnerIsNotACandidateAKeyGoesToTheNextCandidateOnTheRingAndOthersStay()
      throws Exception {
    ServiceState service =
        weighted(
            LoadBalancerPolicy.consistentHash("X-User"),
            Endpoint.builder("http://127.0.0.1:8081").metadata("pool", "a").build(),
            Endpoint.builder("http://127.0.0.1:8082").metadata("pool", "a").build(),
            Endpoint.builder("http://127.0.0.1:8083").metadata("pool", "b").build());
    Map<String, String> poolA = Map.of("pool", "a");
    int moved = 0;
    int[] movedTo = new int[2];
    for (int k = 0; k < 3000; k++) {
      okhttp3.Request request = CALL.newBuilder().header("X-User", "user-" + k).build();
      int owner = port(service, request, Map.of());
      int inPool = port(service, request, poolA);
      assertThat(port(service, request, poolA)).as("stable").isEqualTo(inPool);
      if (owner == 8083) {
        moved++;
        movedTo[inPool - 8081]++;
      } else {
        assertThat(inPool).as("a key whose owner is a candidate stays").isEqualTo(owner);
      }
    }
    assertThat(moved).isBetween(800, 1200);
    assertThat(movedTo[0]).as("the moved keys spread over the rest").isBetween(250, 950);
  }

  @Test
  void peakEwmaCountsTheOtherCallersLoadAServerReportsWhileTheReportIsFresh() throws Exception {
    ServiceState service =
        service(
            LoadBalancerPolicy.peakEwma(),
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8082",
            "http://127.0.0.1:8083");
    EndpointState[] e = states(service);
    long now = time.read();
    for (EndpointState s : e) {
      s.begin();
      service.onResponse(
          s, now - 2_000_000, now, 200, "TEXT named_metrics.requests_in_flight=1", 1);
    }
    // Endpoint 0's server had 21 requests in flight when it answered, one of them ours.
    e[0].begin();
    service.onResponse(
        e[0], now - 2_000_000, now, 200, "TEXT named_metrics.requests_in_flight=21", 1);
    assertThat(e[0].othersInFlight(now)).isEqualTo(20.0);
    assertThat(e[1].othersInFlight(now)).isZero();
    for (int i = 0; i < 300; i++) {
      assertThat(pick(service, now).endpoint.url().port()).isNotEqualTo(8081);
    }
    // Half a second later the report weighs half; a second later it weighs nothing.
    time.advance(Duration.ofMillis(500));
    assertThat(e[0].othersInFlight(time.read())).isEqualTo(10.0);
    time.advance(Duration.ofMillis(500));
    assertThat(e[0].othersInFlight(time.read())).isZero();
    int picked = 0;
    for (int i = 0; i < 300; i++) {
      picked += pick(service, time.read()).endpoint.url().port() == 8081 ? 1 : 0;
    }
    assertThat(picked).as("tried again once its report is old").isBetween(60, 140);
    assertThat(service.snapshot().endpoints().get(0).reportedLoad())
        .isEqualTo("21 requests in flight (20 from other callers), 1 s ago");
  }

  @Test
  void anUnreadableReportChangesNothing() throws Exception {
    ServiceState service =
        service(LoadBalancerPolicy.peakEwma(), "http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState[] e = states(service, 2);
    long now = time.read();
    e[0].begin();
    service.onResponse(
        e[0], now - 2_000_000, now, 200, "TEXT named_metrics.requests_in_flight=9", 1);
    e[0].begin();
    service.onResponse(
        e[0], now - 2_000_000, now, 200, "TEXT named_metrics.requests_in_flight=NaN", 1);
    assertThat(e[0].othersInFlight(now)).as("the last readable report stays").isEqualTo(8.0);
    e[1].begin();
    service.onResponse(e[1], now - 2_000_000, now, 200, "BIN CgQIARAB", 1);
    assertThat(e[1].reported()).isNull();
    assertThat(service.snapshot().endpoints().get(1).reportedLoad()).isEmpty();
  }

  @Test
  void hotColdTakesTheFastestEndpointThatIsNotHot() throws Exception {
    ServiceState service =
        service(
            LoadBalancerPolicy.hotCold(),
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8082",
            "http://127.0.0.1:8083",
            "http://127.0.0.1:8084");
    assertThat(LoadBalancerPolicy.hotCold()).hasToString("hotCold(choices=10)");
    EndpointState[] e = states(service, 4);
    long now = time.read();
    long[] millis = {1, 2, 5, 8};
    for (int i = 0; i < 4; i++) {
      e[i].begin();
      service.onResponse(e[i], now - millis[i] * 1_000_000, now, 200);
    }
    for (int i = 0; i < 100; i++) {
      assertThat(pick(service, now)).isSameAs(e[0]);
    }
    // Three requests in flight at the fastest: above the candidates' third quartile (0.75), hot.
    for (int i = 0; i < 3; i++) {
      e[0].begin();
    }
    for (int i = 0; i < 100; i++) {
      assertThat(pick(service, now)).isSameAs(e[1]);
    }
    // The next fastest reports 29 requests from other callers: now it alone is hot, and the
    // fastest, with its 3, is below the quartile again (hot is relative to the candidates).
    e[1].begin();
    service.onResponse(
        e[1], now - 2_000_000, now, 200, "TEXT named_metrics.requests_in_flight=30", 1);
    for (int i = 0; i < 100; i++) {
      assertThat(pick(service, now)).isSameAs(e[0]);
    }
  }

  @Test
  void theHotQuantileInterpolatesBetweenRanks() {
    assertThat(Balancer.HotCold.quantile(new double[] {3, 0, 0, 0}, 0.75)).isEqualTo(0.75);
    assertThat(Balancer.HotCold.quantile(new double[] {0, 0}, 0.75)).isZero();
    assertThat(Balancer.HotCold.quantile(new double[] {4, 2}, 0.5)).isEqualTo(3.0);
  }

  @Test
  void ownCallsThatEndedBeforeTheResponseAreNotTakenForOtherCallers() throws Exception {
    ServiceState service =
        service(LoadBalancerPolicy.peakEwma(), "http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = states(service, 2)[0];
    long now = time.read();
    // Twenty calls in flight; the twentieth arrives at the server with all twenty there.
    int atSend = 0;
    for (int i = 0; i < 20; i++) {
      atSend = e.begin();
    }
    for (int i = 0; i < 19; i++) { // the nineteen others end first
      service.onResponse(e, now - 1_000_000, now, 200);
    }
    service.onResponse(
        e, now - 200_000_000, now, 200, "TEXT named_metrics.requests_in_flight=20", atSend);
    assertThat(e.othersInFlight(now)).as("all twenty were this client's").isZero();
  }

  @Test
  void aHugeReportIsCappedAndAReportFromTheFutureDoesNotGrow() throws Exception {
    ServiceState service =
        service(LoadBalancerPolicy.hotCold(), "http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState[] e = states(service, 2);
    long now = time.read();
    e[0].begin();
    service.onResponse(
        e[0], now, now + 5, 200, "TEXT named_metrics.requests_in_flight=1.7976931348623157e308", 1);
    // Read at a time before the report was stored (a pick that read the clock first).
    assertThat(e[0].othersInFlight(now)).isEqualTo(EndpointState.MAX_REPORTED_OTHERS);
    for (int i = 0; i < 50; i++) {
      assertThat(pick(service, now)).isSameAs(e[1]);
    }
  }

  @Test
  void hotColdJudgesRequestsInFlightPerUnitOfWeight() throws Exception {
    ServiceState service = service(LoadBalancerPolicy.hotCold());
    service.update(
        List.of(
            Endpoint.of("http://127.0.0.1:8081", 3),
            Endpoint.of("http://127.0.0.1:8082"),
            Endpoint.of("http://127.0.0.1:8083"),
            Endpoint.of("http://127.0.0.1:8084")));
    EndpointState[] e = new EndpointState[4];
    long now = time.read();
    // Each endpoint answers in 2 ms; then it has a call in flight, so the next pick goes elsewhere.
    for (int i = 0; i < 4; i++) {
      EndpointState s = pick(service, now);
      e[s.endpoint.url().port() - 8081] = s;
      s.begin();
      service.onResponse(s, now - 2_000_000, now, 200);
      s.begin();
    }
    assertThat(e).doesNotContainNull();
    for (EndpointState s : e) {
      s.end();
    }
    // Three in flight at the endpoint of weight 3, one at each other: the same per unit of
    // weight, so none is hot, and the big one is the cheapest per unit of weight.
    for (int i = 0; i < 3; i++) {
      e[0].begin();
    }
    for (int i = 1; i < 4; i++) {
      e[i].begin();
    }
    for (int i = 0; i < 100; i++) {
      assertThat(pick(service, now)).isSameAs(e[0]);
    }
  }
}
