package io.hyperlane.client;

import io.hyperlane.resilience.Scheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Runs a lookup now and then every {@code interval} on a timer — whatever the traffic — on the
 * blocking executor, handing each result to the discovery context; a failed lookup keeps the last
 * good set and is tried again after {@code min(interval, 5 s)}. What the DNS discoveries share.
 */
final class PeriodicLookup implements Runnable, ServiceDiscovery.Subscription {

  /** One lookup of the whole endpoint set; may block. */
  @FunctionalInterface
  interface Lookup {
    List<Endpoint> endpoints() throws IOException;
  }

  private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(5);

  private final ServiceDiscovery.Context context;
  private final Lookup lookup;
  private final Duration interval;
  private volatile boolean cancelled;
  private volatile Scheduler.@Nullable Cancellable next;

  PeriodicLookup(ServiceDiscovery.Context context, Lookup lookup, Duration interval) {
    this.context = context;
    this.lookup = lookup;
    this.interval = interval;
  }

  /**
   * Looks up once on the calling thread (so a service starts with endpoints), then on the timer.
   */
  static PeriodicLookup start(ServiceDiscovery.Context context, Lookup lookup, Duration interval) {
    PeriodicLookup periodic = new PeriodicLookup(context, lookup, interval);
    periodic.run();
    return periodic;
  }

  @Override
  public void run() {
    if (cancelled) {
      return;
    }
    Duration delay = interval;
    try {
      context.update(lookup.endpoints());
    } catch (IOException | RuntimeException e) {
      context.failed(e);
      delay = interval.compareTo(MAX_RETRY_DELAY) < 0 ? interval : MAX_RETRY_DELAY;
    } finally {
      if (!cancelled) {
        next = context.scheduler().schedule(delay, this::dispatch);
      }
    }
  }

  private void dispatch() {
    if (!cancelled) {
      context.blockingExecutor().execute(this);
    }
  }

  @Override
  public void cancel() {
    cancelled = true;
    Scheduler.Cancellable pending = next;
    if (pending != null) {
      pending.cancel();
    }
  }
}
