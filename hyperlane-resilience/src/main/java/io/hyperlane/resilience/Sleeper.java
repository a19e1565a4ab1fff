package io.hyperlane.resilience;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Waits between attempts, and for the first of a hedged attempt's calls. Production code uses {@link
 * #system()}; tests pass a fake that records the requested pause and advances a fake {@link Ticker}
 * instead of waiting, and a simulation on virtual time implements both methods on its own clock.
 */
@FunctionalInterface
public interface Sleeper {

  /**
   * Waits {@code duration}, or returns at once when it is zero or negative.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void sleep(Duration duration) throws InterruptedException;

  /**
   * Takes the head of {@code queue}, waiting up to {@code timeoutNanos} for one to arrive; returns
   * null when none came in time. The hedging stage waits this way for the first outcome of its calls,
   * which other threads add to the queue. The default waits on the queue itself.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  default <E> E poll(BlockingQueue<E> queue, long timeoutNanos) throws InterruptedException {
    return queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
  }

  /** Returns the sleeper backed by {@link Thread#sleep(long, int)}. */
  static Sleeper system() {
    return duration -> {
      long nanos = duration.toNanos();
      if (nanos > 0) {
        Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
      }
    };
  }
}
