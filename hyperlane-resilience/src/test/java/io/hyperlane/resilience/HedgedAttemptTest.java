package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import io.hyperlane.resilience.ScriptedOrigin.Reply;
import io.hyperlane.resilience.internal.AttemptTimeout;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;

/**
 * Hedging inside the retry stage, over a scripted origin on fake time. The timer and the work pool
 * are the fake clock itself, so a hedge is sent, inline, by whichever answer moves the clock past
 * the hedging delay: every interleaving below is chosen by the script, none by a race.
 */
class HedgedAttemptTest {

  private static final Duration DELAY = Duration.ofMillis(100);

  private final FakeTime time = new FakeTime();
  private final RecordingSleeper sleeper = new RecordingSleeper(time);
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();
  private final ScriptedOrigin origin = new ScriptedOrigin();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<AttemptContext> contexts = new CopyOnWriteArrayList<>();

  /** Records each call that reaches the end of a chain, and the attempt context it carries. */
  private final okhttp3.Interceptor recorder =
      chain -> {
        calls.add(chain.call());
        contexts.add(AttemptContext.of(chain));
        return chain.proceed(chain.request());
      };

  /** The client hedges are sent with: what Hyperlane puts below its retry stage. */
  private OkHttpClient attempts() {
    return origin.client(AttemptTimeout.INTERCEPTOR, recorder);
  }

  private RetryInterceptor.Builder retry(RetryPolicy policy, HedgingPolicy hedging) {
    return RetryInterceptor.builder()
        .policy(policy)
        .hedging(hedging)
        .ticker(time)
        .sleeper(sleeper)
        .scheduler(time)
        .executor(time)
        .listener(events::add);
  }

  private OkHttpClient client(RetryPolicy policy, HedgingPolicy hedging) {
    return origin.client(retry(policy, hedging).build().withAttemptClient(attempts()), recorder);
  }

  private OkHttpClient client(HedgingPolicy hedging) {
    return client(RetryPolicy.ofDefaults(), hedging);
  }

  private static Request get() {
    return new Request.Builder().url("http://catalog/items").build();
  }

  /** Answers after {@code elapsed}: moving the clock sends any hedge that falls due meanwhile. */
  private ScriptedOrigin.Answer after(Duration elapsed, int code, String text, Reply reply) {
    return chain -> {
      time.advance(elapsed);
      return ScriptedOrigin.respond(chain.request(), code, text, null, reply);
    };
  }

  private ScriptedOrigin.Answer now(int code, String text, Reply reply) {
    return chain -> ScriptedOrigin.respond(chain.request(), code, text, null, reply);
  }

