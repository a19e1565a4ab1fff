package io.hyperlane.resilience;


/**
 * The timer the stages share when none is given: a {@link TickTimer}, one daemon thread, started
 * on first use and ended when idle. Deadlines and hedges of calls in flight run on it, so they
 * outlive a Hyperlane's {@code close()}: a call in flight then still ends by its deadline.
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
    return new TickTimer("hyperlane-shared-timer");
  }
}
