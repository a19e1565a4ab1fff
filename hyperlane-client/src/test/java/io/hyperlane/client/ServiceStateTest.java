package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.hyperlane.resilience.AttemptContext;
import io.hyperlane.resilience.Attempts;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitState;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/**
 * One service's choice of endpoint, outlier ejection, slow start and discovery bookkeeping, on fake
 * time and hand-fed outcomes: every filter of {@link ServiceState#pick} on its own, every bound of
 * an ejection, and what a snapshot reports. No sockets.
 */
class ServiceStateTest {

  private static final Request HTTP = new Request.Builder().url("http://inventory/").build();
  private static final Request HTTPS = new Request.Builder().url("https://inventory/").build();
  private static final long MS = 1_000_000L;
  private static final long S = 1_000 * MS;

  private final FakeTime time = new FakeTime();
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  private OutlierDetection outliers = OutlierDetection.disabled();
  private SlowStart slowStart = SlowStart.disabled();
  private CircuitBreakerPolicy circuits = CircuitBreakerPolicy.disabled();
  private ZonePreference zones = ZonePreference.none();
  private LoadBalancerPolicy policy = LoadBalancerPolicy.roundRobin();

  private ServiceState service(Endpoint... endpoints) {
    ServiceState service =
        new ServiceState(
            "inventory",
            policy,
            outliers,
            slowStart,
            circuits,
            zones,
            events::add,
            time,
            time,
            time,
            CurrentThreadRandom.INSTANCE);
    if (endpoints.length > 0) {
      service.update(List.of(endpoints));
    }
    return service;
  }

  private ServiceState service(String... origins) {
    return service(Arrays.stream(origins).map(Endpoint::of).toArray(Endpoint[]::new));
  }

  private static EndpointState pick(ServiceState service, long now) throws NoEndpointException {
    return service.pick(now, null, HTTP, Map.of());
  }

