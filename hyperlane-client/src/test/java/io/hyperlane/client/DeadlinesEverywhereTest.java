package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.HttpCache;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.DeadlineExceededException;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Every path of a call ends by its deadline, and says so with {@link DeadlineExceededException}:
 * the body of a hedged call's winner, a hedged attempt's own timeout, a caller waiting on an
 * identical request in flight (L0), a call in flight when its Hyperlane is closed. Deadlines run on
 * fake time; the endpoints are real sockets that are slow or never answer.
 */
class DeadlinesEverywhereTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .telemetry(false)
        .sleeper(time)
        .outlierDetection(OutlierDetection.disabled())
        .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled());
  }

  private static CompletableFuture<Throwable> inBackground(Callable call) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            call.run();
            return null;
          } catch (Throwable e) {
            return e;
          }
        });
  }

  private interface Callable {
    void run() throws Exception;
  }

  /** Spins until {@code condition} holds (another thread's progress), failing after 10 s. */
  private static void until(BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("gave up waiting");
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void theBodyOfAHedgedCallsWinnerIsCutAtTheDeadline() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(
        0,
        aResponse()
            .withStatus(200)
            .withBody("x".repeat(1000))
            .withChunkedDribbleDelay(20, 10_000)); // headers at once, the body over 10 s
    try (Hyperlane hyperlane =
        builder()
            .hedging(HedgingPolicy.fixed(Duration.ofSeconds(30), 1)) // every call is a hedged one
            .timeout(Duration.ofMillis(500))
            .retry(RetryPolicy.builder().bufferBodyUpTo(0).build())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Response response =
          client.newCall(new Request.Builder().url("http://inventory/").build()).execute();
      CompletableFuture<Throwable> reading = inBackground(() -> response.body().string());
      time.advance(Duration.ofMillis(500));
      Throwable failure = reading.get(5, TimeUnit.SECONDS);
      assertThat(failure)
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageContaining("inventory");
      response.close();
    }
  }

  @Test
  void aHedgedAttemptKeepsItsAttemptTimeout() throws Exception {
    replicas = Replicas.start(1);
    try (BlackHole hole = new BlackHole();
        Hyperlane hyperlane =
            builder()
                .hedging(HedgingPolicy.fixed(Duration.ofSeconds(30), 1))
                .loadBalancer(LoadBalancerPolicy.roundRobin())
                .retry(RetryPolicy.builder().attemptTimeout(Duration.ofMillis(200)).build())
                .service("inventory", hole.url(), replicas.url(0))
                .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      long started = System.nanoTime();
      // The black hole's attempt times out after 200 ms (real time: a socket timeout), and the
      // retry goes to the replica that answers.
      for (int i = 0; i < 2; i++) {
        assertThat(Replicas.get(client, "http://inventory/")).isZero();
      }
      assertThat(hole.connections()).isPositive();
      assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(5));
    }
  }

  @Test
  void aCallerWaitingOnAnIdenticalRequestInFlightStopsAtItsOwnDeadline() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(
        0,
        aResponse()
            .withStatus(200)
            .withFixedDelay(3_000)
            .withHeader("Cache-Control", "max-age=60")
            .withBody("slow"));
    HttpCache cache = HttpCache.builder().clock(time.wallClock()).build();
    // Two instances share the cache: the leader's has no deadline, the waiter's 200 ms.
    try (Hyperlane leaderSide =
            Hyperlane.builder()
                .telemetry(false)
                .cache(cache)
                .service("inventory", replicas.urls())
                .build();
        Hyperlane waiterSide =
            builder()
                .cache(cache)
                .service(
                    "inventory", s -> s.endpoint(replicas.url(0)).timeout(Duration.ofMillis(200)))
                .build()) {
      CompletableFuture<Throwable> leader =
          inBackground(() -> Replicas.get(leaderSide.wrap(base), "http://inventory/item"));
      until(() -> replicas.received(0) == 1);
      CompletableFuture<Throwable> outcome = new CompletableFuture<>();
      Thread waiter =
          new Thread(
              () -> {
                try {
                  Replicas.get(waiterSide.wrap(base), "http://inventory/item");
                  outcome.complete(null);
                } catch (Throwable e) {
                  outcome.complete(e);
                }
              });
      waiter.start();
      until(() -> waiter.getState() == Thread.State.WAITING && time.pendingTasks() == 1);
      long started = System.nanoTime();
      time.advance(Duration.ofMillis(200));
      assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(DeadlineExceededException.class);
      assertThat(System.nanoTime() - started)
          .as("it did not wait for the 3 s origin")
          .isLessThan(TimeUnit.SECONDS.toNanos(2));
      assertThat(replicas.received(0)).as("it waited on the leader").isEqualTo(1);
      assertThat(leader.get(10, TimeUnit.SECONDS)).isNull();
    } finally {
      cache.close();
    }
  }

  @Test
  void aCallInFlightWhenItsHyperlaneClosesStillEndsByItsDeadline() throws Exception {
    try (BlackHole hole = new BlackHole()) {
      OkHttpClient patientClient = base.newBuilder().readTimeout(Duration.ZERO).build();
      Hyperlane hyperlane =
          Hyperlane.builder()
              .telemetry(false)
              .timeout(Duration.ofMillis(300))
              .service("inventory", hole.url())
              .build();
      OkHttpClient client = hyperlane.wrap(patientClient);
      long started = System.nanoTime();
      CompletableFuture<Throwable> call =
          inBackground(() -> Replicas.get(client, "http://inventory/"));
      until(() -> hole.connections() > 0);
      hyperlane.close();
      assertThat(call.get(10, TimeUnit.SECONDS)).isInstanceOf(DeadlineExceededException.class);
      assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(5));
    }
  }

  @Test
  void theClientsCallTimeoutEndsEveryAttemptOfAHedgedCall() throws Exception {
    try (BlackHole hole = new BlackHole();
        BlackHole other = new BlackHole()) {
      OkHttpClient timed =
          base.newBuilder().readTimeout(Duration.ZERO).callTimeout(Duration.ofMillis(300)).build();
      try (Hyperlane hyperlane =
          Hyperlane.builder()
              .telemetry(false)
              .hedging(HedgingPolicy.fixed(Duration.ofMillis(50), 1))
              .service("inventory", hole.url(), other.url())
              .build()) {
        OkHttpClient client = hyperlane.wrap(timed);
        long started = System.nanoTime();
        CompletableFuture<Throwable> call =
            inBackground(() -> Replicas.get(client, "http://inventory/"));
        assertThat(call.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
        assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(3));
        until(() -> hole.connections() + other.connections() == 2); // the hedge went out
      }
    }
  }

  @Test
  void aDeadlineThatPassesAsTheResponseGoesUpIsStillADeadlineNeverABareCancel() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane =
        builder().timeout(Duration.ofMillis(200)).service("inventory", replicas.urls()).build()) {
      // The application's own interceptor runs above Hyperlane's stages: the deadline passes
      // just as the response goes up through it.
      OkHttpClient client =
          hyperlane.wrap(
              base.newBuilder()
                  .addInterceptor(
                      chain -> {
                        Response response = chain.proceed(chain.request());
                        time.advance(Duration.ofMillis(200));
                        return response;
                      })
                  .build());
      Response response =
          client
              .newCall(new Request.Builder().url("http://inventory/").build())
              .execute(); // no "Canceled": the deadline did not cancel a call on its way out
      Throwable failure = inBackground(() -> response.body().string()).get(5, TimeUnit.SECONDS);
      assertThat(failure).isInstanceOf(DeadlineExceededException.class);
      response.close();
    }
  }

  @Test
  void aFixedSizeExecutorFullOfCallsWaitingForTheirHedgesDoesNotStopTheHedges() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 300); // each first attempt fails after its hedge went out
    replicas.answer(1, 200, 100);
    ExecutorService two = Executors.newFixedThreadPool(2);
    OkHttpClient small = base.newBuilder().dispatcher(new okhttp3.Dispatcher(two)).build();
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .telemetry(false)
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .retry(RetryPolicy.none())
            .outlierDetection(OutlierDetection.disabled())
            .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
            .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
            .hedging(HedgingPolicy.fixed(Duration.ofMillis(20), 1))
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(small);
      List<CompletableFuture<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 2; i++) { // both of the executor's threads
        calls.add(
            Replicas.enqueue(client, new Request.Builder().url("http://inventory/" + i).build()));
      }
      for (CompletableFuture<Integer> call : calls) {
        assertThat(call.get(10, TimeUnit.SECONDS)).isIn(200, 503);
      }
    } finally {
      two.shutdownNow();
    }
  }
}
