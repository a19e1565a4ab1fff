package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Hedging on real time: a replica 3 s slow against hedging delays of tens of milliseconds, so the
 * outcome never depends on how busy the machine is.
 */
class HedgingTest extends LoopbackTest {

  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  private Hyperlane.Builder builder(HedgingPolicy hedging) {
    return Hyperlane.builder()
        .listener(events::add)
        .hedging(hedging)
        .loadBalancer(LoadBalancerPolicy.roundRobin()) // the first call goes to replica 0
        .outlierDetection(OutlierDetection.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .slowStart(SlowStart.disabled());
  }

  private EndpointSnapshot endpoint(Hyperlane hyperlane, int replica) {
    return hyperlane.snapshot().service("inventory").endpoint(replicas.url(replica)).orElseThrow();
  }

  @Test
  void aSlowCallIsHedgedOnAnotherEndpointAndTheLoserIsCancelled() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 3_000);
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(50), 1))
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      long started = System.nanoTime();
      assertThat(Replicas.get(client, "http://inventory/items/1")).isEqualTo(1);
      assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(2));
      assertThat(events)
          .singleElement()
          .isInstanceOfSatisfying(
              ResilienceEvent.Hedge.class,
              e -> assertThat(e.delay()).isGreaterThanOrEqualTo(Duration.ofMillis(50)));
      assertThat(replicas.received(0)).as("the primary reached the slow replica").isEqualTo(1);

      // The losing call is cancelled: the client frees it, and it counts as no failure.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (endpoint(hyperlane, 0).inFlight() > 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      EndpointSnapshot loser = endpoint(hyperlane, 0);
      assertThat(loser.inFlight()).isZero();
      assertThat(loser.failures()).isZero();
      assertThat(System.nanoTime() - started)
          .as("freed long before the slow answer")
          .isLessThan(TimeUnit.MILLISECONDS.toNanos(2_500));
    }
  }

  @Test
  void attemptInterceptorsSeeThePrimaryAndTheHedgeWithTheirEndpoints() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 3_000);
    List<String> attempts = new CopyOnWriteArrayList<>();
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(50), 1))
            .attemptInterceptor(
                chain -> {
                  attempts.add(chain.request().url().toString());
                  return chain.proceed(chain.request());
                })
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/items/1")).isEqualTo(1);
      assertThat(attempts)
          .containsExactly(replicas.url(0) + "/items/1", replicas.url(1) + "/items/1");
    }
  }

  @Test
  void aReplicaThatKeepsLosingToHedgesIsEjectedThoughNoCallFailed() throws Exception {
    // Replica 0 accepts and does not answer for 3 s: every hedge outruns it, so no call fails and
    // none of its attempts ends by itself, yet three lost races in a row eject it.
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 3_000);
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(50), 1))
            .outlierDetection(OutlierDetection.builder().consecutiveFailures(3).build())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 6; i++) { // round robin: calls 0, 2 and 4 start on replica 0
        assertThat(Replicas.get(client, "http://inventory/items/" + i)).isEqualTo(1);
      }
      assertThat(events).filteredOn(ResilienceEvent.Hedge.class::isInstance).hasSize(3);
      EndpointSnapshot silent = endpoint(hyperlane, 0);
      assertThat(silent.ejected()).isTrue();
      assertThat(silent.failures()).as("a lost race is no failure of a call").isZero();
      assertThat(silent.lostRaces()).isEqualTo(3);
      assertThat(endpoint(hyperlane, 1).ejected()).isFalse();

      events.clear();
      for (int i = 0; i < 4; i++) {
        assertThat(Replicas.get(client, "http://inventory/after/" + i)).isEqualTo(1);
      }
      assertThat(events).as("nothing goes to the ejected replica, so nothing is hedged").isEmpty();
      assertThat(replicas.received(0)).isEqualTo(3);
    }
  }

  @Test
  void aHedgeThatLosesToTheFirstAttemptIsNoMarkAgainstItsEndpoint() throws Exception {
    // Replica 0 answers in 150 ms, after the 50 ms hedge went to replica 1, which takes 3 s: the
    // first attempt wins, and the hedge, sent later, lost no race.
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 150);
    replicas.answer(1, 200, 3_000);
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(50), 1))
            .outlierDetection(OutlierDetection.builder().consecutiveFailures(1).build())
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/items/1")).isEqualTo(0);
      assertThat(events).filteredOn(ResilienceEvent.Hedge.class::isInstance).hasSize(1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (endpoint(hyperlane, 1).inFlight() > 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // the cancelled hedge is accounted for on its own thread
      }
      assertThat(endpoint(hyperlane, 1).inFlight()).isZero();
      assertThat(endpoint(hyperlane, 1).ejected()).isFalse();
      assertThat(endpoint(hyperlane, 1).lostRaces()).isZero();
      assertThat(endpoint(hyperlane, 0).ejected()).isFalse();
    }
  }

  @Test
  void aPostIsNeverHedged() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 300);
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(20), 1))
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request post =
          new Request.Builder()
              .url("http://inventory/orders")
              .post(RequestBody.create("{}", MediaType.get("application/json")))
              .build();
      try (Response response = client.newCall(post).execute()) {
        assertThat(response.header("X-Replica")).isEqualTo("0");
      }
      assertThat(replicas.received(1)).isZero();
      assertThat(events).isEmpty();
    }
  }

  @Test
  void hedgingWorksWithRetriesTurnedOff() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 3_000);
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(50), 1))
            .retry(io.hyperlane.resilience.RetryPolicy.none())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/")).isEqualTo(1);
      assertThat(events).singleElement().isInstanceOf(ResilienceEvent.Hedge.class);
    }
  }

  @Test
  void aOneShotBodyIsNeverHedged() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 300);
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(20), 1))
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      RequestBody oneShot =
          new RequestBody() {
            @Override
            public MediaType contentType() {
              return MediaType.get("application/octet-stream");
            }

            @Override
            public boolean isOneShot() {
              return true;
            }

            @Override
            public void writeTo(okio.BufferedSink sink) throws IOException {
              sink.writeUtf8("stream");
            }
          };
      Request put = new Request.Builder().url("http://inventory/blob").put(oneShot).build();
      try (Response response = client.newCall(put).execute()) {
        assertThat(response.header("X-Replica")).isEqualTo("0");
      }
      assertThat(replicas.received(1)).isZero();
      assertThat(events).isEmpty();
    }
  }

  @Test
  void hedgesDrawOnTheRetryBudget() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 300);
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(20), 1))
            .retryBudget(RetryBudget.builder().maxRetryShare(0).minRetriesPerSecond(0).build())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/")).isZero(); // the slow one answers
      assertThat(replicas.received(1)).isZero();
      assertThat(events)
          .singleElement()
          .isInstanceOfSatisfying(
              ResilienceEvent.RetryRefused.class,
              e -> assertThat(e.reason()).isEqualTo(RefusalReason.BUDGET_EXHAUSTED));
    }
  }

  @Test
  void adaptiveHedgingWaitsForEnoughSamplesThenHedgesAtTheObservedTail() throws Exception {
    replicas = Replicas.start(2);
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.adaptive()).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      replicas.answer(0, 200, 300);
      Replicas.get(client, "http://inventory/"); // no samples yet: no hedge
      assertThat(events).isEmpty();

      replicas.answer(0, 200, 0);
      for (int i = 0; i < 59; i++) { // 60 samples in all, nearly all fast: p95 of milliseconds
        Replicas.get(client, "http://inventory/");
      }
      replicas.answer(0, 200, 3_000);
      events.clear(); // a few warm-up calls may have been hedged already: that is the p95 at work
      // Round robin over two: of two calls in a row, one starts on the slow replica (hedges of
      // the warm-up calls also take turns, so which one is not known in advance).
      for (int i = 0; i < 2 && events.isEmpty(); i++) {
        long started = System.nanoTime();
        assertThat(Replicas.get(client, "http://inventory/")).isEqualTo(1);
        assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(2));
      }
      assertThat(events)
          .singleElement()
          .isInstanceOfSatisfying(
              ResilienceEvent.Hedge.class,
              e -> assertThat(e.delay()).isLessThan(Duration.ofMillis(500)));
    }
  }

  @Test
  void aFailedAttemptThatArrivedBeforeTheWinnerIsClosedNotLeaked() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 300); // the primary fails, after the hedge has gone out
    replicas.answer(1, 200, 600); // the hedge wins later
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofMillis(30), 1))
            .retry(RetryPolicy.none())
            .service("inventory", replicas.urls())
            .build()) {
      assertThat(Replicas.get(hyperlane.wrap(base), "http://inventory/")).isEqualTo(1);
    }
    // Both exchanges are over; a response nobody closed would hold its connection.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (base.connectionPool().idleConnectionCount() < base.connectionPool().connectionCount()
        && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(base.connectionPool().idleConnectionCount())
        .isEqualTo(base.connectionPool().connectionCount())
        .isEqualTo(2);
  }

  @Test
  void aCallThatNeverHedgesRunsItsAttemptOnTheCallersThread() throws Exception {
    replicas = Replicas.start(2);
    List<Thread> attemptThreads = new CopyOnWriteArrayList<>();
    try (Hyperlane hyperlane =
        builder(HedgingPolicy.fixed(Duration.ofSeconds(10), 1))
            .attemptInterceptor(
                chain -> {
                  attemptThreads.add(Thread.currentThread());
                  return chain.proceed(chain.request());
                })
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 5; i++) {
        assertThat(Replicas.get(client, "http://inventory/")).isIn(0, 1);
      }
    }
    assertThat(attemptThreads).hasSize(5).containsOnly(Thread.currentThread());
    assertThat(events).isEmpty();
  }
}
