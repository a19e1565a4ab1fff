package io.hyperlane.cache;

/** Where the answer to a call came from. */
public enum CacheTier {
  /** An identical request already in flight: this call waited for it and shared its response. */
  L0,
  /** The heap of this process (Caffeine). */
  L1,
  /** The tier shared by every instance of the application ({@link SharedTier}, such as Redis). */
  L2,
  /** The origin: the cache had nothing usable, or the request was not one it may answer. */
  ORIGIN
}
