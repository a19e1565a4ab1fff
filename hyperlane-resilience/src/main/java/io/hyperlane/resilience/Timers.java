package io.hyperlane.resilience;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The timer the stages share when none is given: one daemon thread, started on first use and ended
 * when idle for 30 s. Deadlines and hedges of calls in flight run on it, so they outlive a
 * Hyperlane's {@code close()}: a call in flight then still ends by its deadline.
 */
final class Timers {

  private static final class Holder {
    static final Scheduler INSTANCE = create();
  }

  private Timers() {}

  static Scheduler shared() {
    return Holder.INSTANCE;
  }

  private static Scheduler create() {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "hyperlane-shared-timer");
      t.setDaemon(true);
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
    executor.setKeepAliveTime(30, TimeUnit.SECONDS);
    executor.allowCoreThreadTimeOut(true);
    return (delay, task) -> {
      var future = executor.schedule(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          org.slf4j.LoggerFactory.getLogger(Timers.class).warn("a timer task failed", e);
        }
      }, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
      return () -> future.cancel(false);
    };
  }
}