  /** The ports picked over {@code n} round-robin picks at {@code now}, in ascending order. */
  private static Set<Integer> ports(
      ServiceState service,
      long now,
      int n,
      Request request,
      Map<String, String> subset,
      AttemptContext attempt)
      throws NoEndpointException {
    Set<Integer> ports = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      ports.add(service.pick(now, attempt, request, subset).endpoint.url().port());
    }
    return ports;
  }

  private static Set<Integer> ports(ServiceState service, long now) throws NoEndpointException {
    return ports(service, now, 12, HTTP, Map.of(), null);
  }

  private static EndpointState state(ServiceState service, int port) throws NoEndpointException {
    for (int i = 0; i < 64; i++) {
      EndpointState e = pick(service, 0);
      if (e.endpoint.url().port() == port) {
        return e;
      }
    }
    throw new AssertionError("port " + port + " never picked");
  }

  private void fail(ServiceState service, EndpointState e, int times) {
    for (int i = 0; i < times; i++) {
      long now = time.read();
      e.begin();
      service.onResponse(e, now - MS, now, 503);
    }
  }

  private <T extends ResilienceEvent> List<T> events(Class<T> type) {
    List<T> of = new ArrayList<>();
    for (ResilienceEvent e : events) {
      if (type.isInstance(e)) {
        of.add(type.cast(e));
      }
    }
    return of;
  }

  // ---- pick: what is refused

  @Test
  void aClosedServiceOrOneWithNoEndpointYetRefusesToPickSayingWhy() {
    ServiceState empty = service(new Endpoint[0]);
    assertThatThrownBy(() -> pick(empty, 0))
        .isInstanceOf(NoEndpointException.class)
        .hasMessageContaining("no endpoint yet");
    ServiceState closed = service("http://127.0.0.1:8081");
    closed.close();
    assertThatThrownBy(() -> pick(closed, 0))
        .isInstanceOf(NoEndpointException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void anHttpsCallGoesOnlyToHttpsEndpointsAndNeverInCleartextUnlessAllowed() throws Exception {
    ServiceState mixed =
        service("http://127.0.0.1:8081", "https://127.0.0.1:8443", "http://127.0.0.1:8082");
    assertThat(ports(mixed, 0, 12, HTTPS, Map.of(), null)).containsExactly(8443);
    assertThat(ports(mixed, 0, 12, HTTP, Map.of(), null)).containsExactly(8081, 8082, 8443);

    ServiceState plain = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    assertThatThrownBy(() -> plain.pick(0, null, HTTPS, Map.of()))
        .isInstanceOf(NoEndpointException.class)
        .hasMessageContaining("allowCleartext");
    plain.withTls(null, true);
    assertThat(ports(plain, 0, 12, HTTPS, Map.of(), null)).containsExactly(8081, 8082);
  }

  // ---- pick: subsets, ejection, circuits, zones, retries

  @Test
  void aSubsetNarrowsThePickAndOneThatMatchesNothingFallsBackToAll() throws Exception {
    ServiceState service =
        service(
            Endpoint.builder("http://127.0.0.1:8081").metadata("version", "v1").build(),
            Endpoint.builder("http://127.0.0.1:8082").metadata("version", "v2").build(),
            Endpoint.builder("http://127.0.0.1:8083").metadata("version", "v2").build());
    assertThat(ports(service, 0, 12, HTTP, Map.of("version", "v2"), null))
        .containsExactly(8082, 8083);
    assertThat(ports(service, 0, 12, HTTP, Map.of("version", "v1"), null)).containsExactly(8081);
    assertThat(ports(service, 0, 12, HTTP, Map.of("version", "v9"), null))
        .containsExactly(8081, 8082, 8083);
  }

  @Test
  void anEjectedEndpointIsSkippedUntilTheExactEndOfItsEjectionAndThenRampsUp() throws Exception {
    outliers =
        OutlierDetection.builder()
            .consecutiveFailures(2)
            .baseEjectionTime(Duration.ofSeconds(10))
            .build();
    slowStart = SlowStart.of(Duration.ofSeconds(20), 0.1);
    ServiceState service =
        service("http://127.0.0.1:8081", "http://127.0.0.1:8082", "http://127.0.0.1:8083");
    EndpointState bad = state(service, 8082);
    fail(service, bad, 1);
    assertThat(bad.ejected).as("one failure of two").isFalse();
    fail(service, bad, 1);
    assertThat(bad.ejected).isTrue();
    long ejectedAt = time.read();
    assertThat(bad.ejectedUntilNanos).isEqualTo(ejectedAt + 10 * S);
    assertThat(bad.consecutiveFailures.get()).as("reset by the ejection").isZero();
    assertThat(events(RoutingEvent.EndpointEjected.class))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.endpoint()).isEqualTo("http://127.0.0.1:8082");
              assertThat(e.duration()).isEqualTo(Duration.ofSeconds(10));
              assertThat(e.failures()).isEqualTo(2);
            });

    assertThat(ports(service, ejectedAt + 10 * S - 1)).containsExactly(8081, 8083);
    assertThat(service.snapshot().endpoints().get(1).ejected()).isTrue();
    assertThat(service.snapshot().endpoints().get(1).effectiveWeight()).isZero();
    assertThat(events(RoutingEvent.EndpointReturned.class)).isEmpty();

    long back = ejectedAt + 10 * S;
    // at a tenth of its weight, it gets one pick in 21
    assertThat(ports(service, back, 21, HTTP, Map.of(), null)).containsExactly(8081, 8082, 8083);
    assertThat(bad.ejected).isFalse();
    assertThat(bad.ramping).as("a returning endpoint ramps up").isTrue();
    assertThat(bad.rampStartNanos).isEqualTo(back);
    assertThat(events(RoutingEvent.EndpointReturned.class))
        .singleElement()
        .satisfies(e -> assertThat(e.endpoint()).isEqualTo("http://127.0.0.1:8082"));
    assertThat(service.effectiveWeight(bad, back + 5 * S)).isEqualTo(0.25);
    assertThat(service.effectiveWeight(bad, back + 20 * S - 1)).isLessThan(1.0);
    assertThat(bad.ramping).isTrue();
    assertThat(service.effectiveWeight(bad, back + 20 * S)).isEqualTo(1.0);
    assertThat(bad.ramping).as("the ramp ends with its window").isFalse();
  }

  @Test
  void whenEveryEndpointIsEjectedAllOfThemAreUsed() throws Exception {
    outliers = OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(1.0).build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    fail(service, state(service, 8081), 1);
    fail(service, state(service, 8082), 1);
    assertThat(state(service, 8081).ejected).isTrue();
    assertThat(state(service, 8082).ejected).isTrue();
    assertThat(ports(service, time.read())).containsExactly(8081, 8082);
  }

  @Test
  void anOpenCircuitTakesItsEndpointOutAndItsProbeGoesFirstOnceTheWaitIsOver() throws Exception {
    circuits = openAfterTwoFailures();
    ServiceState service =
        service("http://127.0.0.1:8081", "http://127.0.0.1:8082", "http://127.0.0.1:8083");
    EndpointState bad = state(service, 8083);
    fail(service, bad, 2);
    assertThat(bad.circuit.state()).isEqualTo(CircuitState.OPEN);
    assertThat(ports(service, time.read())).containsExactly(8081, 8082);
    assertThat(service.snapshot().endpoints().get(2).circuit()).isEqualTo("OPEN");
    assertThat(service.snapshot().endpoints().get(2).effectiveWeight()).isZero();

    time.advance(Duration.ofSeconds(5).plusMillis(1)); // Resilience4j waits strictly longer
    assertThat(pick(service, time.read()).endpoint.url().port()).as("the probe").isEqualTo(8083);
    assertThat(bad.circuit.state()).isEqualTo(CircuitState.HALF_OPEN);
    assertThat(ports(service, time.read())).as("one probe at a time").containsExactly(8081, 8082);
    bad.begin();
    service.onResponse(bad, time.read() - MS, time.read(), 200);
    assertThat(bad.circuit.state()).isEqualTo(CircuitState.CLOSED);
    assertThat(ports(service, time.read())).containsExactly(8081, 8082, 8083);
  }

  @Test
  void theOnlyEndpointIsUsedEvenWithItsCircuitOpenAndStillHalfOpensInTime() throws Exception {
    circuits = openAfterTwoFailures();
    ServiceState service = service("http://127.0.0.1:8081");
    EndpointState only = pick(service, 0);
    fail(service, only, 2);
    assertThat(only.circuit.state()).isEqualTo(CircuitState.OPEN);
    assertThat(pick(service, time.read())).isSameAs(only);
    time.advance(Duration.ofSeconds(5).plusMillis(1));
    assertThat(pick(service, time.read())).isSameAs(only);
    assertThat(only.circuit.state()).isEqualTo(CircuitState.HALF_OPEN);
  }

  @Test
  void theLocalZoneIsPreferredWhileEnoughOfItIsHealthy() throws Exception {
    zones = ZonePreference.local("a").minHealthyShare(0.5);
    outliers = OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(1.0).build();
    ServiceState service =
        service(
            Endpoint.builder("http://127.0.0.1:8081").zone("a").build(),
            Endpoint.builder("http://127.0.0.1:8082").zone("a").build(),
            Endpoint.builder("http://127.0.0.1:8083").zone("b").build(),
            Endpoint.builder("http://127.0.0.1:8084").zone("b").build());
    assertThat(ports(service, time.read())).containsExactly(8081, 8082);
    fail(service, state(service, 8081), 1); // one of two local: exactly the share
    assertThat(ports(service, time.read())).containsExactly(8082);
    fail(service, state(service, 8082), 1); // none healthy: every healthy endpoint
    assertThat(ports(service, time.read())).containsExactly(8083, 8084);
  }

  @Test
  void belowTheHealthyShareCallsSpillToEveryHealthyEndpoint() throws Exception {
    zones = ZonePreference.local("a").minHealthyShare(0.7);
    outliers = OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(1.0).build();
    ServiceState service =
        service(
            Endpoint.builder("http://127.0.0.1:8081").zone("a").build(),
            Endpoint.builder("http://127.0.0.1:8082").zone("a").build(),
            Endpoint.builder("http://127.0.0.1:8083").zone("b").build());
    fail(service, state(service, 8081), 1); // 1 of 2 healthy < 0.7
    assertThat(ports(service, time.read())).containsExactly(8082, 8083);

    ServiceState elsewhere =
        service(
            Endpoint.builder("http://127.0.0.1:8083").zone("b").build(),
            Endpoint.builder("http://127.0.0.1:8084").zone("c").build());
    assertThat(ports(elsewhere, time.read())).containsExactly(8083, 8084);
  }

  @Test
  void aRetryGoesToAnEndpointItsCallHasNotTriedAndEveryPickIsRecorded() throws Exception {
    ServiceState service =
        service("http://127.0.0.1:8081", "http://127.0.0.1:8082", "http://127.0.0.1:8083");
    AttemptContext first = Attempts.after(0);
    EndpointState e = service.pick(0, first, HTTP, Map.of());
    assertThat(first.tried()).containsExactly(e.endpoint.origin());

    for (int i = 0; i < 6; i++) {
      AttemptContext retry = Attempts.after(1, "http://127.0.0.1:8081", "http://127.0.0.1:8083");
      assertThat(service.pick(0, retry, HTTP, Map.of()).endpoint.url().port()).isEqualTo(8082);
      assertThat(retry.tried()).endsWith("http://127.0.0.1:8082");
    }

    Set<Integer> firstAttempts = new TreeSet<>();
    for (int i = 0; i < 6; i++) {
      AttemptContext notRetry = Attempts.after(0, "http://127.0.0.1:8081", "http://127.0.0.1:8083");
      firstAttempts.add(service.pick(0, notRetry, HTTP, Map.of()).endpoint.url().port());
    }
    assertThat(firstAttempts)
        .as("a first attempt takes whatever the balancer says")
        .containsExactly(8081, 8082, 8083);

    AttemptContext allTried =
        Attempts.after(
            2, "http://127.0.0.1:8081", "http://127.0.0.1:8082", "http://127.0.0.1:8083");
    assertThat(ports(service, 0, 6, HTTP, Map.of(), allTried)).containsExactly(8081, 8082, 8083);
  }

  // ---- outcomes and ejection

  @Test
  void aStatusBelow500IsASuccessThatResetsTheFailuresInARow() throws Exception {
    outliers = OutlierDetection.builder().consecutiveFailures(2).build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8081);
    fail(service, e, 1);
    e.begin();
    service.onResponse(e, time.read() - MS, time.read(), 499);
    assertThat(e.consecutiveFailures.get()).isZero();
    assertThat(e.inFlight()).isZero();
    fail(service, e, 1);
    assertThat(e.ejected).isFalse();
    assertThat(e.failures()).isEqualTo(2);
    assertThat(e.requests()).isEqualTo(3);
    fail(service, e, 1);
    assertThat(e.ejected).isTrue();
  }

  @Test
  void ioFailuresAndLostRacesCountTowardEjectionButACancelDoesNot() throws Exception {
    outliers = OutlierDetection.builder().consecutiveFailures(3).build();
    circuits = CircuitBreakerPolicy.endpointDefaults();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8081);
    long now = time.read();
    for (int i = 0; i < 5; i++) {
      e.begin();
      service.onCancelled(e, now - MS, now);
    }
    assertThat(e.consecutiveFailures.get()).isZero();
    e.begin();
    service.onIoFailure(e, now - MS, now, new IOException("reset"));
    e.begin();
    service.onLostRace(e, now - MS, now);
    assertThat(e.ejected).isFalse();
    assertThat(e.failures()).as("a lost race is no failure").isEqualTo(1);
    assertThat(e.lostRaces()).isEqualTo(1);
    e.begin();
    service.onLostRace(e, now - MS, now);
    assertThat(e.ejected).isTrue();
    assertThat(e.inFlight()).isZero();
    assertThat(events(RoutingEvent.EndpointEjected.class))
        .singleElement()
        .satisfies(ev -> assertThat(ev.failures()).isEqualTo(3));
  }

  @Test
  void disabledDetectionNeverEjects() throws Exception {
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8081);
    fail(service, e, 50);
    assertThat(e.ejected).isFalse();
    assertThat(e.consecutiveFailures.get()).isEqualTo(50);
  }

  @Test
  void theEjectedShareIsBoundedRoundingDownButOneIsAlwaysAllowed() throws Exception {
    outliers = OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(0.5).build();
    ServiceState five =
        service(
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8082",
            "http://127.0.0.1:8083",
            "http://127.0.0.1:8084",
            "http://127.0.0.1:8085");
    for (int port = 8081; port <= 8085; port++) {
      fail(five, state(five, port), 1);
    }
    assertThat(five.snapshot().endpoints()).filteredOn(EndpointSnapshot::ejected).hasSize(2);

    outliers = OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(0.1).build();
    ServiceState two = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    fail(two, state(two, 8081), 1);
    fail(two, state(two, 8082), 1);
    assertThat(two.snapshot().endpoints()).filteredOn(EndpointSnapshot::ejected).hasSize(1);
  }

  @Test
  void anEjectionThatHasRunOutNoLongerCountsAgainstTheShare() throws Exception {
    outliers =
        OutlierDetection.builder()
            .consecutiveFailures(1)
            .maxEjectedShare(0.5)
            .baseEjectionTime(Duration.ofSeconds(10))
            .build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState a = state(service, 8081);
    EndpointState b = state(service, 8082);
    fail(service, a, 1);
    assertThat(a.ejected).isTrue();
    time.advance(Duration.ofSeconds(10)); // a's ejection ran out but nothing readmitted it yet
    fail(service, b, 1);
    assertThat(b.ejected).isTrue();
  }

  @Test
  void anEndpointThatLeftOrAClosedServiceIsNeverEjected() throws Exception {
    outliers = OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(1.0).build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState leaving = state(service, 8081);
    service.update(
        List.of(Endpoint.of("http://127.0.0.1:8082"), Endpoint.of("http://127.0.0.1:8083")));
    fail(service, leaving, 1);
    assertThat(leaving.ejected).as("its answer came after it left").isFalse();

    EndpointState staying = state(service, 8082);
    service.close();
    fail(service, staying, 1);
    assertThat(staying.ejected).isFalse();
  }

  @Test
  void anEjectionWaitingForTheLockCountsAgainstTheSetDiscoveryPublishedMeanwhile()
      throws Exception {
    outliers = OutlierDetection.builder().consecutiveFailures(1).maxEjectedShare(1.0).build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState leaving = state(service, 8081);
    Thread failing;
    synchronized (service) { // what discovery's update holds while it publishes a new set
      failing = new Thread(() -> fail(service, leaving, 1));
      failing.start();
      long giveUp = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (failing.getState() != Thread.State.BLOCKED) {
        assertThat(System.nanoTime()).as("the ejection reached the lock").isLessThan(giveUp);
        Thread.onSpinWait();
      }
      service.update(
          List.of(Endpoint.of("http://127.0.0.1:8082"), Endpoint.of("http://127.0.0.1:8083")));
    }
    failing.join(10_000);
    assertThat(leaving.ejected).as("it left while the ejection waited").isFalse();
    assertThat(events).noneMatch(e -> e instanceof RoutingEvent.EndpointEjected);
  }

  @Test
  void ejectionsInARowGrowToTheMaximumAndHealthyPeriodsForgiveThem() throws Exception {
    outliers =
        OutlierDetection.builder()
            .consecutiveFailures(1)
            .maxEjectedShare(1.0)
            .baseEjectionTime(Duration.ofSeconds(10))
            .maxEjectionTime(Duration.ofSeconds(35))
            .build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8081);
    long[] expected = {10, 20, 30, 35, 35, 35};
    for (long seconds : expected) {
      fail(service, e, 1);
      assertThat(e.ejectedUntilNanos - time.read()).isEqualTo(seconds * S);
      time.advance(Duration.ofSeconds(seconds));
      pick(service, time.read()); // readmits it
      assertThat(e.ejected).isFalse();
      assertThat(e.returnedAtNanos).isEqualTo(time.read());
    }
    assertThat(e.recentEjections).as("the multiplier stops at the maximum").isEqualTo(4);
    assertThat(service.snapshot().endpoints().get(0).ejections()).isEqualTo(6);

    time.advance(Duration.ofSeconds(29)); // two whole healthy periods forgive two ejections
    fail(service, e, 1);
    assertThat(e.recentEjections).isEqualTo(3);
    assertThat(e.ejectedUntilNanos - time.read()).isEqualTo(30 * S);
    time.advance(Duration.ofSeconds(30));
    pick(service, time.read());
    time.advance(Duration.ofSeconds(1000)); // a long healthy time forgives them all
    fail(service, e, 1);
    assertThat(e.recentEjections).isEqualTo(1);
    assertThat(e.ejectedUntilNanos - time.read()).isEqualTo(10 * S);
  }

  @Test
  void withTheLongestBaseAndMaximumTheMultiplierStopsAtTheirRatio() throws Exception {
    outliers =
        OutlierDetection.builder()
            .consecutiveFailures(1)
            .maxEjectedShare(1.0)
            .baseEjectionTime(Duration.ofHours(1))
            .maxEjectionTime(Duration.ofDays(1))
            .build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8081);
    for (int i = 1; i <= 30; i++) {
      fail(service, e, 1);
      assertThat(e.ejectedUntilNanos - time.read())
          .isEqualTo(Duration.ofHours(Math.min(i, 24)).toNanos());
      time.advance(Duration.ofHours(Math.min(i, 24)));
      pick(service, time.read());
    }
    assertThat(e.recentEjections).isEqualTo(24);
  }

  // ---- slow start and discovery

  @Test
  void theFirstSetStartsTogetherAndLaterArrivalsRampUp() throws Exception {
    slowStart = SlowStart.of(Duration.ofSeconds(10), 0.1);
    ServiceState service = service("http://127.0.0.1:8081");
    EndpointState first = pick(service, 0);
    assertThat(first.ramping).isFalse();
    assertThat(service.effectiveWeight(first, time.read())).isEqualTo(1.0);
    service.update(
        List.of(Endpoint.of("http://127.0.0.1:8081"), Endpoint.of("http://127.0.0.1:8082", 4)));
    EndpointState later = state(service, 8082);
    assertThat(later.ramping).isTrue();
    assertThat(service.effectiveWeight(later, time.read())).isEqualTo(0.4); // 4 × the minimum
    assertThat(service.effectiveWeight(later, time.read() + 5 * S)).isEqualTo(2.0);
    assertThat(service.snapshot().endpoints().get(1).effectiveWeight()).isEqualTo(0.4);
    assertThat(service.snapshot().endpoints().get(1).weight()).isEqualTo(4);
  }

  @Test
  void withSlowStartOffAReturningEndpointTakesItsFullShareAtOnce() throws Exception {
    outliers = OutlierDetection.builder().consecutiveFailures(1).build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8081);
    fail(service, e, 1);
    time.advance(outliers.baseEjectionTime());
    assertThat(ports(service, time.read())).containsExactly(8081, 8082);
    assertThat(e.ramping).isFalse();
    assertThat(service.effectiveWeight(e, time.read())).isEqualTo(1.0);
  }

  @Test
  void aChangedWeightZoneOrMetadataIsTakenWhileTheStatisticsStay() throws Exception {
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8081);
    fail(service, e, 2);
    service.update(
        List.of(
            Endpoint.builder("http://127.0.0.1:8081")
                .weight(3)
                .zone("z")
                .metadata("v", "2")
                .build(),
            Endpoint.of("http://127.0.0.1:8082")));
    EndpointState after = state(service, 8081);
    assertThat(after).isSameAs(e);
    assertThat(after.endpoint.weight()).isEqualTo(3);
    assertThat(after.endpoint.zone()).isEqualTo("z");
    assertThat(after.endpoint.metadata()).containsEntry("v", "2");
    assertThat(after.failures()).isEqualTo(2);
    assertThat(ports(service, 0, 4, HTTP, Map.of("v", "2"), null)).containsExactly(8081);
  }

  @Test
  void aSetOfAnotherSizeOrWithOtherEndpointsReplacesTheCurrentOne() throws Exception {
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    service.update(List.of(Endpoint.of("http://127.0.0.1:8081")));
    assertThat(ports(service, 0)).containsExactly(8081);
    service.update(List.of(Endpoint.of("http://127.0.0.1:8083")));
    assertThat(ports(service, 0)).containsExactly(8083);
    assertThat(service.hasEndpointHost("127.0.0.1")).isTrue();
    assertThat(service.hasEndpointHost("127.0.0.2")).isFalse();
  }

  @Test
  void discoveryFailuresKeepTheLastSetAndAreReportedOnceUntilItRecovers() throws Exception {
    ServiceState service = service("http://127.0.0.1:8081");
    service.failed(new IOException("registry down"));
    service.failed(new IOException("still down"));
    assertThat(events(RoutingEvent.DiscoveryFailed.class))
        .extracting(RoutingEvent.DiscoveryFailed::cause)
        .containsExactly("java.io.IOException: registry down", "java.io.IOException: still down");
    assertThat(service.snapshot().discoveryFailures()).isEqualTo(2);
    assertThat(ports(service, 0)).containsExactly(8081);
    assertThat(events(RoutingEvent.DiscoveryRecovered.class)).isEmpty();
    service.update(List.of(Endpoint.of("http://127.0.0.1:8081")));
    assertThat(events(RoutingEvent.DiscoveryRecovered.class))
        .singleElement()
        .satisfies(e -> assertThat(e.endpoints()).isEqualTo(1));
    service.update(List.of(Endpoint.of("http://127.0.0.1:8082")));
    assertThat(events(RoutingEvent.DiscoveryRecovered.class)).hasSize(1);

    service.close();
    service.failed(new IOException("after close"));
    service.update(List.of(Endpoint.of("http://127.0.0.1:8083")));
    assertThat(events(RoutingEvent.DiscoveryFailed.class)).hasSize(2);
    assertThat(service.snapshot().endpoints())
        .extracting(EndpointSnapshot::origin)
        .containsExactly("http://127.0.0.1:8082");
  }

  @Test
  void awaitingTheFirstSetSaysWhatWentWrong() {
    ServiceState service = service(new Endpoint[0]);
    assertThat(service.awaitEndpoints(Duration.ZERO)).isEqualTo("its discovery delivered nothing");
    service.failed(new IOException("no route"));
    assertThat(service.awaitEndpoints(Duration.ZERO)).isEqualTo("java.io.IOException: no route");
    service.update(List.of(Endpoint.of("http://127.0.0.1:8081")));
    assertThat(service.awaitEndpoints(Duration.ZERO)).isNull();
  }

  @Test
  void discoveryRunsOnTheInstancesClockTimersAndBlockingExecutor() {
    ServiceState service = service(new Endpoint[0]);
    assertThat(service.serviceName()).isEqualTo("inventory");
    assertThat(service.ticker()).isSameAs(time);
    assertThat(service.scheduler()).isSameAs(time);
    assertThat(service.blockingExecutor()).isSameAs(time);
  }

  @Test
  void anInterruptedWaitForTheFirstSetSaysSoAndKeepsTheInterrupt() {
    ServiceState service = service(new Endpoint[0]);
    Thread.currentThread().interrupt();
    try {
      assertThat(service.awaitEndpoints(Duration.ofSeconds(10)))
          .isEqualTo("interrupted while waiting");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void aDiscoveryThatFailsToStartOrStopIsReportedAndTheSubscriptionEndsWithTheService() {
    ServiceState failing = service(new Endpoint[0]);
    failing.start(
        context -> {
          throw new IllegalStateException("bad registry address");
        });
    assertThat(events(RoutingEvent.DiscoveryFailed.class))
        .singleElement()
        .satisfies(e -> assertThat(e.cause()).contains("bad registry address"));

    AtomicInteger cancelled = new AtomicInteger();
    ServiceState service = service(new Endpoint[0]);
    service.start(
        context -> {
          context.update(List.of(Endpoint.of("http://127.0.0.1:8081")));
          return cancelled::incrementAndGet;
        });
    assertThat(service.snapshot().endpoints()).hasSize(1);
    service.close();
    service.close();
    assertThat(cancelled).hasValue(1);

    ServiceState noisy = service(new Endpoint[0]);
    noisy.start(
        context ->
            () -> {
              throw new IllegalStateException("cannot stop");
            });
    noisy.close(); // logged, not thrown
    assertThatThrownBy(() -> pick(noisy, 0)).isInstanceOf(NoEndpointException.class);
  }

  @Test
  void aServiceClosedWhileItsDiscoveryStartsCancelsTheSubscriptionAtOnce() {
    AtomicInteger cancelled = new AtomicInteger();
    ServiceState service = service(new Endpoint[0]);
    service.start(
        context -> {
          service.close();
          return cancelled::incrementAndGet;
        });
    assertThat(cancelled).hasValue(1);
  }

  @Test
  void aSnapshotReportsEachEndpointsLoadLatencyAndOutcomes() throws Exception {
    policy = LoadBalancerPolicy.peakEwma(Duration.ofSeconds(10), Duration.ofSeconds(1));
    ServiceState service =
        service(
            Endpoint.builder("http://127.0.0.1:8081")
                .zone("a")
                .metadata("v", "1")
                .weight(2)
                .build());
    EndpointState e = pick(service, 0);
    e.begin();
    e.begin();
    service.onResponse(e, time.read() - 30 * MS, time.read(), 200);
    EndpointSnapshot s = service.snapshot().endpoints().get(0);
    assertThat(s.origin()).isEqualTo("http://127.0.0.1:8081");
    assertThat(s.weight()).isEqualTo(2);
    assertThat(s.effectiveWeight()).isEqualTo(2.0);
    assertThat(s.inFlight()).isEqualTo(1);
    assertThat(s.latencyEwma()).isEqualTo(Duration.ofMillis(30));
    assertThat(s.requests()).isEqualTo(1);
    assertThat(s.failures()).isZero();
    assertThat(s.ejected()).isFalse();
    assertThat(s.circuit()).isEqualTo("NONE");
    assertThat(s.zone()).isEqualTo("a");
    assertThat(s.metadata()).isEqualTo(new TreeMap<>(Map.of("v", "1")));
    service.onResponse(e, time.read() - 2 * MS, time.read(), 500);
    EndpointSnapshot failed = service.snapshot().endpoints().get(0);
    assertThat(failed.balancerLatency())
        .as("a 5xx counts as the penalty for the balancer")
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(failed.latencyEwma())
        .as("what it answered in keeps no penalty")
        .isLessThan(Duration.ofMillis(100));
    assertThat(service.snapshot().name()).isEqualTo("inventory");
  }

  // ---- circuits, logs and the paths that feed them

  /** Opens on two failures in two calls, for 5 s, then lets one probe through. */
  private static CircuitBreakerPolicy openAfterTwoFailures() {
    return CircuitBreakerPolicy.of(
        CircuitBreakerConfig.custom()
            .slidingWindowSize(2)
            .minimumNumberOfCalls(2)
            .failureRateThreshold(50)
            .waitDurationInOpenState(Duration.ofSeconds(5))
            .permittedNumberOfCallsInHalfOpenState(1)
            .build());
  }

  private static CircuitBreakerPolicy slowCalls() {
    return CircuitBreakerPolicy.of(
        CircuitBreakerConfig.custom()
            .slidingWindowSize(2)
            .minimumNumberOfCalls(2)
            .failureRateThreshold(100)
            .slowCallDurationThreshold(Duration.ofMillis(100))
            .slowCallRateThreshold(50)
            .build());
  }

  @Test
  void fastCallsAreNeverSlowCallsWhicheverWayTheyEnd() throws Exception {
    circuits = slowCalls();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8081);
    long now = time.read();
    e.begin();
    service.onResponse(e, now - MS, now, 200);
    e.begin();
    service.onResponse(e, now - MS, now, 500);
    assertThat(e.circuit.state())
        .as("one failure in two, no slow call")
        .isEqualTo(CircuitState.CLOSED);

    ServiceState other = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState f = state(other, 8081);
    f.begin();
    other.onIoFailure(f, now - MS, now, new IOException("reset"));
    f.begin();
    other.onResponse(f, now - MS, now, 200);
    assertThat(f.circuit.state()).isEqualTo(CircuitState.CLOSED);
    assertThat(f.circuit.circuit().getMetrics().getNumberOfFailedCalls()).isEqualTo(1);

    f.begin();
    other.onResponse(f, now - 200 * MS, now, 200);
    f.begin();
    other.onResponse(f, now - 200 * MS, now, 200);
    assertThat(f.circuit.state()).as("two slow calls").isEqualTo(CircuitState.OPEN);
  }

  @Test
  void ioFailuresOpenAnEndpointsCircuitAndEveryChangeIsAnEventAndAnOpeningAWarning()
      throws Exception {
    circuits = openAfterTwoFailures();
    try (LogCapture logs = new LogCapture()) {
      ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
      EndpointState e = state(service, 8082);
      for (int i = 0; i < 2; i++) {
        e.begin();
        service.onIoFailure(e, time.read() - MS, time.read(), new IOException("reset"));
      }
      assertThat(e.circuit.state()).isEqualTo(CircuitState.OPEN);
      time.advance(Duration.ofSeconds(5).plusMillis(1));
      EndpointState probe = pick(service, time.read());
      assertThat(probe).isSameAs(e);
      probe.begin();
      service.onResponse(probe, time.read() - MS, time.read(), 200);
      assertThat(events(ResilienceEvent.CircuitStateChanged.class))
          .extracting(ResilienceEvent.CircuitStateChanged::to)
          .containsExactly(CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.CLOSED);
      assertThat(events(ResilienceEvent.CircuitStateChanged.class))
          .allSatisfy(
              c -> {
                assertThat(c.endpoint()).isEqualTo("http://127.0.0.1:8082");
                assertThat(c.service()).isEqualTo("inventory");
              });
      assertThat(logs.lines("WARN"))
          .filteredOn(l -> l.contains("circuit of endpoint"))
          .singleElement()
          .asString()
          .contains("http://127.0.0.1:8082", "inventory", "100.0%");
    }
  }

  @Test
  void aProbeCancelledByItsCallerGivesItsPermissionBack() throws Exception {
    circuits = openAfterTwoFailures();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState e = state(service, 8082);
    fail(service, e, 2);
    time.advance(Duration.ofSeconds(5).plusMillis(1));
    EndpointState probe = pick(service, time.read());
    assertThat(probe).isSameAs(e);
    assertThat(ports(service, time.read())).containsExactly(8081);
    probe.begin();
    service.onCancelled(probe, time.read() - MS, time.read());
    assertThat(pick(service, time.read())).as("probed again").isSameAs(e);
  }

  @Test
  void theCallThatEndsAnEjectionCanGoToTheEndpointItReadmits() throws Exception {
    policy = LoadBalancerPolicy.leastInFlight();
    outliers =
        OutlierDetection.builder()
            .consecutiveFailures(1)
            .baseEjectionTime(Duration.ofSeconds(10))
            .build();
    ServiceState service = service("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    EndpointState a = state(service, 8081);
    EndpointState b = state(service, 8082);
    for (int i = 0; i < 5; i++) {
      b.begin();
    }
    fail(service, a, 1);
    assertThat(pick(service, time.read())).isSameAs(b);
    assertThat(pick(service, time.read() + 10 * S)).as("idle, and back").isSameAs(a);
  }

  @Test
  void badDiscoveryAnswersAreLoggedOnceAndNamedForWhatTheyAre() {
    try (LogCapture logs = new LogCapture()) {
      ServiceState service = service(new Endpoint[0]);
      List<Endpoint> withNulls = new ArrayList<>();
      withNulls.add(null);
      withNulls.add(Endpoint.of("http://127.0.0.1:8081"));
      withNulls.add(null);
      service.update(withNulls);
      assertThat(logs.lines("WARN"))
          .singleElement()
          .asString()
          .contains("delivered 2 null endpoints");
      service.update(Collections.singletonList(null));
      service.update(List.of());
      service.update(null);
      assertThat(events(RoutingEvent.DiscoveryFailed.class))
          .extracting(RoutingEvent.DiscoveryFailed::cause)
          .containsExactly(
              "java.lang.IllegalArgumentException: discovery delivered only null endpoints",
              "java.lang.IllegalArgumentException: discovery delivered an empty endpoint set",
              "java.lang.IllegalArgumentException: discovery delivered an empty endpoint set");
      assertThat(logs.lines("WARN"))
          .filteredOn(l -> l.contains("keeping the last"))
          .as("an outage warns once")
          .singleElement()
          .asString()
          .contains("keeping the last 1 known endpoints");
      service.update(List.of(Endpoint.of("http://127.0.0.1:8081")));
      assertThat(logs.lines("INFO"))
          .filteredOn(l -> l.contains("recovered with 1 endpoints"))
          .hasSize(1);
      service.failed(new IOException("down again"));
      assertThat(logs.lines("WARN"))
          .filteredOn(l -> l.contains("keeping the last"))
          .as("a new outage warns again")
          .hasSize(2);
    }
  }
}
