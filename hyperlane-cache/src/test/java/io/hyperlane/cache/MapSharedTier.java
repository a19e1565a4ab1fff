package io.hyperlane.cache;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A shared tier in a map, for the cache's own logic; can be switched to failing. Messages are
 * delivered synchronously to every subscriber of the same map.
 */
final class MapSharedTier implements SharedTier {
  final Map<String, byte[]> values;
  private final List<Subscriber> subscribers;
  volatile boolean failing;

  MapSharedTier() {
    this(new ConcurrentHashMap<>(), new CopyOnWriteArrayList<>());
  }

  private MapSharedTier(Map<String, byte[]> values, List<Subscriber> subscribers) {
    this.values = values;
    this.subscribers = subscribers;
  }

  /** Another instance's view of the same store. */
  MapSharedTier peer() {
    return new MapSharedTier(values, subscribers);
  }

  private <T> CompletionStage<T> done(T value) {
    return failing ? CompletableFuture.failedFuture(new IOException("tier down"))
        : CompletableFuture.completedFuture(value);
  }

  @Override
  public CompletionStage<byte[]> get(String key) {
    return done(values.get(key));
  }

  @Override
  public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
    if (!failing) {
      values.put(key, value);
    }
    return done(null);
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    if (!failing) {
      values.remove(key);
    }
    return done(null);
  }

  @Override
  public CompletionStage<Void> deletePrefix(String prefix) {
    if (!failing) {
      values.keySet().removeIf(k -> k.startsWith(prefix));
    }
    return done(null);
  }

  @Override
  public CompletionStage<Void> publish(String message) {
    if (!failing) {
      subscribers.forEach(s -> s.onMessage(message));
    }
    return done(null);
  }

  @Override
  public void subscribe(Subscriber subscriber) {
    subscribers.add(subscriber);
  }

  void reconnectAll() {
    subscribers.forEach(Subscriber::onReconnected);
  }

  @Override
  public void close() {}
}
