package io.hyperlane.resilience;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A clock that moves only when a test advances it, with a scheduler that runs due tasks on the
 * advancing thread and a blocking executor that runs work inline. Nothing here waits.
 */
public class FakeTime implements Ticker, Scheduler, Executor {

  private static final class Task {
    final long due;
    final long order;
    final Runnable runnable;
    boolean cancelled;

    Task(long due, long order, Runnable runnable) {
      this.due = due;
      this.order = order;
      this.runnable = runnable;
    }
  }

  private final List<Task> tasks = new ArrayList<>();

  /** Fake time at an arbitrary, fixed origin. */
  public FakeTime() {}

  private long now = 1_000_000_000L;
  private long sequence;

  @Override
  public synchronized long read() {
    return now;
  }

  @Override
  public synchronized Cancellable schedule(Duration delay, Runnable task) {
    Task t = new Task(now + Math.max(0, delay.toNanos()), sequence++, task);
    tasks.add(t);
    return () -> {
      synchronized (FakeTime.this) {
        t.cancelled = true;
      }
    };
  }

  @Override
  public void execute(Runnable command) {
    command.run();
  }

  /** Moves the clock forward, running every task that falls due on the way, in order. */
  public void advance(Duration duration) {
    long target;
    synchronized (this) {
      target = now + duration.toNanos();
    }
    while (true) {
      Task next;
      synchronized (this) {
        next =
            tasks.stream()
                .filter(t -> !t.cancelled && t.due <= target)
                .min(Comparator.<Task>comparingLong(t -> t.due).thenComparingLong(t -> t.order))
                .orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        tasks.remove(next);
        now = Math.max(now, next.due);
      }
      next.runnable.run();
    }
  }

  /**
   * A wall clock that moves with this fake time: the real time when the FakeTime was made, plus how
   * far it has been advanced. For components that need epoch time, such as a cache.
   */
  public Clock wallClock() {
    long epochAtStart = System.currentTimeMillis();
    long tickerAtStart = read();
    return new Clock() {
      @Override
      public long millis() {
        return epochAtStart + (read() - tickerAtStart) / 1_000_000;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(millis());
      }

      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
      }
    };
  }

  /** Tasks scheduled and neither run nor cancelled yet. */
  public synchronized int pendingTasks() {
    return (int) tasks.stream().filter(t -> !t.cancelled).count();
  }
}
