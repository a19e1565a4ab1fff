/**
 * The multi-level HTTP response cache (stage 2 of a Hyperlane call): in-flight coalescing, Caffeine
 * in the heap and a shared tier behind a small SPI, with RFC 9111 semantics.
 *
 * <p>The module is part of the build so that the dependency graph of the product is in place; its
 * types arrive with the cache work. {@code io.hyperlane.client.Hyperlane} already reserves the place
 * of the cache stage in its chain.
 */
package io.hyperlane.cache;
