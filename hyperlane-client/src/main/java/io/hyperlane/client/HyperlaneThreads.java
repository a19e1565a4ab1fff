package io.hyperlane.client;

import io.hyperlane.resilience.Scheduler;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads one {@link Hyperlane} owns: a one-thread scheduler and a small pool for blocking
 * work. Neither exists until something uses it, so a Hyperlane with only static services starts no
 * thread. {@link #close(Duration)} stops both and waits for every thread they made to end.
 */
final class HyperlaneThreads implements Scheduler, Executor {

  private static final Logger log = LoggerFactory.getLogger(Hyperlane.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final int BLOCKING_THREADS = 4;
  static final String THREAD_PREFIX = "hyperlane-";

  private final int instance = INSTANCES.incrementAndGet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger threadCount = new AtomicInteger();

  // Guarded by this.
  private @Nullable ScheduledThreadPoolExecutor scheduler;
  private @Nullable ThreadPoolExecutor blocking;
  private boolean closed;

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    ScheduledFuture<?> future;
    try {
      future =
          scheduler().schedule(guarded(task), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return () -> {}; // closed: nothing runs any more
    }
    return () -> future.cancel(false);
  }

  @Override
  public void execute(Runnable task) {
    try {
      blocking().execute(guarded(task));
    } catch (RejectedExecutionException e) {
      log.debug("task dropped: Hyperlane is closed");
    }
  }

  private synchronized ScheduledThreadPoolExecutor scheduler() {
    if (closed) {
      throw new RejectedExecutionException("closed");
    }
    if (scheduler == null) {
      scheduler = new ScheduledThreadPoolExecutor(1, factory("scheduler"));
      scheduler.setRemoveOnCancelPolicy(true);
    }
    return scheduler;
  }

  private synchronized ThreadPoolExecutor blocking() {
    if (closed) {
      throw new RejectedExecutionException("closed");
    }
    if (blocking == null) {
      blocking =
          new ThreadPoolExecutor(
              BLOCKING_THREADS,
              BLOCKING_THREADS,
              30,
              TimeUnit.SECONDS,
              new LinkedBlockingQueue<>(),
              factory("blocking"));
      blocking.allowCoreThreadTimeOut(true);
    }
    return blocking;
  }

  private ThreadFactory factory(String role) {
    return runnable -> {
      Thread t =
          new Thread(
              () -> {
                try {
                  runnable.run();
                } finally {
                  threads.remove(Thread.currentThread());
                }
              },
              THREAD_PREFIX + instance + "-" + role + "-" + threadCount.incrementAndGet());
      t.setDaemon(true);
      threads.add(t);
      return t;
    };
  }

  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.warn("a Hyperlane background task failed", e);
      }
    };
  }

  /** Stops both pools and waits, at most {@code timeout}, for every thread they made to end. */
  void close(Duration timeout) {
    ScheduledThreadPoolExecutor s;
    ThreadPoolExecutor b;
    synchronized (this) {
      closed = true;
      s = scheduler;
      b = blocking;
    }
    if (s != null) {
      s.shutdownNow();
    }
    if (b != null) {
      b.shutdownNow();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || t == Thread.currentThread()) {
        continue;
      }
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (!threads.isEmpty()) {
      log.warn("{} Hyperlane threads still running after close: {}", threads.size(), threads);
    }
  }
}
