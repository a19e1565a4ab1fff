package io.hyperlane.resilience;

import java.util.ArrayDeque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The live state of one service's {@link ConcurrencyLimit}. Guarded by its monitor; a call that
 * waits for a slot waits outside it, through the {@link Sleeper} on a queue of its own, to which a
 * release hands the slot over (first come, first served) and the call's cancellation sends {@link
 * CallSignal#CANCELLED}.
 */
final class AimdLimiter {

  /** What a wait for a slot came to. */
  enum Acquired {
    YES,
    NO,
    CANCELLED
  }

  private static final Object GRANTED = new Object();

  private final ConcurrencyLimit settings;
  private final ArrayDeque<BlockingQueue<Object>> waiters = new ArrayDeque<>();
  private double limit;
  private int inFlight;

  AimdLimiter(ConcurrencyLimit settings) {
    this.settings = settings;
    this.limit = settings.initialLimit;
  }

  /** Takes a slot if one is free now. */
  synchronized boolean tryAcquire() {
    if (inFlight < (int) limit && waiters.isEmpty()) {
      inFlight++;
      return true;
    }
    return false;
  }

  /**
   * Takes a slot, waiting up to the configured bound for one to be handed over; ends at once when
   * {@code signal}'s call is cancelled.
   */
  Acquired acquire(Sleeper sleeper, CallSignal signal) throws InterruptedException {
    BlockingQueue<Object> mine;
    synchronized (this) {
      if (inFlight < (int) limit && waiters.isEmpty()) {
        inFlight++;
        return Acquired.YES;
      }
      if (settings.maxWaitNanos <= 0) {
        return Acquired.NO;
      }
      mine = new LinkedBlockingQueue<>();
      waiters.add(mine);
    }
    Object woken = signal.poll(sleeper, mine, settings.maxWaitNanos);
    synchronized (this) {
      if (woken == GRANTED) {
        return Acquired.YES;
      }
      if (waiters.remove(mine)) {
        return woken == CallSignal.CANCELLED ? Acquired.CANCELLED : Acquired.NO;
      }
      // A slot was handed over as the wait ended: keep it, or pass it on when cancelled.
      if (woken == CallSignal.CANCELLED) {
        inFlight--;
        handOver();
        return Acquired.CANCELLED;
      }
      return Acquired.YES;
    }
  }

  /** How a call that held a slot ended, as the limit sees it. */
  enum Outcome {
    /** Answered: the limit may grow. */
    SUCCEEDED,
    /** Overloaded (an I/O error, a 503 or 429, its deadline passed): the limit shrinks. */
    DROPPED,
    /** Its caller cancelled it: it says nothing of the service. */
    IGNORED
  }

  /** Gives the slot back, raising the limit after a success and lowering it after a drop. */
  synchronized void release(Outcome outcome) {
    if (outcome == Outcome.DROPPED) {
      limit = Math.max(settings.minLimit, limit * settings.backoffRatio);
    } else if (outcome == Outcome.SUCCEEDED && inFlight >= limit / 2) {
      limit = Math.min(settings.maxLimit, limit + 1);
    }
    inFlight--;
    handOver();
  }

  /** Hands free slots to the calls waiting, in the order they came. */
  private void handOver() {
    while (inFlight < (int) limit && !waiters.isEmpty()) {
      inFlight++;
      waiters.poll().offer(GRANTED);
    }
  }

  /** Calls waiting for a slot (for tests). */
  synchronized int waiting() {
    return waiters.size();
  }

  synchronized int limit() {
    return (int) limit;
  }
}
