/**
 * The multi-level HTTP response cache (stage 2 of a Hyperlane call): in-flight coalescing (L0),
 * Caffeine in the heap (L1) and a shared tier behind a small SPI (L2, {@link
 * io.hyperlane.cache.RedisSharedTier} on Redis), with the semantics of an RFC 9111 shared cache.
 *
 * <p>Start at {@link io.hyperlane.cache.HttpCache}. The cache works inside a Hyperlane client
 * ({@code Hyperlane.Builder.cache}) or alone, as an interceptor on any {@code OkHttpClient}.
 *
 * <p>Nullness: every type here is non-null unless marked {@code @Nullable} (JSpecify's {@code
 * NullMarked}, checked by NullAway in the build). An absent value is returned as {@code Optional}
 * where the caller must decide what absence means, and as a {@code @Nullable} type where it is a
 * field of a value record or a hot-path lookup; a parameter never takes {@code Optional}.
 */
@NullMarked
package io.hyperlane.cache;

import org.jspecify.annotations.NullMarked;
