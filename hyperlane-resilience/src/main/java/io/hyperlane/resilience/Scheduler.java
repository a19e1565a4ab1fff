package io.hyperlane.resilience;

import java.time.Duration;

/**
 * Runs a task once after a delay: discovery refreshes, and later hedges and background
 * revalidation.
 *
 * <p>Hyperlane owns a default scheduler with one daemon thread, started on first use and stopped by
 * {@code close()}. Tests pass a fake that runs due tasks when they advance a fake {@link Ticker},
 * so that nothing waits on the wall clock. Tasks must be short: anything that may block (a DNS
 * lookup, a registry call) is handed to an executor by the task itself.
 */
@FunctionalInterface
public interface Scheduler {

  /**
   * Schedules {@code task} to run once, {@code delay} from now.
   *
   * @param delay how long to wait; zero or negative runs the task as soon as possible
   * @param task what to run; an exception it throws is logged and otherwise ignored
   * @return a handle that cancels the task if it has not started yet
   */
  Cancellable schedule(Duration delay, Runnable task);

  /** A scheduled task that has not run yet can be cancelled through this handle. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the task if it has not started; does nothing otherwise. */
    void cancel();
  }
}
