package io.hyperlane.resilience;

import java.util.concurrent.TimeUnit;

/** The live state of one service's {@link ConcurrencyLimit}. Guarded by its monitor. */
final class AimdLimiter {

  private final ConcurrencyLimit settings;
  private double limit;
  private int inFlight;

  AimdLimiter(ConcurrencyLimit settings) {
    this.settings = settings;
    this.limit = settings.initialLimit;
  }

  /** Takes a slot, waiting up to the configured bound; false when none came free in time. */
  synchronized boolean acquire() throws InterruptedException {
    if (inFlight < (int) limit) {
      inFlight++;
      return true;
    }
    long wait = settings.maxWaitNanos;
    long until = System.nanoTime() + wait;
    while (wait > 0) {
      TimeUnit.NANOSECONDS.timedWait(this, wait);
      if (inFlight < (int) limit) {
        inFlight++;
        return true;
      }
      wait = until - System.nanoTime();
    }
    return false;
  }

  /** Gives the slot back, raising the limit after a success and lowering it after a failure. */
  synchronized void release(boolean dropped) {
    if (dropped) {
      limit = Math.max(settings.minLimit, limit * settings.backoffRatio);
    } else if (inFlight >= limit / 2) {
      limit = Math.min(settings.maxLimit, limit + 1);
    }
    inFlight--;
    notifyAll();
  }

  synchronized int limit() {
    return (int) limit;
  }
}
