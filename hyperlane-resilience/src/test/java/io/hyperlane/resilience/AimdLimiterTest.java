package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/** The AIMD limit's arithmetic: grow by one when at least half used, shrink on overload. */
class AimdLimiterTest {

  @Test
  void growsByOneAfterASuccessWhileAtLeastHalfUsedAndShrinksAfterAnOverload() throws Exception {
    AimdLimiter limiter =
        new AimdLimiter(
            ConcurrencyLimit.builder()
                .initialLimit(2)
                .minLimit(1)
                .maxLimit(4)
                .backoffRatio(0.5)
                .build());
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).as("over the limit of 2, with no wait").isFalse();
    limiter.release(AimdLimiter.Outcome.SUCCEEDED); // 2 in flight of 2: used enough to grow
    assertThat(limiter.limit()).isEqualTo(3);
    limiter.release(AimdLimiter.Outcome.SUCCEEDED); // 1 in flight of 3: below half, no growth
    assertThat(limiter.limit()).isEqualTo(3);

    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire()).isTrue();
    }
    limiter.release(AimdLimiter.Outcome.SUCCEEDED);
    limiter.release(AimdLimiter.Outcome.SUCCEEDED);
    limiter.release(AimdLimiter.Outcome.SUCCEEDED);
    assertThat(limiter.limit()).as("capped at maxLimit").isEqualTo(4);

    assertThat(limiter.tryAcquire()).isTrue();
    limiter.release(AimdLimiter.Outcome.DROPPED); // overload: × 0.5
    assertThat(limiter.limit()).isEqualTo(2);
    assertThat(limiter.tryAcquire()).isTrue();
    limiter.release(AimdLimiter.Outcome.DROPPED);
    assertThat(limiter.tryAcquire()).isTrue();
    limiter.release(AimdLimiter.Outcome.DROPPED);
    assertThat(limiter.limit()).as("floored at minLimit").isEqualTo(1);
  }

  private static final ConcurrencyLimit ONE_WAITING =
      ConcurrencyLimit.builder()
          .initialLimit(1)
          .minLimit(1)
          .maxLimit(1)
          .maxWait(Duration.ofSeconds(1))
          .build();

  private static CallSignal signal() {
    Call call = new OkHttpClient().newCall(new Request.Builder().url("http://catalog/").build());
    return CallSignal.of(call);
  }

  @Test
  void withNoWaitAFullLimiterRefusesAtOnce() throws Exception {
    AimdLimiter limiter =
        new AimdLimiter(
            ConcurrencyLimit.builder()
                .initialLimit(1)
                .minLimit(1)
                .maxLimit(1)
                .maxWait(Duration.ZERO)
                .build());
    Sleeper never =
        (queue, nanos) -> {
          throw new AssertionError("no wait expected");
        };
    assertThat(limiter.acquire(never, signal())).isEqualTo(AimdLimiter.Acquired.YES);
    assertThat(limiter.acquire(never, signal())).isEqualTo(AimdLimiter.Acquired.NO);
  }

  @Test
  void aWaiterGetsTheSlotReleasedWhileItWaits() throws Exception {
    AimdLimiter limiter = new AimdLimiter(ONE_WAITING);
    assertThat(limiter.tryAcquire()).isTrue();
    List<Long> waits = new ArrayList<>();
    Sleeper releasing =
        (queue, nanos) -> {
          waits.add(nanos);
          limiter.release(AimdLimiter.Outcome.IGNORED);
          return queue.poll();
        };
    assertThat(limiter.acquire(releasing, signal())).isEqualTo(AimdLimiter.Acquired.YES);
    assertThat(waits).containsExactly(Duration.ofSeconds(1).toNanos());
    assertThat(limiter.tryAcquire()).as("the slot is the waiter's").isFalse();
    limiter.release(AimdLimiter.Outcome.IGNORED);
    assertThat(limiter.tryAcquire()).isTrue();
  }

  @Test
  void aWaitThatTimesOutLeavesTheQueueAndTakesNothing() throws Exception {
    AimdLimiter limiter = new AimdLimiter(ONE_WAITING);
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.acquire((queue, nanos) -> null, signal()))
        .isEqualTo(AimdLimiter.Acquired.NO);
    limiter.release(AimdLimiter.Outcome.IGNORED);
    assertThat(limiter.tryAcquire()).as("no waiter left behind to hand the slot to").isTrue();
  }

  @Test
  void aCancelledWaitEndsAtOnceAndASlotHandedToItIsPassedOn() throws Exception {
    AimdLimiter limiter = new AimdLimiter(ONE_WAITING);
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.acquire((queue, nanos) -> CallSignal.CANCELLED, signal()))
        .isEqualTo(AimdLimiter.Acquired.CANCELLED);
    assertThat(limiter.tryAcquire()).as("still held by the first").isFalse();

    Sleeper handedThenCancelled =
        (queue, nanos) -> {
          limiter.release(AimdLimiter.Outcome.IGNORED); // hands the slot over as the cancel comes
          return CallSignal.CANCELLED;
        };
    assertThat(limiter.acquire(handedThenCancelled, signal()))
        .isEqualTo(AimdLimiter.Acquired.CANCELLED);
    assertThat(limiter.tryAcquire()).as("the slot it was handed is free again").isTrue();
    limiter.release(AimdLimiter.Outcome.IGNORED);

    assertThat(limiter.tryAcquire()).isTrue();
    Sleeper handedThenTimedOut =
        (queue, nanos) -> {
          limiter.release(AimdLimiter.Outcome.IGNORED);
          return null; // the wait ended just as the slot came: keep it
        };
    assertThat(limiter.acquire(handedThenTimedOut, signal())).isEqualTo(AimdLimiter.Acquired.YES);
    assertThat(limiter.tryAcquire()).isFalse();

    Call cancelled = new OkHttpClient().newCall(new Request.Builder().url("http://c/").build());
    cancelled.cancel();
    assertThat(limiter.acquire((queue, nanos) -> queue.poll(), CallSignal.of(cancelled)))
        .as("a call cancelled before it waits")
        .isEqualTo(AimdLimiter.Acquired.CANCELLED);
  }

  @Test
  void anIgnoredOutcomeMovesNeitherWay() {
    AimdLimiter limiter =
        new AimdLimiter(
            ConcurrencyLimit.builder()
                .initialLimit(2)
                .minLimit(1)
                .maxLimit(4)
                .backoffRatio(0.5)
                .build());
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    limiter.release(AimdLimiter.Outcome.IGNORED);
    limiter.release(AimdLimiter.Outcome.IGNORED);
    assertThat(limiter.limit()).isEqualTo(2);
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isFalse();
  }

  @Test
  void theLimitGrowsWhenExactlyHalfIsInUse() {
    AimdLimiter limiter =
        new AimdLimiter(ConcurrencyLimit.builder().initialLimit(4).minLimit(1).maxLimit(8).build());
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    limiter.release(AimdLimiter.Outcome.SUCCEEDED); // 2 of 4 in flight: half
    assertThat(limiter.limit()).isEqualTo(5);
    limiter.release(AimdLimiter.Outcome.SUCCEEDED); // 1 of 5: under half
    assertThat(limiter.limit()).isEqualTo(5);
  }

  /** Starts a thread waiting for a slot (in real time, up to 5 s) and returns its result. */
  private static CompletableFuture<AimdLimiter.Acquired> waiter(AimdLimiter limiter) {
    CompletableFuture<AimdLimiter.Acquired> result = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                result.complete(limiter.acquire(Sleeper.system(), signal()));
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            });
    thread.setDaemon(true);
    thread.start();
    return result;
  }

  private static void awaitWaiting(AimdLimiter limiter, int count) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (limiter.waiting() < count) {
      assertThat(System.nanoTime()).as("waiters queued in time").isLessThan(end);
      Thread.onSpinWait();
    }
  }

  private static final ConcurrencyLimit ONE_LONG_WAIT =
      ConcurrencyLimit.builder()
          .initialLimit(1)
          .minLimit(1)
          .maxLimit(1)
          .maxWait(Duration.ofSeconds(5))
          .build();

  @Test
  void aReleasedSlotGoesToOneWaiterOnly() throws Exception {
    AimdLimiter limiter = new AimdLimiter(ONE_LONG_WAIT);
    assertThat(limiter.tryAcquire()).isTrue();
    var first = waiter(limiter);
    awaitWaiting(limiter, 1);
    var second = waiter(limiter);
    awaitWaiting(limiter, 2);
    limiter.release(AimdLimiter.Outcome.IGNORED);
    assertThat(limiter.waiting()).as("one slot, one waiter served").isEqualTo(1);
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(AimdLimiter.Acquired.YES);
    assertThat(second).isNotDone();
    limiter.release(AimdLimiter.Outcome.IGNORED);
    assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo(AimdLimiter.Acquired.YES);
  }

  @Test
  void aSlotHandedToACancelledWaiterGoesToTheNextOne() throws Exception {
    AimdLimiter limiter = new AimdLimiter(ONE_LONG_WAIT);
    assertThat(limiter.tryAcquire()).isTrue();
    var next = new AtomicReference<CompletableFuture<AimdLimiter.Acquired>>();
    Sleeper handedThenCancelled =
        (queue, nanos) -> {
          next.set(waiter(limiter)); // queued behind this one
          awaitWaiting(limiter, 2);
          limiter.release(AimdLimiter.Outcome.IGNORED); // the slot is handed to this one...
          return CallSignal.CANCELLED; // ...as its call is cancelled
        };
    assertThat(limiter.acquire(handedThenCancelled, signal()))
        .isEqualTo(AimdLimiter.Acquired.CANCELLED);
    assertThat(next.get().get(5, TimeUnit.SECONDS)).isEqualTo(AimdLimiter.Acquired.YES);
  }
}
