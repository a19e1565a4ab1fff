package io.hyperlane.testing;

import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Sleeper;
import io.hyperlane.resilience.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Time that moves only when a test moves it: a {@link Ticker}, a {@link Sleeper}, a {@link
 * Scheduler} and an {@link Executor} in one object, so that retry pauses, backoffs, ejections,
 * slow-start ramps, circuits, discovery refreshes and deadlines all run on the same clock, and a
 * test reaches any state by advancing it — never by sleeping.
 *
 * <pre>{@code
 * FakeTime time = new FakeTime();
 * Hyperlane hyperlane = time.drive(Hyperlane.builder())  // ticker, sleeper, scheduler, executor
 *     .service("inventory", replicas.urls())
 *     .build();
 * ...
 * time.advance(Duration.ofSeconds(30));  // runs every timer due on the way, in order
 * }</pre>
 *
 * <p>Scheduled tasks run on the thread that advances the clock, in the order they fall due;
 * blocking work given to the executor runs at once on the calling thread. A sleep does not wait: it
 * moves the clock forward by its length (running what falls due) and is recorded in {@link
 * #pauses()}; a wait that something already ended (a hedge's answer, a cancellation) returns at
 * once. Thread-safe.
 */
public final class FakeTime implements Ticker, Sleeper, Scheduler, Executor {

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
  private final List<Duration> pauses = new CopyOnWriteArrayList<>();
  private long now = 1_000_000_000L;
  private long sequence;

  /** Creates fake time at an arbitrary, fixed origin. */
  public FakeTime() {}

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

  @Override
  public @Nullable Object poll(BlockingQueue<Object> queue, long timeoutNanos) {
    Object ready = queue.poll();
    if (ready != null) {
      return ready;
    }
    Duration pause = Duration.ofNanos(Math.max(0, timeoutNanos));
    pauses.add(pause);
    advance(pause);
    return queue.poll();
  }

  /**
   * Moves the clock forward, running every task that falls due on the way, in order.
   *
   * @param duration how far; not negative
   * @throws IllegalArgumentException if {@code duration} is negative
   */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative but was " + duration);
    }
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
          now = Math.max(now, target);
          return;
        }
        tasks.remove(next);
        now = Math.max(now, next.due);
      }
      next.runnable.run();
    }
  }

  /**
   * Every sleep taken on this time, in order: the pauses between retries, for example.
   *
   * @return a live, thread-safe view
   */
  public List<Duration> pauses() {
    return pauses;
  }

  /**
   * Tasks scheduled and neither run nor cancelled yet.
   *
   * @return how many
   */
  public synchronized int pendingTasks() {
    return (int) tasks.stream().filter(t -> !t.cancelled).count();
  }

  /**
   * A wall clock that moves with this time: the real time when it was asked for, plus how far this
   * time has been advanced since. For what needs epoch time, such as a cache's {@code Date}s.
   *
   * @return the clock
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
        throw new UnsupportedOperationException("fake time has no zone");
      }
    };
  }
}
