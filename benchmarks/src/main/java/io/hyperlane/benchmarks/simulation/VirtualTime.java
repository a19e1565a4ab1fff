package io.hyperlane.benchmarks.simulation;

import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Sleeper;
import io.hyperlane.resilience.Ticker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Virtual time on which real blocking code runs deterministically.
 *
 * <p>Every task (a caller, an OkHttp async call, a timer) runs on a thread of its own, so the code
 * under test keeps its ordinary blocking shape, but <em>one task runs at a time</em>: the others
 * are parked at a wait point ({@link #sleep}, {@link #poll}, {@link #await}). When the running task
 * waits or ends, the next one runs: first a waiting task whose wake condition has become true, then
 * tasks made ready, in the order they became ready; when none is ready the clock jumps to the
 * earliest timer. Nothing depends on the wall clock or on how the operating system schedules
 * threads, so the same inputs give the same run, event for event.
 *
 * <p>This object is the {@link Ticker}, {@link Sleeper} and {@link Scheduler} of the Hyperlane
 * under simulation and the executor of its OkHttp dispatcher. Its state is only touched by whoever
 * holds the baton (the scheduler loop in {@link #runUntil} or the one running task); the semaphores
 * that pass the baton order every access.
 */
final class VirtualTime implements Ticker, Sleeper, Scheduler, AutoCloseable {

  /** Thrown into a task that is still waiting when the simulation closes, to unwind it. */
  static final class Stopped extends Error {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super("simulation closed", null, false, false);
    }
  }

  private static final Runnable EXIT = () -> {};

  private final PriorityQueue<Timer> timers = new PriorityQueue<>();
  private final ArrayDeque<Worker> ready = new ArrayDeque<>();
  private final List<Worker> watching = new ArrayList<>();
  private final ArrayDeque<Worker> idle = new ArrayDeque<>();
  private final List<Worker> all = new ArrayList<>();
  private final Semaphore baton = new Semaphore(0);
  private final ExecutorService executor = new Executor();
  private long now;
  private long sequence;
  private boolean stopping;
  private Throwable failure;

  /** The current virtual time in nanoseconds, from 0 at the start. */
  @Override
  public long read() {
    return now;
  }

  /** Runs {@code task} as a new task, after those already ready. */
  void spawn(Runnable task) {
    if (stopping) {
      return;
    }
    Worker w = idle.poll();
    if (w == null) {
      w = new Worker(all.size());
      all.add(w);
      w.start();
    }
    w.task = task;
    ready.add(w);
  }

  /** Runs {@code task} as a new task at virtual time {@code atNanos}. */
  void spawnAt(long atNanos, Runnable task) {
    timers.add(new Timer(Math.max(atNanos, now), sequence++, null, 0, task));
  }

  /**
   * Parks the running task until virtual time {@code wakeAtNanos} ({@code Long.MAX_VALUE}: no
   * timer), or earlier once {@code wakeEarly} (may be null) is true; returns at once if it is
   * already true.
   */
  void await(long wakeAtNanos, BooleanSupplier wakeEarly) {
    Worker w = running();
    if (stopping) {
      throw new Stopped();
    }
    if (wakeEarly != null && wakeEarly.getAsBoolean()) {
      return;
    }
    if (wakeAtNanos <= now && wakeEarly == null) {
      return;
    }
    w.generation++;
    if (wakeAtNanos != Long.MAX_VALUE) {
      timers.add(new Timer(wakeAtNanos, sequence++, w, w.generation, null));
    }
    if (wakeEarly != null) {
      w.wakeEarly = wakeEarly;
      watching.add(w);
    }
    baton.release();
    w.go.acquireUninterruptibly();
    if (stopping) {
      throw new Stopped();
    }
  }

  @Override
  public void sleep(Duration duration) {
    await(now + Math.max(0, duration.toNanos()), null);
  }

  @Override
  public Object poll(BlockingQueue<Object> queue, long timeoutNanos) {
    Object head = queue.poll();
    if (head != null || timeoutNanos <= 0) {
      return head;
    }
    await(
        timeoutNanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + timeoutNanos,
        () -> !queue.isEmpty());
    return queue.poll();
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    Timer timer = new Timer(now + Math.max(0, delay.toNanos()), sequence++, null, 0, task);
    timers.add(timer);
    return () -> timer.cancelled = true;
  }

  /** The executor OkHttp's dispatcher runs async calls on: each call becomes a task. */
  ExecutorService executor() {
    return executor;
  }

  /**
   * Runs tasks until none is ready and the next timer is after {@code endNanos} (or there is none);
   * the clock then stays where the last task left it.
   *
   * @throws IllegalStateException if a task threw
   */
  void runUntil(long endNanos) {
    for (Worker w = next(endNanos); w != null; w = next(endNanos)) {
      w.go.release();
      baton.acquireUninterruptibly();
      if (failure != null) {
        throw new IllegalStateException("a simulated task failed", failure);
      }
    }
  }

  private Worker next(long endNanos) {
    while (true) {
      for (int i = 0; i < watching.size(); i++) {
        Worker w = watching.get(i);
        if (w.wakeEarly.getAsBoolean()) {
          watching.remove(i--);
          w.wakeEarly = null;
          w.generation++; // its timer, if any, is stale now
          ready.add(w);
        }
      }
      Worker w = ready.poll();
      if (w != null) {
        return w;
      }
      Timer t = timers.peek();
      if (t == null || t.atNanos > endNanos) {
        return null;
      }
      timers.poll();
      if (t.cancelled || t.worker != null && t.generation != t.worker.generation) {
        continue;
      }
      now = Math.max(now, t.atNanos);
      if (t.worker != null) {
        if (t.worker.wakeEarly != null) {
          watching.remove(t.worker);
          t.worker.wakeEarly = null;
        }
        t.worker.generation++;
        ready.add(t.worker);
      } else {
        spawn(t.task);
      }
    }
  }

  /** Unwinds every task still waiting (it gets {@link Stopped}) and ends every thread. */
  @Override
  public void close() {
    stopping = true;
    for (int i = 0; i < all.size(); i++) { // unwinding may start threads: no iterator
      Worker w = all.get(i);
      if (w.task != null) {
        w.go.release();
        baton.acquireUninterruptibly();
      }
    }
    for (Worker w : all) {
      w.task = EXIT;
      w.go.release();
    }
  }

  private Worker running() {
    Thread t = Thread.currentThread();
    if (!(t instanceof Worker)) {
      throw new IllegalStateException("only a simulated task can wait on virtual time");
    }
    return (Worker) t;
  }

  /** A thread that runs one task after another, only while it holds the baton. */
  private final class Worker extends Thread {
    final Semaphore go = new Semaphore(0);
    Runnable task;
    BooleanSupplier wakeEarly;
    long generation;

    Worker(int index) {
      super("simulated-" + index);
      setDaemon(true);
    }

    @Override
    public void run() {
      while (true) {
        go.acquireUninterruptibly();
        Runnable t = task;
        if (t == EXIT) {
          return;
        }
        try {
          t.run();
        } catch (Stopped expected) {
          // closed while waiting: nothing to record
        } catch (Throwable e) {
          if (failure == null && !stopping) {
            failure = e;
          }
        }
        task = null;
        if (!stopping) {
          idle.push(this);
        }
        baton.release();
      }
    }
  }

  private static final class Timer implements Comparable<Timer> {
    final long atNanos;
    final long sequence;
    final Worker worker; // wakes this task, or
    final long generation;
    final Runnable task; // starts this one
    boolean cancelled;

    Timer(long atNanos, long sequence, Worker worker, long generation, Runnable task) {
      this.atNanos = atNanos;
      this.sequence = sequence;
      this.worker = worker;
      this.generation = generation;
      this.task = task;
    }

    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(atNanos, o.atNanos);
      return c != 0 ? c : Long.compare(sequence, o.sequence);
    }
  }

  private final class Executor extends AbstractExecutorService {
    @Override
    public void execute(Runnable command) {
      spawn(command);
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return false;
    }
  }
}
