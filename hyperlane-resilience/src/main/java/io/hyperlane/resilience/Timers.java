package io.hyperlane.resilience;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The timer the stages share when none is given: a {@link TickTimer}, one daemon thread, started on
 * first use and ended when idle. Deadlines and hedges of calls in flight run on it, so they outlive
 * a Hyperlane's {@code close()}: a call in flight then still ends by its deadline.
 */
final class Timers {

  private static final class Holder {
    static final Scheduler INSTANCE = create();
  }

  private Timers() {}

  static Scheduler shared() {
    return Holder.INSTANCE;
  }

  private static final class Work {
    static final ExecutorService INSTANCE = create();

    private static ExecutorService create() {
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(
              0,
              Integer.MAX_VALUE,
              60,
              TimeUnit.SECONDS,
              new SynchronousQueue<>(),
              r -> {
                Thread t = new Thread(null, r, "hyperlane-work", 0, false);
                t.setDaemon(true);
                return t;
              });
      return pool;
    }
  }

  /**
   * Threads for what a timer task starts and for a hedged attempt's calls: the user's listeners, a
   * hedge's call. Threads of their own, made as needed and ended after a minute idle: neither the
   * timer nor the caller's executor waits on them (a fixed-size executor of the caller's, full of
   * calls waiting for their hedges, would otherwise never run those hedges).
   */
  static ExecutorService work() {
    return Work.INSTANCE;
  }

  private static Scheduler create() {
    return new TickTimer("hyperlane-shared-timer");
  }
}
