package io.hyperlane.cache;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A shared tier in a map, for the cache's own logic; can be switched to failing. Fences follow the
 * SPI's contract (a write happens only while neither fence moved, atomically). Messages are
 * delivered synchronously to every subscriber of the same map.
 */
final class MapSharedTier implements SharedTier {
  final Map<String, byte[]> values;
  private final Map<String, String> fences;
  private final List<Subscriber> subscribers;
  volatile boolean failing;

  MapSharedTier() {
    this(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new CopyOnWriteArrayList<>());
  }

  private MapSharedTier(
      Map<String, byte[]> values, Map<String, String> fences, List<Subscriber> subscribers) {
    this.values = values;
    this.fences = fences;
    this.subscribers = subscribers;
  }

  /** Another instance's view of the same store. */
  MapSharedTier peer() {
    return new MapSharedTier(values, fences, subscribers);
  }

  private <T> CompletionStage<T> done(T value) {
    return failing
        ? CompletableFuture.failedFuture(new IOException("tier down"))
        : CompletableFuture.completedFuture(value);
  }

  private String fencesOf(String service, String key) {
    return fences.getOrDefault("key " + key, "")
        + "|"
        + fences.getOrDefault("service " + service, "");
  }

  @Override
  public CompletionStage<Entry> get(String service, String key) {
    synchronized (values) {
      return done(new Entry(values.get(key), fencesOf(service, key)));
    }
  }

  @Override
  public CompletionStage<Boolean> put(
      String service, String key, byte[] value, Duration ttl, String expected) {
    synchronized (values) {
      if (failing || !fencesOf(service, key).equals(expected)) {
        return done(false);
      }
      values.put(key, value);
      return done(true);
    }
  }

  @Override
  public CompletionStage<Void> invalidate(String service, String key) {
    synchronized (values) {
      if (!failing) {
        fences.put("key " + key, UUID.randomUUID().toString());
        values.remove(key);
      }
      return done(null);
    }
  }

  @Override
  public CompletionStage<Void> invalidateService(String service) {
    synchronized (values) {
      if (!failing) {
        fences.put("service " + service, UUID.randomUUID().toString());
        values.keySet().removeIf(k -> k.startsWith(HttpCache.servicePrefix(service)));
      }
      return done(null);
    }
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
