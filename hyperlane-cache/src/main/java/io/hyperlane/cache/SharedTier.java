package io.hyperlane.cache;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * The L2 tier of an {@link HttpCache}: a key-value store shared by every instance of an
 * application, with fences against stale fills and a broadcast channel for invalidations. {@link
 * RedisSharedTier} implements it on Redis; an implementation for another store needs these few
 * operations.
 *
 * <p><b>Fences.</b> Every key and every service has a fence: an opaque token that changes each time
 * the key (or the whole service) is invalidated. {@link #get} returns the entry together with the
 * fences current when it was read; {@link #put} writes only if both fences are still those, as one
 * atomic step. A fill that read its fences before asking the origin therefore never writes back a
 * body that an invalidation made stale in the meantime, whichever instance invalidated. A fence
 * lives at least {@link #FENCE_LIFETIME}; the cache does not write a fill that took longer.
 *
 * <p>Values are opaque bytes: the cache writes versioned, HMAC-checked envelopes and treats
 * anything it cannot verify as a miss, so a tier need not be trusted for integrity. Messages are
 * signed by the cache too. Every operation must be bounded in time by the tier (the cache
 * additionally stops waiting for {@link #get} after its own timeout) and must report failure by
 * completing exceptionally, never by blocking or throwing.
 *
 * <p>Implementations are thread-safe. {@link HttpCache#close()} closes its tier.
 */
public interface SharedTier extends AutoCloseable {

  /** How long a fence must be kept after the invalidation that set it. */
  Duration FENCE_LIFETIME = Duration.ofMinutes(10);

  /**
   * What {@link #get} read: the value (null on a miss) and the fences of its key and service as
   * they were, to hand back to {@link #put}.
   */
  @SuppressWarnings("ArrayRecordComponent") // a value read once, never compared or hashed
  record Entry(byte @Nullable [] value, String fences) {}

  /** The value stored under {@code key} of {@code service}, with the current fences. */
  CompletionStage<Entry> get(String service, String key);

  /**
   * Stores {@code value} under {@code key} for {@code ttl} (at least one second), only if the
   * fences of the key and of {@code service} are still {@code fences}; completes with whether it
   * did.
   */
  CompletionStage<Boolean> put(
      String service, String key, byte[] value, Duration ttl, String fences);

  /** Sets a new fence on {@code key}, then removes it. */
  CompletionStage<Void> invalidate(String service, String key);

  /**
   * Sets a new fence on {@code service}, then removes every key of it. Used for explicit, rare
   * invalidations: it may scan.
   */
  CompletionStage<Void> invalidateService(String service);

  /** Sends {@code message} to every subscriber of every instance, this one included. */
  CompletionStage<Void> publish(String message);

  /**
   * Starts delivering published messages to {@code subscriber}. Called once, by the cache that owns
   * this tier.
   */
  void subscribe(Subscriber subscriber);

  /** Releases connections and threads. */
  @Override
  void close();

  /** Receives the broadcast channel's messages and its reconnections. Must not block. */
  interface Subscriber {

    /** A message published by some instance. Untrusted input: check it before acting. */
    void onMessage(String message);

    /**
     * The channel was lost and is back: messages published meanwhile were missed, so whatever they
     * would have invalidated may still be held.
     */
    void onReconnected();
  }
}
