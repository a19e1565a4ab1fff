package io.hyperlane.discovery;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Polls a condition that another process brings about (a registry answering, a watch event
 * arriving): every 5 ms until it holds, failing after a bound. Returns how long it took, so a test
 * can state the bound it holds.
 */
final class Await {

  private Await() {}

  static Duration until(Duration bound, BooleanSupplier condition, String what) {
    long start = System.nanoTime();
    long until = start + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        fail("gave up after " + bound + " waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
