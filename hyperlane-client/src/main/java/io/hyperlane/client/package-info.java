/**
 * Hyperlane's front door: {@link io.hyperlane.client.Hyperlane} wraps an {@code OkHttpClient} so
 * that calls to {@code http://<service>/…} are discovered, balanced and made resilient (the stages
 * of {@code io.hyperlane.resilience}, configured per service), cached ({@code io.hyperlane.cache})
 * and traced and measured through OpenTelemetry.
 *
 * <p>Public here: the facade and its builders, endpoint and policy values ({@link
 * io.hyperlane.client.Endpoint}, {@link io.hyperlane.client.LoadBalancerPolicy}, {@link
 * io.hyperlane.client.OutlierDetection}, {@link io.hyperlane.client.SlowStart}), the discovery SPI
 * ({@link io.hyperlane.client.ServiceDiscovery}, {@link io.hyperlane.client.DnsDiscovery}), the
 * snapshot values and {@link io.hyperlane.client.NoEndpointException}. Everything else is
 * package-private.
 *
 * <p>Nullness: every type here is non-null unless marked {@code @Nullable} (JSpecify's {@code
 * NullMarked}, checked by NullAway in the build). An absent value is returned as {@code Optional}
 * where the caller must decide what absence means, and as a {@code @Nullable} type where it is a
 * field of a value record or a hot-path lookup; a parameter never takes {@code Optional}.
 */
@NullMarked
package io.hyperlane.client;

import org.jspecify.annotations.NullMarked;
