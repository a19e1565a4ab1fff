/**
 * The multi-level HTTP response cache. Lettuce is optional: {@code RedisSharedTier} needs it at run
 * time, nothing else does.
 */
module io.hyperlane.cache {
  requires transitive okhttp3;
  requires com.github.benmanes.caffeine;
  requires static lettuce.core;
  requires org.slf4j;
  requires static transitive org.jspecify;

  exports io.hyperlane.cache;
}
