package io.hyperlane.client;

import java.util.List;

/**
 * A discovery a test drives by hand: it remembers the context and pushes whatever it is told to.
 */
final class MutableDiscovery implements ServiceDiscovery {

  private final List<Endpoint> initial;
  private volatile Context context;
  volatile boolean cancelled;

  MutableDiscovery(List<Endpoint> initial) {
    this.initial = initial;
  }

  @Override
  public Subscription subscribe(Context context) {
    this.context = context;
    context.update(initial);
    return () -> cancelled = true;
  }

  void push(List<Endpoint> endpoints) {
    context.update(endpoints);
  }

  void fail(Throwable cause) {
    context.failed(cause);
  }
}
