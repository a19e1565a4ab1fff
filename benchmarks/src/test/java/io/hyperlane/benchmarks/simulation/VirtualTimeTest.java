package io.hyperlane.benchmarks.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VirtualTimeTest {

  private static final long MS = 1_000_000;

  @Test
  void tasksWakeInTimeOrderAndTheClockJumps() {
    List<String> log = new ArrayList<>();
    try (VirtualTime time = new VirtualTime()) {
      for (int i = 3; i >= 1; i--) {
        int n = i;
        time.spawn(
            () -> {
              time.sleep(Duration.ofMillis(n * 10));
              log.add(n + "@" + time.read() / MS);
            });
      }
      time.spawnAt(25 * MS, () -> log.add("late@" + time.read() / MS));
      time.runUntil(Long.MAX_VALUE);
      assertThat(log).containsExactly("1@10", "2@20", "late@25", "3@30");
      assertThat(time.read()).isEqualTo(30 * MS);
    }
  }

  @Test
  void pollWakesWhenAnotherTaskOffersAndTimesOutOtherwise() {
    LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    List<String> log = new ArrayList<>();
    try (VirtualTime time = new VirtualTime()) {
      time.spawn(
          () -> {
            log.add(time.poll(queue, 50 * MS) + "@" + time.read() / MS);
            log.add(time.poll(queue, 50 * MS) + "@" + time.read() / MS);
          });
      time.spawnAt(7 * MS, () -> queue.add("x"));
      time.runUntil(Long.MAX_VALUE);
    }
    assertThat(log).containsExactly("x@7", "null@57");
  }

  @Test
  void runUntilStopsAtItsEndAndScheduledTasksCanBeCancelled() {
    AtomicBoolean ran = new AtomicBoolean();
    List<Long> seen = new ArrayList<>();
    try (VirtualTime time = new VirtualTime()) {
      time.schedule(Duration.ofMillis(5), () -> ran.set(true)).cancel();
      time.schedule(Duration.ofMillis(8), () -> seen.add(time.read()));
      time.spawnAt(100 * MS, () -> seen.add(time.read()));
      time.runUntil(50 * MS);
      assertThat(ran).isFalse();
      assertThat(seen).containsExactly(8 * MS);
    }
  }

  @Test
  void aTaskThatThrowsFailsTheRun() {
    try (VirtualTime time = new VirtualTime()) {
      time.spawn(
          () -> {
            throw new IllegalArgumentException("boom");
          });
      assertThatThrownBy(() -> time.runUntil(Long.MAX_VALUE))
          .isInstanceOf(IllegalStateException.class)
          .hasRootCauseInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void closeUnwindsATaskThatWaitsForever() throws Exception {
    AtomicBoolean unwound = new AtomicBoolean();
    Thread[] worker = new Thread[1];
    VirtualTime time = new VirtualTime();
    time.spawn(
        () -> {
          worker[0] = Thread.currentThread();
          try {
            time.await(Long.MAX_VALUE, () -> false);
          } finally {
            unwound.set(true);
          }
        });
    time.runUntil(Long.MAX_VALUE);
    time.close();
    assertThat(unwound).isTrue();
    worker[0].join(5_000);
    assertThat(worker[0].isAlive()).isFalse();
  }

  @Test
  void onlySimulatedTasksMayWait() {
    try (VirtualTime time = new VirtualTime()) {
      assertThatThrownBy(() -> time.sleep(Duration.ofMillis(1)))
          .isInstanceOf(IllegalStateException.class);
    }
  }
}
