package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.hyperlane.resilience.ConcurrencyLimit;
import io.hyperlane.resilience.LimitExceededException;
import io.hyperlane.resilience.LimitInterceptor;
import io.hyperlane.resilience.RateLimit;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Service-level concurrency and rate limits. */
class LimitTest extends LoopbackTest {

  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  @Test
  void aCallOverTheConcurrencyLimitIsRefusedWithoutBeingSent() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 1_000);
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .listener(events::add)
            .service(
                "inventory",
                s ->
                    s.endpoint(replicas.url(0))
                        .concurrencyLimit(
                            ConcurrencyLimit.builder().initialLimit(2).maxLimit(2).build()))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      List<CompletableFuture<Integer>> running =
          List.of(
              CompletableFuture.supplyAsync(() -> call(client)),
              CompletableFuture.supplyAsync(() -> call(client)));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (replicas.received(0) < 2 && System.nanoTime() < until) { // both slots are taken
        Thread.onSpinWait();
      }
      assertThatThrownBy(() -> Replicas.get(client, "http://inventory/"))
          .isInstanceOfSatisfying(
              LimitExceededException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(LimitExceededException.Kind.CONCURRENCY);
                assertThat(e.limit()).isEqualTo(2);
                assertThat(e.service()).isEqualTo("inventory");
              });
      assertThat(replicas.received(0)).isEqualTo(2);
      for (CompletableFuture<Integer> f : running) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isZero();
      }
      assertThat(events).filteredOn(ResilienceEvent.LimitReached.class::isInstance).hasSize(1);
      assertThat(Replicas.get(client, "http://inventory/")).isZero(); // slots free again
    }
  }

  @Test
  void theConcurrencyLimitShrinksOnOverloadAndDoesNotGrowWhenBarelyUsed() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 503, 0);
    LimitInterceptor limits =
        LimitInterceptor.builder()
            .concurrency("127.0.0.1", ConcurrencyLimit.builder().initialLimit(10).build())
            .build();
    OkHttpClient client = base.newBuilder().addInterceptor(limits).build();
    for (int i = 0; i < 5; i++) {
      Replicas.get(client, replicas.url(0) + "/"); // 503: overload, × 0.9 each
    }
    assertThat(limits.concurrencyLimit("127.0.0.1")).isEqualTo(5); // 10 × 0.9^5 = 5.9
    replicas.answer(0, 200, 0);
    for (int i = 0; i < 3; i++) {
      Replicas.get(client, replicas.url(0) + "/"); // one in flight of 5: not used enough to grow
    }
    assertThat(limits.concurrencyLimit("127.0.0.1")).isEqualTo(5);
    assertThat(limits.concurrencyLimit("elsewhere")).isEqualTo(-1);
  }

  @Test
  void aCallOverTheRateLimitIsRefusedWithoutBeingSent() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .listener(events::add)
            .retry(RetryPolicy.none())
            .service(
                "inventory",
                s ->
                    s.endpoint(replicas.url(0))
                        .rateLimit(
                            RateLimit.of(
                                RateLimiterConfig.custom()
                                    .limitForPeriod(3)
                                    .limitRefreshPeriod(
                                        Duration.ofHours(1)) // no refill during the test
                                    .timeoutDuration(Duration.ZERO)
                                    .build())))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 3; i++) {
        assertThat(Replicas.get(client, "http://inventory/")).isZero();
      }
      assertThatThrownBy(() -> Replicas.get(client, "http://inventory/"))
          .isInstanceOfSatisfying(
              LimitExceededException.class,
              e -> assertThat(e.kind()).isEqualTo(LimitExceededException.Kind.RATE));
      assertThat(replicas.received(0)).isEqualTo(3);
    }
  }

  private static int call(OkHttpClient client) {
    try {
      return Replicas.get(client, "http://inventory/");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void callsTheirDeadlineCutShrinkTheLimitAndCallsTheirCallerCancelledChangeNothing()
      throws Exception {
    FakeTime time = new FakeTime();
    try (BlackHole hole = new BlackHole()) {
      LimitInterceptor limits =
          LimitInterceptor.builder()
              .concurrency(
                  hole.url().substring("http://".length()).split(":")[0],
                  ConcurrencyLimit.builder().initialLimit(10).build())
              .build();
      io.hyperlane.resilience.DeadlineInterceptor deadlines =
          io.hyperlane.resilience.DeadlineInterceptor.builder()
              .timeout(Duration.ofMillis(100))
              .ticker(time)
              .scheduler(time)
              .executor(Runnable::run)
              .build();
      OkHttpClient client =
          base.newBuilder()
              .readTimeout(Duration.ZERO)
              .addInterceptor(deadlines)
              .addInterceptor(limits)
              .build();
      for (int i = 0; i < 3; i++) {
        okhttp3.Call call = client.newCall(new okhttp3.Request.Builder().url(hole.url()).build());
        CompletableFuture<Void> done =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    call.execute().close();
                  } catch (IOException expected) {
                    // the deadline's or the caller's
                  }
                });
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hole.connections() <= i && System.nanoTime() < until) {
          Thread.onSpinWait();
        }
        time.advance(Duration.ofMillis(100)); // the deadline cancels the call
        done.get(10, TimeUnit.SECONDS);
      }
      assertThat(limits.concurrencyLimit("127.0.0.1"))
          .as("10 × 0.9³ after three deadlines")
          .isEqualTo(7);
    }
  }
}
