/**
 * What the client module needs from the resilience module and users should never see: exported to
 * {@code io.hyperlane.client} only. No compatibility is promised for anything here.
 */
@NullMarked
package io.hyperlane.resilience.internal;

import org.jspecify.annotations.NullMarked;
