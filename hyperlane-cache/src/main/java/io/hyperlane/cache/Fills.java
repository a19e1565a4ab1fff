package io.hyperlane.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The fills in flight, per key, and the fence every invalidation puts up against them: the cache's
 * read-your-write. A fill is a request the cache forwarded (or an entry it read from the shared
 * tier) whose answer it may store; it is registered before the request leaves. An invalidation of
 * its key — a write through the cache, {@code invalidate()}, {@code invalidateService()}, or one
 * heard from another instance — fences every fill registered then: a fenced fill stores nothing and
 * shares nothing, its body goes to its own caller only. Storing and fencing a key are serialised
 * ({@link #ifUnfenced}, {@link #fence}), so a fill can never store after the invalidation that
 * fenced it has removed the key.
 *
 * <p>An invalidation of this instance is in progress until the shared tier has dropped the entry;
 * meanwhile (and, when the shared tier failed to drop it, for {@link SharedTier#FENCE_LIFETIME}) a
 * fill of the key starts fenced and does not read the shared tier, which may still hold the old
 * entry.
 *
 * <p>Bounded by the number of requests in flight (a key's entry lives while it has fills) and, for
 * the invalidations in progress, to 100,000 keys. Thread-safe.
 */
final class Fills {

  /** One request whose answer may be stored. */
  static final class Fill {
    final String service;
    final String key;
    final long startedMillis;

    /** The shared tier's fences when this fill read it; null: not read, so never written there. */
    volatile @Nullable String sharedFences;

    /** What the shared tier held when this fill read it: a write there adds to these. */
    volatile @Nullable Variants sharedVariants;

    volatile boolean fenced;

    Fill(String service, String key, long startedMillis) {
      this.service = service;
      this.key = key;
      this.startedMillis = startedMillis;
    }
  }

  private final ConcurrentHashMap<String, List<Fill>> active = new ConcurrentHashMap<>();

  /** Keys (and {@code service\u0000} for whole services) whose invalidation is in progress. */
  private final Cache<String, Boolean> invalidating =
      Caffeine.newBuilder()
          .maximumSize(100_000)
          .expireAfterWrite(SharedTier.FENCE_LIFETIME)
          .build();

  /**
   * Registers a fill of {@code key}: call before its request leaves. It starts fenced while an
   * invalidation of the key or its service is in progress here.
   */
  Fill start(String service, String key, long nowMillis) {
    Fill fill = new Fill(service, key, nowMillis);
    // A key's mark is read in the same atomic step as the registration, which fence() takes too:
    // an invalidation sets its mark before it fences, so either this fill is registered when the
    // fence runs, or it sees the mark. Read before registering, a fill could miss both.
    active.compute(
        key,
        (k, fills) -> {
          if (invalidating.getIfPresent(key) != null
              || invalidating.getIfPresent(serviceMark(service)) != null) {
            fill.fenced = true;
          }
          List<Fill> list = fills == null ? new ArrayList<>(2) : fills;
          list.add(fill);
          return list;
        });
    // A service's invalidation fences by walking the keys, which does not wait for a key being
    // added: if its mark was set after the check above, the walk may have passed this key
    // before it was in. Looking again now that the fill is in closes that gap: a mark set later
    // than this look finds the fill in the walk.
    if (!fill.fenced && invalidating.getIfPresent(serviceMark(service)) != null) {
      fill.fenced = true;
    }
    return fill;
  }

  /** The fill is over, stored or not. Idempotent. */
  void end(Fill fill) {
    active.computeIfPresent(
        fill.key,
        (k, fills) -> {
          fills.remove(fill);
          return fills.isEmpty() ? null : fills;
        });
  }

  /**
   * Runs {@code store} unless {@code fill} is fenced, atomically with fencing; says whether it ran.
   */
  boolean ifUnfenced(Fill fill, Runnable store) {
    boolean[] ran = {false};
    active.compute(
        fill.key,
        (k, fills) -> {
          if (!fill.fenced) {
            store.run();
            ran[0] = true;
          }
          return fills;
        });
    return ran[0];
  }

  /** Fences every fill of {@code key} and runs {@code drop} (removing the key) in the same step. */
  void fence(String key, Runnable drop) {
    active.compute(
        key,
        (k, fills) -> {
          if (fills != null) {
            fills.forEach(f -> f.fenced = true);
          }
          drop.run();
          return fills;
        });
  }

  /** An invalidation of {@code key} (or, with {@link #serviceMark}, a service) begins here. */
  void beginInvalidation(String key) {
    invalidating.put(key, Boolean.TRUE);
  }

  /** The shared tier has dropped what the invalidation begun with the same mark was about. */
  void endInvalidation(String key) {
    invalidating.invalidate(key);
  }

  static String serviceMark(String service) {
    return service + '\u0000';
  }

  /** Fences every fill of every key of {@code service}. */
  void fenceService(String service) {
    String prefix = HttpCache.servicePrefix(service);
    for (String key : active.keySet()) {
      if (key.startsWith(prefix)) {
        fence(key, () -> {});
      }
    }
  }

  /** Fences every fill. */
  void fenceAll() {
    for (String key : active.keySet()) {
      fence(key, () -> {});
    }
  }

  /** Keys with fills in flight; for tests. */
  int size() {
    return active.size();
  }
}
