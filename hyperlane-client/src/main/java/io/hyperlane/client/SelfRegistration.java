package io.hyperlane.client;

import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Ticker;
import java.util.concurrent.Executor;

/**
 * The running instance, registered in a registry for as long as its {@link Hyperlane} runs: started
 * by {@link Hyperlane.Builder#build()}, kept alive on Hyperlane's threads, removed by {@link
 * Hyperlane#close()}. {@code io.hyperlane.discovery.EtcdDiscovery#registration} is one.
 *
 * <p>{@link #start} must not block: it schedules its work (register, then keep alive) on the
 * context's threads and retries on its own when the registry is unreachable.
 */
@FunctionalInterface
public interface SelfRegistration {

  /** Starts registering; the handle removes the registration. */
  Handle start(Context context);

  /** Removes a registration. */
  @FunctionalInterface
  interface Handle {
    /** Removes the registration from the registry (waiting a bounded time) and stops its timers. */
    void close();
  }

  /** The threads and clock a registration runs on: Hyperlane's own. */
  interface Context {
    /** Runs short tasks later, such as the next keep-alive. */
    Scheduler scheduler();

    /** Runs work that may block, such as a call to the registry. */
    Executor blockingExecutor();

    /** The clock. */
    Ticker ticker();
  }
}
