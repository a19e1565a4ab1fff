package io.hyperlane.cache;

import org.jspecify.annotations.Nullable;

/**
 * A decision of an {@link HttpCache}, delivered to a {@link CacheListener}. Services are the hosts
 * of the requests' URLs ({@code inventory} in {@code http://inventory/items}).
 */
public sealed interface CacheEvent {

  /** The service the event is about. */
  String service();

  /**
   * One call seen by the cache: which tier answered and how. Delivered on the calling thread,
   * before the response is returned.
   */
  record Lookup(String service, CacheTier tier, CacheResult result) implements CacheEvent {}

  /**
   * Stored responses were removed: {@code url} names the resource, or is null when everything of
   * the service was removed. {@code remote} is true when another instance asked for it.
   */
  record Invalidated(String service, @Nullable String url, boolean remote) implements CacheEvent {}

  /**
   * The shared tier failed or timed out during {@code operation} ({@code get}, {@code put}, {@code
   * delete}, {@code publish}); the call carried on without it.
   */
  record SharedTierFailed(String service, String operation, @Nullable Throwable cause)
      implements CacheEvent {}

  /**
   * A shared-tier entry failed its integrity check (tampered with, written under another secret or
   * for another key) and was treated as a miss.
   */
  record SharedTierEntryRejected(String service) implements CacheEvent {}
}
