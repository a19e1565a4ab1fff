package io.hyperlane.cache;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** A shared tier that passes everything to another: tests override what they change. */
class ForwardingTier implements SharedTier {
  private final SharedTier delegate;

  ForwardingTier(SharedTier delegate) {
    this.delegate = delegate;
  }

  @Override
  public CompletionStage<Entry> get(String service, String key) {
    return delegate.get(service, key);
  }

  @Override
  public CompletionStage<Boolean> put(
      String service, String key, byte[] value, Duration ttl, String fences) {
    return delegate.put(service, key, value, ttl, fences);
  }

  @Override
  public CompletionStage<Void> invalidate(String service, String key) {
    return delegate.invalidate(service, key);
  }

  @Override
  public CompletionStage<Void> invalidateService(String service) {
    return delegate.invalidateService(service);
  }

  @Override
  public CompletionStage<Void> publish(String message) {
    return delegate.publish(message);
  }

  @Override
  public void subscribe(Subscriber subscriber) {
    delegate.subscribe(subscriber);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
