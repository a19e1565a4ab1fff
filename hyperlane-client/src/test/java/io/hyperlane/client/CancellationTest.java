package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.hyperlane.cache.HttpCache;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ConcurrencyLimit;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RateLimit;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * {@code cancel()} ends every wait inside a call at once — a retry pause, a wait for a concurrency
 * slot or a rate permit, a hedged call's wait for its hedges, a wait on an identical request in
 * flight — and frees the dispatcher thread. Real time: each wait would last seconds if the
 * cancellation were not noticed.
 */
class CancellationTest extends LoopbackTest {

  private static final long PROMPT_NANOS = TimeUnit.MILLISECONDS.toNanos(1_000);

  private Hyperlane.Builder builder() {
    return Hyperlane.builder()
        .telemetry(false)
        .outlierDetection(OutlierDetection.disabled())
        .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled());
  }

  /** Enqueues a GET; the future completes with the failure (or null on a response). */
  private static CompletableFuture<IOException> enqueue(OkHttpClient client, Call[] call) {
    CompletableFuture<IOException> outcome = new CompletableFuture<>();
    call[0] = client.newCall(new Request.Builder().url("http://inventory/item").build());
    call[0].enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            outcome.complete(e);
          }

          @Override
          public void onResponse(Call c, Response response) {
            response.close();
            outcome.complete(null);
          }
        });
    return outcome;
  }

  private static void until(BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("gave up waiting");
      }
      Thread.onSpinWait();
    }
  }

  /** Cancels {@code call} and checks that its failure comes promptly. */
  private static void cancelPromptly(Call call, CompletableFuture<IOException> outcome)
      throws Exception {
    long cancelled = System.nanoTime();
    call.cancel();
    IOException failure = outcome.get(10, TimeUnit.SECONDS);
    long took = System.nanoTime() - cancelled;
    assertThat(failure).isNotNull();
    assertThat(took).as("from cancel() to onFailure, in ns").isLessThan(PROMPT_NANOS);
  }

  @Test
  void aRetryPauseEndsAtCancel() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, aResponse().withStatus(503).withHeader("Retry-After", "4"));
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      Call[] call = new Call[1];
      CompletableFuture<IOException> outcome = enqueue(hyperlane.wrap(base), call);
      until(() -> replicas.received(0) == 1); // the 4 s pause has begun (or is about to)
      cancelPromptly(call[0], outcome);
      assertThat(replicas.received(0)).as("no retry after the cancel").isEqualTo(1);
    }
  }

  @Test
  void aWaitForAConcurrencySlotEndsAtCancel() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 3_000);
    try (Hyperlane hyperlane =
        builder()
            .concurrencyLimit(
                ConcurrencyLimit.builder()
                    .initialLimit(1)
                    .minLimit(1)
                    .maxWait(Duration.ofSeconds(30))
                    .build())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Call[] first = new Call[1];
      CompletableFuture<IOException> firstOutcome = enqueue(client, first);
      until(() -> replicas.received(0) == 1); // it holds the only slot
      Call[] second = new Call[1];
      CompletableFuture<IOException> outcome = enqueue(client, second);
      until(
          () ->
              base.dispatcher().executorService() != null
                  && client.dispatcher().runningCallsCount() == 2); // waiting for the slot
      cancelPromptly(second[0], outcome);
      first[0].cancel();
      firstOutcome.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aWaitForARatePermitEndsAtCancel() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane =
        builder()
            .service(
                "inventory",
                s ->
                    s.endpoint(replicas.url(0))
                        .rateLimit(
                            RateLimit.of(
                                RateLimiterConfig.custom()
                                    .limitForPeriod(1)
                                    .limitRefreshPeriod(Duration.ofSeconds(20))
                                    .timeoutDuration(Duration.ofSeconds(30))
                                    .build())))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/item")).isZero(); // the period's permit
      Call[] call = new Call[1];
      CompletableFuture<IOException> outcome = enqueue(client, call);
      until(() -> client.dispatcher().runningCallsCount() == 1);
      cancelPromptly(call[0], outcome);
      assertThat(replicas.received(0)).isEqualTo(1);
    }
  }

  @Test
  void aHedgedCallsWaitForItsHedgesEndsAtCancel() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 503, 0);
    try (BlackHole hole = new BlackHole();
        Hyperlane hyperlane =
            builder()
                .retry(RetryPolicy.none())
                .loadBalancer(LoadBalancerPolicy.roundRobin())
                .hedging(HedgingPolicy.fixed(Duration.ofMillis(20), 1))
                .service("inventory", hole.url(), replicas.url(0))
                .build()) {
      Call[] call = new Call[1];
      CompletableFuture<IOException> outcome = enqueue(hyperlane.wrap(base), call);
      until(() -> hole.connections() == 1); // the first attempt hangs; the hedge gets a 503
      until(() -> replicas.received(0) == 1);
      cancelPromptly(call[0], outcome);
    }
  }

  @Test
  void aWaitOnAnIdenticalRequestInFlightEndsAtCancel() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(
        0,
        aResponse()
            .withStatus(200)
            .withFixedDelay(5_000)
            .withHeader("Cache-Control", "max-age=60"));
    HttpCache cache = HttpCache.builder().build();
    try (Hyperlane hyperlane =
        builder().cache(cache).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Call[] leader = new Call[1];
      CompletableFuture<IOException> leaderOutcome = enqueue(client, leader);
      until(() -> replicas.received(0) == 1);
      Call[] waiter = new Call[1];
      CompletableFuture<IOException> outcome = enqueue(client, waiter);
      until(() -> client.dispatcher().runningCallsCount() == 2);
      cancelPromptly(waiter[0], outcome);
      leader[0].cancel();
      leaderOutcome.get(10, TimeUnit.SECONDS);
    } finally {
      cache.close();
    }
  }
}
