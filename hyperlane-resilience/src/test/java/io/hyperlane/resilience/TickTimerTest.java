package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The shared timer under concurrent use, on real time (it is a timer): tasks scheduled and
 * cancelled from several threads at once. Invariants: a task runs at most once, never before its
 * time, at most a little after it unless cancelled, and never once its cancel() returned before its
 * time came.
 */
class TickTimerTest {

  private static final class Probe {
    final long dueNanos;
    final AtomicInteger runs = new AtomicInteger();
    final AtomicLong ranAt = new AtomicLong();
    volatile long cancelledAt; // 0: not cancelled

    Probe(long dueNanos) {
      this.dueNanos = dueNanos;
    }
  }

  @Test
  void everyTaskRunsOnceInTimeUnlessCancelledFirst() throws Exception {
    TickTimer timer = new TickTimer("tick-timer-test");
    int threads = 4;
    int perThread = 5_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Probe> probes = Collections.synchronizedList(new ArrayList<>());
    List<Future<?>> work = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      work.add(
          pool.submit(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < perThread; i++) {
                  long delayNanos = random.nextLong(TimeUnit.MILLISECONDS.toNanos(30));
                  Probe probe = new Probe(System.nanoTime() + delayNanos);
                  probes.add(probe);
                  Scheduler.Cancellable handle =
                      timer.schedule(
                          Duration.ofNanos(delayNanos),
                          () -> {
                            probe.ranAt.set(System.nanoTime());
                            probe.runs.incrementAndGet();
                          });
                  if (random.nextBoolean()) {
                    handle.cancel();
                    probe.cancelledAt = System.nanoTime();
                  }
                  if (i % 100 == 0) {
                    LockSupport.parkNanos(200_000); // bursts, then quiet
                  }
                }
              }));
    }
    for (Future<?> f : work) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    long allDue = probes.stream().mapToLong(p -> p.dueNanos).max().orElse(0);
    while (System.nanoTime() - allDue < TimeUnit.MILLISECONDS.toNanos(200)) {
      Thread.onSpinWait(); // every task's time, and a margin, has passed
    }
    int ran = 0;
    for (Probe p : probes) {
      assertThat(p.runs.get()).as("runs of one task").isLessThanOrEqualTo(1);
      if (p.runs.get() == 1) {
        ran++;
        assertThat(p.ranAt.get()).as("not before its time").isGreaterThanOrEqualTo(p.dueNanos);
        assertThat(p.ranAt.get() - p.dueNanos)
            .as("lateness, in ns, on a loaded machine")
            .isLessThan(TimeUnit.MILLISECONDS.toNanos(250));
        if (p.cancelledAt != 0) {
          assertThat(p.cancelledAt)
              .as("cancelled after it ran or as it came due")
              .isGreaterThanOrEqualTo(p.dueNanos - TimeUnit.MILLISECONDS.toNanos(2));
        }
      } else {
        assertThat(p.cancelledAt).as("a task that never ran was cancelled").isNotZero();
      }
    }
    assertThat(ran).as("the uncancelled half ran").isGreaterThan(threads * perThread / 3);
  }

  @Test
  void aTaskWhoseTimeHasPassedRunsAtOnceAndALongOneWaitsItsTurn() throws Exception {
    TickTimer timer = new TickTimer("tick-timer-test-2");
    CountDownLatch ran = new CountDownLatch(1);
    long before = System.nanoTime();
    timer.schedule(Duration.ofMillis(-5), ran::countDown);
    assertThat(ran.await(1, TimeUnit.SECONDS)).isTrue();
    assertThat(System.nanoTime() - before).isLessThan(TimeUnit.MILLISECONDS.toNanos(200));
    CountDownLatch later = new CountDownLatch(1);
    long scheduled = System.nanoTime();
    timer.schedule(Duration.ofMillis(700), later::countDown); // more than one turn of the wheel
    assertThat(later.await(3, TimeUnit.SECONDS)).isTrue();
    assertThat(System.nanoTime() - scheduled)
        .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(700));
  }
}