  @Test
  void aSlowFirstCallIsOutrunByTheHedgeWhichWins() throws Exception {
    Reply slow = new Reply();
    origin.then(after(Duration.ofMillis(150), 200, "first", slow));
    origin.then(now(200, "hedge", new Reply()));
    try (Response response = client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("hedge");
    }
    assertThat(origin.count()).isEqualTo(2);
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).isCanceled()).as("the loser is cancelled").isTrue();
    assertThat(calls.get(1).isCanceled()).isFalse();
    assertThat(slow.closed()).as("the loser's late response is closed").isTrue();
    assertThat(contexts.get(0))
        .as("both calls share the attempt's context")
        .isSameAs(contexts.get(1))
        .isNotNull();
    assertThat(contexts.get(0).lostRace(calls.get(0))).as("outrun by a later call").isTrue();
    assertThat(contexts.get(0).lostRace(calls.get(1))).isFalse();
    assertThat(contexts.get(0).resendCount()).isEqualTo(1);
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.Hedge.class,
            h -> {
              assertThat(h.attempt()).isEqualTo(1);
              assertThat(h.delay()).isEqualTo(DELAY);
              assertThat(h.service()).isEqualTo("catalog");
            });
    assertThat(time.pendingTasks()).as("no timer left behind").isZero();
  }

  @Test
  void aFastFirstCallSendsNoHedgeAndLeavesNoTimer() throws Exception {
    origin.then(after(Duration.ofMillis(99), 200, "first", new Reply()));
    try (Response response = client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("first");
    }
    assertThat(origin.count()).isEqualTo(1);
    assertThat(events).isEmpty();
    assertThat(time.pendingTasks()).isZero();
    time.advance(Duration.ofSeconds(1));
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void aFirstCallThatAnswersWellAfterTheHedgeWentOutStillWinsIfItIsFirst() throws Exception {
    Reply lateHedge = new Reply();
    // The hedge goes out when the first call passes the delay, and fails; the first call wins.
    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(150));
          return ScriptedOrigin.respond(chain.request(), 200, "first", null, new Reply());
        });
    origin.then(now(503, "hedge", lateHedge));
    try (Response response = client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("first");
    }
    assertThat(lateHedge.closed()).as("the failed hedge nobody returned").isTrue();
    assertThat(contexts.get(0).lostRace(calls.get(1)))
        .as("it lost by failing, not by a race")
        .isFalse();
  }

  @Test
  void whenEveryCallFailsTheLastOutcomeIsTheAttemptsAndTheOthersAreClosed() throws Exception {
    Reply first = new Reply();
    Reply hedge = new Reply();
    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(150)); // the hedge answers 502 meanwhile
          return ScriptedOrigin.respond(chain.request(), 503, "first", null, first);
        });
    origin.then(now(502, "hedge", hedge));
    try (Response response =
        client(RetryPolicy.none(), HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(response.body().string()).isEqualTo("first");
    }
    assertThat(hedge.closed()).isTrue();
    assertThat(origin.count()).isEqualTo(2);
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void aFailedAttemptIsRetriedAsAWholeAndTheRetryMayHedgeAgain() throws Exception {
    origin.then(now(503, "first", new Reply()));
    origin.then(after(Duration.ofMillis(150), 200, "retry", new Reply()));
    origin.then(now(200, "retry's hedge", new Reply()));
    try (Response response = client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("retry's hedge");
    }
    assertThat(events)
        .extracting(Object::getClass)
        .containsExactly(ResilienceEvent.Retry.class, ResilienceEvent.Hedge.class);
    assertThat(contexts.get(0).resendCount()).isEqualTo(2);
  }

  @Test
  void whenEveryCallThrowsTheCallFailsWithTheFirstFailure() throws Exception {
    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(150));
          throw new IOException("first failed");
        });
    origin.then(
        chain -> {
          throw new IOException("hedge failed");
        });
    assertThatThrownBy(
            () ->
                client(RetryPolicy.none(), HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute())
        .isInstanceOf(CallFailedException.class)
        .hasMessageContaining("the retry policy allows 1 attempt (retries are off)")
        .cause()
        .hasMessage("first failed");
  }

  @Test
  void aHedgeThatThrowsAnUncheckedExceptionIsAFailedCall() throws Exception {
    origin.then(after(Duration.ofMillis(150), 503, "first", new Reply()));
    origin.then(
        chain -> {
          throw new IllegalStateException("bug");
        });
    try (Response response = client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.code()).as("retried after both failed").isEqualTo(200);
    }
    assertThat(origin.count()).isEqualTo(3);
  }

  @Test
  void upToMaxHedgesAreSentEachADelayApart() throws Exception {
    origin.then(after(Duration.ofMillis(350), 200, "first", new Reply()));
    origin.then(
        chain -> { // hedge 1, sent at 100 ms, answers late
          throw new IOException("hedge 1 failed");
        });
    origin.then(now(503, "hedge 2", new Reply()));
    origin.then(now(200, "hedge 3", new Reply()));
    try (Response response = client(HedgingPolicy.fixed(DELAY, 3)).newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("hedge 3");
    }
    assertThat(events)
        .extracting(e -> ((ResilienceEvent.Hedge) e).delay())
        .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300));
    assertThat(events)
        .extracting(e -> ((ResilienceEvent.Hedge) e).attempt())
        .containsExactly(1, 2, 3);
    assertThat(origin.count()).isEqualTo(4);
  }

  @Test
  void noHedgeIsSentOnceOneHasWonOrTheLimitIsReached() throws Exception {
    origin.then(after(Duration.ofMillis(550), 200, "first", new Reply()));
    origin.then(now(503, "hedge 1", new Reply()));
    try (Response response = client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("first");
    }
    assertThat(origin.count()).as("one hedge at most").isEqualTo(2);
  }

  @Test
  void anEmptyBudgetRefusesTheHedgeOnceForTheWholeAttempt() throws Exception {
    RetryBudget empty = RetryBudget.builder().minRetriesPerSecond(0).maxRetryShare(0).build();
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults(), HedgingPolicy.fixed(DELAY, 3))
                .budget(empty)
                .build()
                .withAttemptClient(attempts()),
            recorder);
    origin.then(after(Duration.ofMillis(450), 200, "first", new Reply()));
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("first");
    }
    assertThat(origin.count()).isEqualTo(1);
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.RetryRefused.class,
            r -> {
              assertThat(r.reason()).isEqualTo(RefusalReason.BUDGET_EXHAUSTED);
              assertThat(r.cause()).isEqualTo("hedge");
              assertThat(r.attempts()).isEqualTo(4);
            });
  }

  @Test
  void adaptiveHedgingWaitsForFiftySamplesThenHedgesAfterTheirP95() throws Exception {
    OkHttpClient client = client(RetryPolicy.none(), HedgingPolicy.adaptive());
    for (int i = 0; i < 49; i++) {
      origin.then(after(Duration.ofMillis(10), 200, "x", new Reply()));
      client.newCall(get()).execute().close();
    }
    origin.then(after(Duration.ofSeconds(5), 500, "x", new Reply())); // not a latency sample
    client.newCall(get()).execute().close();
    origin.then(after(Duration.ofMillis(30), 200, "slow", new Reply())); // the 50th sample
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.body().string()).as("49 samples: no hedge yet").isEqualTo("slow");
    }
    assertThat(events).noneMatch(e -> e instanceof ResilienceEvent.Hedge);
    events.clear();
    origin.then(after(Duration.ofMillis(30), 200, "slow", new Reply()));
    origin.then(now(200, "hedge", new Reply()));
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("hedge");
    }
    long p95 = LatencyWindow.upperBound(LatencyWindow.bucket(10_000_000)); // 48th of 50
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.Hedge.class,
            h -> assertThat(h.delay()).isEqualTo(Duration.ofNanos(p95)));
  }

  @Test
  void adaptiveHedgingHedgesAtMostItsShareOfCalls() throws Exception {
    OkHttpClient client = client(RetryPolicy.none(), HedgingPolicy.adaptive());
    for (int i = 0; i < 50; i++) {
      origin.then(after(Duration.ofMillis(10), 200, "x", new Reply()));
      client.newCall(get()).execute().close();
    }
    // From now on every first call outlasts the p95, and a hedge answers at once.
    for (int i = 0; i < 60; i++) {
      origin.then(
          chain ->
              AttemptContext.of(chain).resendCount() == 0
                  ? after(Duration.ofMillis(40), 200, "slow", new Reply()).answer(chain)
                  : now(200, "hedge", new Reply()).answer(chain));
    }
    for (int i = 0; i < 30; i++) {
      client.newCall(get()).execute().close();
    }
    long hedged = events.stream().filter(e -> e instanceof ResilienceEvent.Hedge).count();
    // A reserve of 1 per second over 10 s, plus a tenth of a hedge per call as the calls come:
    // 17 of these 30 calls get one. Everything here is deterministic (fake time, no jitter), so
    // the count is exact: more means the cap leaks, fewer that a latency was mis-recorded.
    assertThat(hedged).isEqualTo(17L);
    assertThat(events)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        ResilienceEvent.RetryRefused.class,
                        r -> assertThat(r.reason()).isEqualTo(RefusalReason.HEDGE_RATE)));
  }

  @Test
  void requestsThatMustNotBeSentTwiceAreNeverHedged() throws Exception {
    OkHttpClient client = client(HedgingPolicy.fixed(DELAY, 1));
    origin.then(after(Duration.ofMillis(150), 200, "post", new Reply()));
    client
        .newCall(
            new Request.Builder()
                .url("http://catalog/orders")
                .post(RequestBody.create("{}", MediaType.get("application/json")))
                .build())
        .execute()
        .close();
    RequestBody oneShot =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return null;
          }

          @Override
          public boolean isOneShot() {
            return true;
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.writeUtf8("v");
          }
        };
    origin.then(after(Duration.ofMillis(150), 200, "put", new Reply()));
    client
        .newCall(new Request.Builder().url("http://catalog/items/1").put(oneShot).build())
        .execute()
        .close();
    assertThat(origin.count()).isEqualTo(2);
    assertThat(events).isEmpty();

    origin.then(after(Duration.ofMillis(150), 200, "put", new Reply()));
    client
        .newCall(
            new Request.Builder()
                .url("http://catalog/items/1")
                .put(RequestBody.create("v", null))
                .build())
        .execute()
        .close();
    assertThat(origin.count()).as("a repeatable idempotent body is hedged").isEqualTo(4);
  }

  @Test
  void withoutAnAttemptClientNothingIsHedged() throws Exception {
    OkHttpClient client =
        origin.client(retry(RetryPolicy.ofDefaults(), HedgingPolicy.fixed(DELAY, 1)).build());
    origin.then(after(Duration.ofMillis(150), 200, "first", new Reply()));
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.body().string()).isEqualTo("first");
    }
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void theAttemptTimeoutReachesEveryCallOfAHedgedAttempt() throws Exception {
    RetryPolicy bounded = RetryPolicy.builder().attemptTimeout(Duration.ofMillis(700)).build();
    origin.then(after(Duration.ofMillis(150), 200, "first", new Reply()));
    client(bounded, HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute().close();
    assertThat(origin.arrivals)
        .extracting(ScriptedOrigin.Arrival::readTimeoutMillis)
        .containsExactly(700, 700);
    origin.arrivals.clear();
    origin.then(after(Duration.ofMillis(150), 200, "first", new Reply()));
    client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute().close();
    assertThat(origin.arrivals)
        .extracting(ScriptedOrigin.Arrival::readTimeoutMillis)
        .containsExactly(10_000, 10_000);
  }

  @Test
  void aGoodResponseBodyThatBreaksIsAFailedCallOfTheGroup() throws Exception {
    Reply broken = new Reply();
    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(150)); // the hedge answers 200 meanwhile
          return ScriptedOrigin.respond(
              chain.request(),
              200,
              "",
              new okio.Source() {
                @Override
                public long read(okio.Buffer sink, long byteCount) throws IOException {
                  throw new IOException("broken");
                }

                @Override
                public okio.Timeout timeout() {
                  return okio.Timeout.NONE;
                }

                @Override
                public void close() {}
              },
              broken);
        });
    Reply hedgeBroken = new Reply();
    origin.then(
        chain -> {
          return ScriptedOrigin.respond(
              chain.request(),
              200,
              "",
              new okio.Source() {
                @Override
                public long read(okio.Buffer sink, long byteCount) throws IOException {
                  throw new IOException("hedge broken");
                }

                @Override
                public okio.Timeout timeout() {
                  return okio.Timeout.NONE;
                }

                @Override
                public void close() {}
              },
              hedgeBroken);
        });
    try (Response response = client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.body().string())
          .as("both broke while read ahead: retried")
          .isEqualTo("ok");
    }
    assertThat(broken.closed()).isTrue();
    assertThat(hedgeBroken.closed()).isTrue();
  }

  @Test
  void cancellingTheCallCancelsEveryCallOfTheGroupAndEndsTheWait() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    CountDownLatch hedgeSent = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      OkHttpClient client =
          origin.client(
              retry(RetryPolicy.ofDefaults(), HedgingPolicy.fixed(DELAY, 1))
                  .executor(pool)
                  .sleeper(Sleeper.system())
                  .build()
                  .withAttemptClient(attempts()),
              recorder);
      Call call = client.newCall(get());
      origin.then(
          chain -> {
            time.advance(Duration.ofMillis(150)); // the hedge starts on the pool's thread
            assertThat(hedgeSent.await(5, TimeUnit.SECONDS)).isTrue();
            return ScriptedOrigin.respond(chain.request(), 503, "first", null, new Reply());
          });
      origin.then(
          chain -> {
            hedgeSent.countDown();
            release.await(5, TimeUnit.SECONDS); // in flight while the caller waits for it
            return ScriptedOrigin.respond(chain.request(), 200, "hedge", null, new Reply());
          });
      Thread canceller =
          new Thread(
              () -> {
                while (calls.size() < 2) {
                  Thread.onSpinWait();
                }
                call.cancel();
                release.countDown();
              });
      canceller.start();
      assertThatThrownBy(call::execute).isInstanceOf(IOException.class);
      canceller.join(5_000);
      assertThat(calls).hasSize(2).allSatisfy(c -> assertThat(c.isCanceled()).isTrue());
      assertThat(origin.count()).as("no retry after a cancel").isEqualTo(2);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aHedgeWhoseBodyThrowsAnUncheckedExceptionIsClosedAndFailed() throws Exception {
    Reply hedge = new Reply();
    origin.then(after(Duration.ofMillis(150), 503, "first", new Reply()));
    origin.then(
        chain ->
            ScriptedOrigin.respond(
                chain.request(),
                200,
                "",
                new okio.Source() {
                  @Override
                  public long read(okio.Buffer sink, long byteCount) {
                    throw new IllegalStateException("bug in a body");
                  }

                  @Override
                  public okio.Timeout timeout() {
                    return okio.Timeout.NONE;
                  }

                  @Override
                  public void close() {}
                },
                hedge));
    try (Response response = client(HedgingPolicy.fixed(DELAY, 1)).newCall(get()).execute()) {
      assertThat(response.code()).as("both failed: retried").isEqualTo(200);
    }
    assertThat(hedge.closed()).isTrue();
  }

  @Test
  void fixedHedgingIsLimitedByTheBudgetOnlyNotByAShareOfCalls() throws Exception {
    OkHttpClient client = client(HedgingPolicy.fixed(DELAY, 1));
    for (int i = 0; i < 15; i++) {
      origin.then(after(Duration.ofMillis(150), 200, "first", new Reply()));
      origin.then(now(200, "hedge", new Reply()));
      client.newCall(get()).execute().close();
    }
    assertThat(events).hasSize(15).allMatch(e -> e instanceof ResilienceEvent.Hedge);
  }

  @Test
  void aHostWithItsOwnHedgingFollowsIt() throws Exception {
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults(), HedgingPolicy.none())
                .policy("search", RetryPolicy.ofDefaults())
                .hedging("search", HedgingPolicy.fixed(DELAY, 1))
                .build()
                .withAttemptClient(attempts()),
            recorder);
    origin.then(after(Duration.ofMillis(150), 200, "catalog", new Reply()));
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.body().string()).as("catalog is not hedged").isEqualTo("catalog");
    }
    origin.then(after(Duration.ofMillis(150), 200, "first", new Reply()));
    origin.then(now(200, "hedge", new Reply()));
    try (Response response =
        client.newCall(new Request.Builder().url("http://search/q").build()).execute()) {
      assertThat(response.body().string()).isEqualTo("hedge");
    }
  }

  @Test
  void aCallerWaitingForAHedgeGetsItsAnswerWhenItComes() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    CountDownLatch hedgeSent = new CountDownLatch(1);
    CountDownLatch firstDone = new CountDownLatch(1);
    try {
      OkHttpClient client = pooled(pool, Sleeper.system());
      origin.then(
          chain -> {
            time.advance(Duration.ofMillis(150));
            assertThat(hedgeSent.await(5, TimeUnit.SECONDS)).isTrue();
            firstDone.countDown();
            return ScriptedOrigin.respond(chain.request(), 503, "first", null, new Reply());
          });
      origin.then(
          chain -> {
            hedgeSent.countDown();
            assertThat(firstDone.await(5, TimeUnit.SECONDS)).isTrue(); // answers after the first
            return ScriptedOrigin.respond(chain.request(), 200, "hedge", null, new Reply());
          });
      try (Response response = client.newCall(get()).execute()) {
        assertThat(response.body().string()).isEqualTo("hedge");
      }
      assertThat(events).noneMatch(e -> e instanceof ResilienceEvent.Retry);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void adaptiveHedgingLearnsFromEveryCallOfAGroupThatAnswers() throws Exception {
    // The median, so that hedging is never capped by its share of calls.
    OkHttpClient client = client(RetryPolicy.none(), HedgingPolicy.adaptive(0.5, 1));
    for (int i = 0; i < 50; i++) {
      origin.then(after(Duration.ofMillis(10), 200, "x", new Reply()));
      client.newCall(get()).execute().close();
    }
    // (All within one 10 s window of the histogram.)
    // 60 calls whose first call is slow and whose hedge answers in 30 ms: the hedges' latencies
    // are samples (the cancelled first calls are not), so the median moves to 30 ms.
    for (int i = 0; i < 60; i++) {
      origin.then(after(Duration.ofMillis(100), 200, "slow", new Reply()));
      origin.then(after(Duration.ofMillis(30), 200, "hedge", new Reply()));
      try (Response response = client.newCall(get()).execute()) {
        assertThat(response.body().string()).isEqualTo("hedge");
      }
    }
    // 60 calls whose first call answers in 5 ms, before any hedge: samples too.
    for (int i = 0; i < 60; i++) {
      origin.then(after(Duration.ofMillis(5), 200, "fast", new Reply()));
      client.newCall(get()).execute().close();
    }
    time.advance(Duration.ofSeconds(1)); // past the percentile's 100 ms cache
    events.clear();
    origin.then(after(Duration.ofMillis(100), 200, "slow", new Reply()));
    origin.then(now(200, "hedge", new Reply()));
    client.newCall(get()).execute().close();
    // 170 samples: 60 × 5 ms, 50 × 10 ms, 60 × 30 ms; the 85th is in 10 ms's bucket.
    long median = LatencyWindow.upperBound(LatencyWindow.bucket(10_000_000));
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.Hedge.class,
            h -> assertThat(h.delay()).isEqualTo(Duration.ofNanos(median)));
  }

  /** A client whose hedges run on {@code pool}, its caller waiting through {@code sleeper}. */
  private OkHttpClient pooled(ExecutorService pool, Sleeper sleeper) {
    return origin.client(
        retry(RetryPolicy.ofDefaults(), HedgingPolicy.fixed(DELAY, 1))
            .executor(pool)
            .sleeper(sleeper)
            .build()
            .withAttemptClient(attempts()),
        recorder);
  }

  @Test
  void anInterruptWhileWaitingForTheHedgeEndsTheCallAndCancelsTheHedge() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    CountDownLatch hedgeSent = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      OkHttpClient client =
          pooled(
              pool,
              (queue, nanos) -> {
                throw new InterruptedException();
              });
      origin.then(
          chain -> {
            time.advance(Duration.ofMillis(150));
            assertThat(hedgeSent.await(5, TimeUnit.SECONDS)).isTrue();
            return ScriptedOrigin.respond(chain.request(), 503, "first", null, new Reply());
          });
      origin.then(
          chain -> {
            hedgeSent.countDown();
            release.await(5, TimeUnit.SECONDS);
            return ScriptedOrigin.respond(chain.request(), 200, "hedge", null, new Reply());
          });
      try {
        assertThatThrownBy(() -> client.newCall(get()).execute())
            .isInstanceOf(InterruptedIOException.class);
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
      } finally {
        Thread.interrupted();
      }
      assertThat(calls).hasSize(2);
      assertThat(calls.get(1).isCanceled()).as("nobody wants the hedge's answer").isTrue();
      assertThat(events)
          .as("an interrupted call is not retried")
          .noneMatch(e -> e instanceof ResilienceEvent.Retry);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aWinnerThatArrivesAsTheWaitIsCancelledIsClosed() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    CountDownLatch hedgeSent = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Reply winner = new Reply();
    AtomicReference<Call> logical = new AtomicReference<>();
    try {
      OkHttpClient client =
          pooled(
              pool,
              (queue, nanos) -> {
                assertThat(queue.poll())
                    .as("the first call's outcome, delivered before")
                    .isNotNull();
                release.countDown(); // the hedge answers now...
                Object woken = queue.poll(5, TimeUnit.SECONDS); // ...and is delivered as the winner
                assertThat(woken).isNotNull();
                logical.get().cancel(); // but the caller cancels as the wait ends
                return CallSignal.CANCELLED;
              });
      origin.then(
          chain -> {
            time.advance(Duration.ofMillis(150));
            assertThat(hedgeSent.await(5, TimeUnit.SECONDS)).isTrue();
            return ScriptedOrigin.respond(chain.request(), 503, "first", null, new Reply());
          });
      origin.then(
          chain -> {
            hedgeSent.countDown();
            release.await(5, TimeUnit.SECONDS);
            return ScriptedOrigin.respond(chain.request(), 200, "hedge", null, winner);
          });
      logical.set(client.newCall(get()));
      assertThatThrownBy(() -> logical.get().execute()).hasMessage("Canceled");
      assertThat(winner.closed()).as("the winner nobody returned").isTrue();
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aHedgeLaunchedJustAfterTheWinnerIsCancelledAtOnce() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    CountDownLatch hedgeDecided = new CountDownLatch(1);
    CountDownLatch firstDone = new CountDownLatch(1);
    try {
      OkHttpClient client =
          origin.client(
              retry(RetryPolicy.ofDefaults(), HedgingPolicy.fixed(DELAY, 1))
                  .executor(pool)
                  .listener(
                      event -> {
                        events.add(event);
                        hedgeDecided.countDown();
                        try { // the hedge is decided, and held back until the first call has won
                          assertThat(firstDone.await(5, TimeUnit.SECONDS)).isTrue();
                        } catch (InterruptedException e) {
                          throw new AssertionError(e);
                        }
                      })
                  .build()
                  .withAttemptClient(attempts()),
              recorder);
      origin.then(
          chain -> {
            time.advance(Duration.ofMillis(150));
            assertThat(hedgeDecided.await(5, TimeUnit.SECONDS)).isTrue();
            return ScriptedOrigin.respond(chain.request(), 200, "first", null, new Reply());
          });
      try (Response response = client.newCall(get()).execute()) {
        assertThat(response.body().string()).isEqualTo("first");
      }
      firstDone.countDown();
      pool.shutdown();
      assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
      assertThat(events).singleElement().isInstanceOf(ResilienceEvent.Hedge.class);
      assertThat(calls).hasSize(2);
      assertThat(calls.get(1).isCanceled())
          .as("cancelled as it was sent: it would lose anyway")
          .isTrue();
    } finally {
      firstDone.countDown();
      pool.shutdownNow();
    }
  }
}
