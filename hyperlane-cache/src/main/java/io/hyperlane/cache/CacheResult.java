package io.hyperlane.cache;

/** What the cache did for one call. */
public enum CacheResult {
  /** A fresh stored response answered; the origin was not asked. */
  HIT,
  /**
   * A stale response answered at once while one background request revalidates it ({@code
   * stale-while-revalidate}, RFC 5861).
   */
  STALE_WHILE_REVALIDATE,
  /** The origin failed and a stale response answered in its place ({@code stale-if-error}). */
  STALE_IF_ERROR,
  /** A stored response was validated with a conditional request; the origin said 304. */
  REVALIDATED,
  /** Nothing usable was stored: the origin answered (and the response may have been stored). */
  MISS,
  /**
   * The request was not one a cache may answer (not a GET, {@code no-store}, conditional, range).
   */
  BYPASS
}
