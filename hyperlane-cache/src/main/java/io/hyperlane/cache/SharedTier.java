package io.hyperlane.cache;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The L2 tier of an {@link HttpCache}: a key-value store shared by every instance of an application,
 * with a broadcast channel for invalidations. {@link RedisSharedTier} implements it on Redis; an
 * implementation for another store needs these few operations.
 *
 * <p>Values are opaque bytes: the cache writes versioned, HMAC-checked envelopes and treats anything
 * it cannot verify as a miss, so a tier need not be trusted for integrity. Every operation must be
 * bounded in time by the tier (the cache additionally stops waiting for {@link #get} after its own
 * timeout) and must report failure by completing exceptionally, never by blocking or throwing.
 *
 * <p>Implementations are thread-safe. {@link HttpCache#close()} closes its tier.
 */
public interface SharedTier extends AutoCloseable {

  /** The value stored under {@code key}, or null when there is none. */
  CompletionStage<byte[]> get(String key);

  /** Stores {@code value} under {@code key} for {@code ttl} (at least one second). */
  CompletionStage<Void> put(String key, byte[] value, Duration ttl);

  /** Removes {@code key}. */
  CompletionStage<Void> delete(String key);

  /** Removes every key that starts with {@code prefix}. Used for explicit, rare invalidations. */
  CompletionStage<Void> deletePrefix(String prefix);

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
