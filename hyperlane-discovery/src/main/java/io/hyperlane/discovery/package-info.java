/**
 * Service discovery from the registries teams already run, over their HTTP APIs with OkHttp and
 * Jackson: {@link io.hyperlane.discovery.EtcdDiscovery} (etcd v3's JSON gateway, with
 * self-registration under a lease), {@link io.hyperlane.discovery.ConsulDiscovery} (health endpoint
 * with blocking queries) and {@link io.hyperlane.discovery.KubernetesDiscovery} (EndpointSlices,
 * list then watch). Each is a {@link io.hyperlane.client.ServiceDiscovery}: give it to {@code
 * Hyperlane.ServiceBuilder.discovery}.
 *
 * <p>Registry answers are outside input. An answer that cannot be read (not JSON, not the shape the
 * registry documents, too large, an HTTP error) is refused as a whole: the last good endpoint set
 * stays, the failure is counted in the service's snapshot and logged once per outage, and the
 * registry is asked again after a growing pause (0.1 s up to 30 s). An instance record Hyperlane
 * cannot use (a bad URL, weight, zone or metadata) is left out, counted and logged the same way,
 * and the other instances are used. An answer with no instance at all keeps the last good set too
 * (Hyperlane never empties a service).
 *
 * <p>Nullness: every type here is non-null unless marked {@code @Nullable} (JSpecify's {@code
 * NullMarked}, checked by NullAway in the build). An absent value is returned as {@code Optional}
 * where the caller must decide what absence means, and as a {@code @Nullable} type where it is a
 * field of a value record or a hot-path lookup; a parameter never takes {@code Optional}.
 */
@NullMarked
package io.hyperlane.discovery;

import org.jspecify.annotations.NullMarked;
