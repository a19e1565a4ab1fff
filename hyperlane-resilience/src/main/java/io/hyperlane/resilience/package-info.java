/**
 * Resilience for OkHttp calls.
 *
 * <p>Today this package holds the time sources that every Hyperlane stage shares: {@link
 * io.hyperlane.resilience.Ticker} for reading time and {@link io.hyperlane.resilience.Scheduler}
 * for running something later. Both are injected through builders so that tests run on fake time.
 * The retry, budget, hedging, deadline and circuit-breaker interceptors will live beside them, each
 * usable on any {@code OkHttpClient}.
 */
package io.hyperlane.resilience;
