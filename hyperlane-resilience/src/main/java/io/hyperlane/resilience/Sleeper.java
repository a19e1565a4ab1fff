package io.hyperlane.resilience;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Every wait inside a call: the pause between attempts, a wait for a concurrency or rate permit,
 * the wait for the calls of a hedged attempt. Each of them must end at once when something arrives
 * — an outcome of a hedged call, a permit handed over, the call's cancellation (by its caller, its
 * deadline or its call timeout) — so each is a {@link #poll} of a queue that other threads add to.
 *
 * <p>Production code uses {@link #system()}, which waits on the queue itself. Tests pass a fake
 * that records the wait and advances a fake {@link Ticker} instead of waiting, returning what is
 * already in the queue (or null); a simulation on virtual time waits on its own clock.
 *
 * <pre>{@code
 * Sleeper recording = (queue, timeoutNanos) -> {
 *   waits.add(Duration.ofNanos(timeoutNanos));
 *   Object now = queue.poll();
 *   if (now == null) fakeTime.advance(Duration.ofNanos(timeoutNanos));
 *   return now;
 * };
 * }</pre>
 */
@FunctionalInterface
public interface Sleeper {

  /**
   * Takes the head of {@code queue}, waiting up to {@code timeoutNanos} for one to arrive; returns
   * null when none came in time.
   *
   * @param queue where what ends the wait arrives
   * @param timeoutNanos the longest wait
   * @return the head of the queue, or null
   * @throws InterruptedException if the waiting thread is interrupted
   */
  @Nullable Object poll(BlockingQueue<Object> queue, long timeoutNanos) throws InterruptedException;

  /**
   * Waits {@code duration}, or returns at once when it is zero or negative: a {@link #poll} of a
   * queue nothing is added to.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  default void sleep(Duration duration) throws InterruptedException {
    if (!duration.isNegative() && !duration.isZero()) {
      poll(new LinkedBlockingQueue<>(), duration.toNanos());
    }
  }

  /** Returns the sleeper that waits on the queue, in real time. */
  static Sleeper system() {
    return (queue, timeoutNanos) -> queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
  }
}
