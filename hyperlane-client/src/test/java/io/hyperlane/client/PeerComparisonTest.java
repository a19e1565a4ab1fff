package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntPredicate;
import java.util.function.IntToLongFunction;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/**
 * The outlier rules that compare endpoints with each other — failure rate against the median,
 * absolute failure share, latency against the median — on fake time with hand-fed outcomes: what
 * ejects, what must not (a brownout, too few calls, too few endpoints, a lone failure among peers
 * that never fail), and the bounds every rule shares.
 */
class PeerComparisonTest {

  private static final Request HTTP = new Request.Builder().url("http://inventory/").build();
  private static final long MS = 1_000_000L;

  private final FakeTime time = new FakeTime();
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  private ServiceState service(OutlierDetection outliers, int endpoints) {
    ServiceState service =
        new ServiceState(
            "inventory",
            LoadBalancerPolicy.roundRobin(),
            outliers,
            SlowStart.disabled(),
            CircuitBreakerPolicy.disabled(),
            ZonePreference.none(),
            events::add,
            time,
            time,
            time,
            CurrentThreadRandom.INSTANCE);
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      list.add(Endpoint.of("http://127.0.0.1:" + (9001 + i)));
    }
    service.update(list);
    return service;
  }

  /** Outlier detection with only the peer rules (no ejection for failures in a row). */
  private static OutlierDetection.Builder peersOnly() {
    return OutlierDetection.builder().consecutiveFailures(1000);
  }

  private EndpointState endpoint(ServiceState service, int index) {
    for (int i = 0; i < 64; i++) {
      try {
        EndpointState e = service.pick(time.read(), null, HTTP, Map.of());
        if (e.endpoint.url().port() == 9001 + index) {
          return e;
        }
      } catch (NoEndpointException ex) {
        throw new AssertionError(ex);
      }
    }
    throw new AssertionError("endpoint " + index + " never picked");
  }

  /**
   * Feeds {@code seconds} of traffic, {@code perSecond} calls a second to every endpoint; call
   * {@code n} of endpoint {@code i} fails when {@code fails.test(i * 1_000_000 + n)}, and succeeds
   * in {@code latency.applyAsLong(i)} nanoseconds otherwise. Time moves one second at a time.
   */
  private void traffic(
      ServiceState service,
      int endpoints,
      int seconds,
      int perSecond,
      IntPredicate fails,
      IntToLongFunction latency) {
    traffic(service, states(service, endpoints), seconds, perSecond, fails, latency);
  }

  private EndpointState[] states(ServiceState service, int endpoints) {
    EndpointState[] states = new EndpointState[endpoints];
    for (int i = 0; i < endpoints; i++) {
      states[i] = endpoint(service, i);
    }
    return states;
  }

  private void traffic(
      ServiceState service,
      EndpointState[] states,
      int seconds,
      int perSecond,
      IntPredicate fails,
      IntToLongFunction latency) {
    int endpoints = states.length;
    int[] sent = new int[endpoints];
    for (int s = 0; s < seconds; s++) {
      for (int c = 0; c < perSecond; c++) {
        for (int i = 0; i < endpoints; i++) {
          EndpointState e = states[i];
          long now = time.read();
          e.begin();
          if (fails.test(i * 1_000_000 + sent[i]++)) {
            service.onIoFailure(e, now, now + MS, new IOException("reset"));
          } else {
            service.onResponse(e, now, now + latency.applyAsLong(i), 200);
          }
        }
      }
      time.advance(Duration.ofSeconds(1));
    }
  }

  private List<RoutingEvent.EndpointEjected> ejections() {
    return events.stream()
        .filter(RoutingEvent.EndpointEjected.class::isInstance)
        .map(RoutingEvent.EndpointEjected.class::cast)
        .toList();
  }

  private static boolean everyNth(int call, int n) {
    return (call % 1_000_000) % n == n - 1;
  }

  @Test
  void aReplicaFailingFifteenPercentWhilePeersNeverFailIsEjectedForItsFailureRate() {
    ServiceState service = service(peersOnly().build(), 4);
    // Endpoint 2 fails every 7th call (14%); the others never fail; 20 calls a second each.
    traffic(service, 4, 8, 20, call -> call / 1_000_000 == 2 && everyNth(call, 7), i -> 2 * MS);

    assertThat(ejections()).hasSize(1);
    RoutingEvent.EndpointEjected event = ejections().get(0);
    assertThat(event.endpoint()).isEqualTo("http://127.0.0.1:9003");
    assertThat(event.reason()).isEqualTo(RoutingEvent.EjectionReason.FAILURE_RATE);
    assertThat(event.detail())
        .isEqualTo("failed 15.0% of 100 calls in the last 10 s; the median of 4 endpoints 0.0%");
    assertThat(event.duration()).isEqualTo(Duration.ofSeconds(30));
    EndpointSnapshot snapshot = service.snapshot().endpoints().get(2);
    assertThat(snapshot.ejected()).isTrue();
    assertThat(snapshot.ejectedFor()).isEqualTo(event.detail());
    assertThat(service.snapshot().endpoints().get(0).ejectedFor()).isEmpty();
  }

  @Test
  void itWaitsForTheRequestVolumeBeforeJudging() {
    ServiceState service = service(peersOnly().build(), 4);
    // 10 calls a second: 90 in the window after 9 s, below the 100 the rule asks for.
    traffic(service, 4, 9, 10, call -> call / 1_000_000 == 2 && everyNth(call, 2), i -> 2 * MS);
    assertThat(ejections()).isEmpty();

    traffic(service, 4, 3, 10, call -> call / 1_000_000 == 2 && everyNth(call, 2), i -> 2 * MS);
    assertThat(ejections()).extracting(e -> e.endpoint()).containsExactly("http://127.0.0.1:9003");
  }

  @Test
  void aLoneFailureAmongPeersThatNeverFailIsNoOutlier() {
    ServiceState service = service(peersOnly().build(), 4);
    // Endpoint 0 fails 1 call in 25 (4%: within the 5-point margin); the others never fail.
    traffic(service, 4, 12, 20, call -> call / 1_000_000 == 0 && everyNth(call, 25), i -> 2 * MS);
    assertThat(ejections()).isEmpty();
  }

  @Test
  void failuresSpreadOverEveryReplicaEjectNobody() {
    ServiceState service = service(peersOnly().build(), 5);
    // Every endpoint fails about 10% of its calls, each on its own rhythm (a brownout's errors).
    traffic(service, 5, 15, 20, call -> everyNth(call, 9 + (call / 1_000_000) % 3), i -> 50 * MS);
    assertThat(ejections()).isEmpty();
  }

  @Test
  void aSecondBadReplicaDoesNotHideTheFirst() {
    // Failure rates [0, 0, 0, 20%, 100%]: their mean is 24%, so Envoy's rule would never eject the
    // 20% replica; their median (0%) and median deviation (0) do not move for the 100% one.
    ServiceState service = service(peersOnly().maxEjectedShare(1.0).build(), 5);
    traffic(
        service,
        5,
        8,
        20,
        call -> call / 1_000_000 == 3 && everyNth(call, 5) || call / 1_000_000 == 4,
        i -> 2 * MS);
    assertThat(ejections())
        .extracting(e -> e.endpoint())
        .containsExactlyInAnyOrder("http://127.0.0.1:9004", "http://127.0.0.1:9005");
  }

  @Test
  void tooFewEndpointsWithEnoughCallsCompareNothing() {
    ServiceState service = service(peersOnly().build(), 2);
    traffic(service, 2, 12, 20, call -> call / 1_000_000 == 1 && everyNth(call, 2), i -> 2 * MS);
    assertThat(ejections()).as("two endpoints: below minimumHosts(3)").isEmpty();
  }

  @Test
  void aReplicaTenTimesSlowerThanItsPeersIsEjectedForLatency() {
    ServiceState service = service(peersOnly().build(), 4);
    traffic(service, 4, 8, 20, call -> false, i -> i == 1 ? 21 * MS : 2 * MS);

    assertThat(ejections()).hasSize(1);
    RoutingEvent.EndpointEjected event = ejections().get(0);
    assertThat(event.endpoint()).isEqualTo("http://127.0.0.1:9002");
    assertThat(event.reason()).isEqualTo(RoutingEvent.EjectionReason.LATENCY);
    assertThat(event.detail()).contains("21 ms").contains("median of 4 endpoints 2 ms");
  }

  @Test
  void attemptsOutrunByAHedgeCountTowardTheLatencyRule() {
    ServiceState service = service(peersOnly().consecutiveFailures(1000).build(), 4);
    EndpointState[] states = states(service, 4);
    for (int s = 0; s < 8; s++) {
      for (int c = 0; c < 20; c++) {
        for (int i = 0; i < 4; i++) {
          long now = time.read();
          states[i].begin();
          if (i == 1 && c % 2 == 0) {
            // Half its calls are cancelled by a hedge after 30 ms; the other half answer fast.
            service.onLostRace(states[i], now, now + 30 * MS);
          } else {
            service.onResponse(states[i], now, now + 2 * MS, 200);
          }
        }
      }
      time.advance(Duration.ofSeconds(1));
    }
    // Its mean over answers and outrun attempts is 16 ms, eight times the others' 2 ms; over its
    // answers alone it would look as fast as they are.
    assertThat(ejections())
        .extracting(e -> e.endpoint() + " " + e.reason())
        .containsExactly("http://127.0.0.1:9002 LATENCY");
  }

  @Test
  void aBrownoutOfTheWholeServiceEjectsNobodyForLatency() {
    ServiceState service = service(peersOnly().build(), 4);
    traffic(service, 4, 5, 20, call -> false, i -> 2 * MS);
    // Every endpoint slows down twentyfold at once, one a little more than the others.
    traffic(service, 4, 12, 20, call -> false, i -> i == 0 ? 60 * MS : 40 * MS);
    assertThat(ejections()).isEmpty();
  }

  @Test
  void slowerButWithinTheMarginIsNoOutlier() {
    ServiceState service = service(peersOnly().build(), 4);
    // 4 ms against 0.5 ms: eight times slower, but only 3.5 ms more (the margin is 5 ms).
    traffic(service, 4, 12, 20, call -> false, i -> i == 0 ? 4 * MS : MS / 2);
    assertThat(ejections()).isEmpty();

    ServiceState strict = service(peersOnly().latencyMargin(Duration.ofMillis(1)).build(), 4);
    traffic(strict, 4, 5, 50, call -> false, i -> i == 0 ? 4 * MS : MS / 2);
    assertThat(ejections())
        .extracting(e -> e.reason())
        .containsExactly(RoutingEvent.EjectionReason.LATENCY);
  }

  @Test
  void theCapOnEjectedEndpointsHoldsForEveryRule() {
    // One of six fails a third of its calls, another is fifteen times slower; one may be out.
    ServiceState service = service(peersOnly().maxEjectedShare(0.2).build(), 6);
    traffic(
        service,
        6,
        12,
        20,
        call -> call / 1_000_000 == 0 && everyNth(call, 3),
        i -> i == 1 ? 30 * MS : 2 * MS);
    assertThat(ejections())
        .extracting(e -> e.reason())
        .containsExactly(RoutingEvent.EjectionReason.FAILURE_RATE);
    assertThat(service.snapshot().endpoints().stream().filter(EndpointSnapshot::ejected))
        .hasSize(1);
  }

  @Test
  void theAbsoluteFailureShareIsOffByDefaultAndEjectsWhenSet() {
    ServiceState quiet = service(peersOnly().failureRateStdevFactor(0).build(), 4);
    traffic(quiet, 4, 12, 20, call -> everyNth(call, 1), i -> 2 * MS);
    assertThat(ejections()).as("off by default").isEmpty();

    ServiceState strict =
        service(peersOnly().failureRateStdevFactor(0).failureShareAbove(0.5).build(), 4);
    traffic(strict, 4, 8, 20, call -> call / 1_000_000 >= 2, i -> 2 * MS);
    assertThat(ejections())
        .extracting(e -> e.reason())
        .containsExactly(
            RoutingEvent.EjectionReason.FAILURE_SHARE, RoutingEvent.EjectionReason.FAILURE_SHARE);
  }

  @Test
  void anEndpointBackFromEjectionIsJudgedOnAFreshWindow() {
    ServiceState service = service(peersOnly().baseEjectionTime(Duration.ofSeconds(3)).build(), 4);
    traffic(service, 4, 6, 30, call -> false, i -> i == 1 ? 25 * MS : 2 * MS);
    assertThat(ejections()).hasSize(1);

    // Ejected for 3 s, during which nobody calls.
    time.advance(Duration.ofSeconds(4));
    endpoint(service, 1); // a pick readmits it
    // Healthy from now on: its slow calls before the ejection are forgotten, so it stays in.
    traffic(service, 4, 12, 30, call -> false, i -> 2 * MS);
    assertThat(ejections()).hasSize(1);
    assertThat(service.snapshot().endpoints().get(1).ejected()).isFalse();
  }

  @Test
  void nothingIsComparedWhileNobodyCallsAndNothingAfterClose() {
    ServiceState service = service(peersOnly().build(), 4);
    time.advance(Duration.ofMinutes(5));
    assertThat(time.pendingTasks()).as("an idle service schedules nothing").isZero();

    EndpointState[] states = states(service, 4);
    service.close();
    traffic(service, states, 12, 20, call -> false, i -> i == 1 ? 25 * MS : 2 * MS);
    assertThat(ejections()).isEmpty();
  }

  @Test
  void rulesChangedByAnUpdateAreTheOnesThatJudgeFromThen() {
    ServiceState service = service(peersOnly().build(), 4);
    service.update(
        LoadBalancerPolicy.roundRobin(),
        peersOnly().latencyFactor(0).build(),
        SlowStart.disabled());
    traffic(service, 4, 12, 20, call -> false, i -> i == 1 ? 25 * MS : 2 * MS);
    assertThat(ejections()).as("the latency rule was turned off").isEmpty();

    service.update(
        LoadBalancerPolicy.roundRobin(),
        peersOnly().requestVolume(30).build(),
        SlowStart.disabled());
    traffic(service, 4, 4, 20, call -> false, i -> i == 1 ? 25 * MS : 2 * MS);
    assertThat(ejections())
        .as("on again, with a smaller volume")
        .extracting(e -> e.endpoint() + " " + e.reason())
        .containsExactly("http://127.0.0.1:9002 LATENCY");
  }

  @Test
  void healthChecksCountUnlessEveryEndpointInRotationFailsThem() throws Exception {
    ServiceState service =
        service(OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(1.0).build(), 3);
    EndpointState[] e = states(service, 3);
    e[1].probeHealthy = false;
    e[2].probeHealthy = false;
    for (int i = 0; i < 30; i++) {
      assertThat(service.pick(time.read(), null, HTTP, Map.of())).isSameAs(e[0]);
    }
    // The one passing its probes is ejected: the others fail theirs, so the probes are set
    // aside, and ejection still holds.
    fail(service, e[0]);
    assertThat(e[0].ejected).isTrue();
    Set<EndpointState> picked = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      picked.add(service.pick(time.read(), null, HTTP, Map.of()));
    }
    assertThat(picked).containsExactlyInAnyOrder(e[1], e[2]);
  }

  @Test
  void endpointsFailingProbesCountAgainstTheEjectionCapWhileOthersPassThem() throws Exception {
    ServiceState service = service(OutlierDetection.builder().consecutiveFailures(1).build(), 4);
    EndpointState[] e = states(service, 4);
    e[1].probeHealthy = false;
    e[2].probeHealthy = false;
    fail(service, e[3]);
    assertThat(e[3].ejected).as("two of four are out already: the cap").isFalse();

    e[0].probeHealthy = false;
    e[3].probeHealthy = false; // every endpoint fails its probes: they are set aside
    fail(service, e[3]);
    assertThat(e[3].ejected).isTrue();
  }

  private void fail(ServiceState service, EndpointState e) {
    long now = time.read();
    e.begin();
    service.onIoFailure(e, now, now + MS, new IOException("reset"));
  }

  @Test
  void settingsAreCheckedAndNamed() {
    assertThatThrownBy(() -> OutlierDetection.builder().latencyFactor(1.2))
        .hasMessageContaining("latencyFactor");
    assertThatThrownBy(() -> OutlierDetection.builder().failureShareAbove(1.5))
        .hasMessageContaining("failureShareAbove");
    assertThatThrownBy(() -> OutlierDetection.builder().minimumHosts(1))
        .hasMessageContaining("minimumHosts");
    assertThatThrownBy(() -> OutlierDetection.builder().interval(Duration.ofMillis(10)))
        .hasMessageContaining("interval");
    assertThatThrownBy(
            () ->
                OutlierDetection.builder()
                    .interval(Duration.ofSeconds(20))
                    .window(Duration.ofSeconds(10))
                    .build())
        .hasMessageContaining("window");
    assertThat(OutlierDetection.defaults().toString())
        .contains("latency=3.0× and 5 ms")
        .contains("failureShareAbove=off");
  }
}
