package io.hyperlane.client;

import java.util.Objects;

/**
 * The key a {@link LoadBalancerPolicy#consistentHash(String) consistent-hash} service routes a call
 * by, given as a request tag when it is not in a header:
 *
 * <pre>{@code
 * new Request.Builder().url("http://carts/items").tag(StickyKey.class, new StickyKey(userId))
 * }</pre>
 *
 * @param value the key; calls with equal keys go to the same endpoint while it is available
 */
public record StickyKey(String value) {

  /** Checks that the value is not null. */
  public StickyKey {
    Objects.requireNonNull(value, "value");
  }
}
