/**
 * A test kit for services that call others through Hyperlane, in test scope: {@link
 * io.hyperlane.testing.FakeTime}, one fake clock that drives every timer, pause and wait of
 * Hyperlane's stages, and {@link io.hyperlane.testing.LocalReplicas}, a JUnit 5 extension that
 * starts replicas on loopback whose answers a test scripts with {@link io.hyperlane.testing.Fault}s
 * (delay, reset, status, black hole, slow body). Hyperlane's own tests use both.
 *
 * <p>Nullness: every type here is non-null unless marked {@code @Nullable} (JSpecify's {@code
 * NullMarked}, checked by NullAway in the build).
 */
@NullMarked
package io.hyperlane.testing;

import org.jspecify.annotations.NullMarked;
