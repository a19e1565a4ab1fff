/**
 * Resilience for OkHttp calls: each concern an application interceptor usable on any {@code
 * OkHttpClient}, and wired per service by {@code io.hyperlane.client.Hyperlane} in this order:
 *
 * <ol>
 *   <li>{@link io.hyperlane.resilience.DeadlineInterceptor}: one deadline across every attempt,
 *       sent downstream as the time left ({@link io.hyperlane.resilience.Deadline});
 *   <li>{@link io.hyperlane.resilience.LimitInterceptor}: adaptive concurrency and rate limits
 *       ({@link io.hyperlane.resilience.ConcurrencyLimit}, {@link
 *       io.hyperlane.resilience.RateLimit});
 *   <li>{@link io.hyperlane.resilience.CircuitBreakerInterceptor}: a circuit per service ({@link
 *       io.hyperlane.resilience.CircuitBreakerPolicy});
 *   <li>{@link io.hyperlane.resilience.RetryInterceptor}: retries and hedges within a budget
 *       ({@link io.hyperlane.resilience.RetryPolicy}, {@link io.hyperlane.resilience.RetryBudget},
 *       {@link io.hyperlane.resilience.HedgingPolicy}).
 * </ol>
 *
 * <p>Every decision is a {@link io.hyperlane.resilience.ResilienceEvent} given to a {@link
 * io.hyperlane.resilience.ResilienceListener}. A refusal before sending is an {@link
 * io.hyperlane.resilience.UnsentRequestException}, which any stage may retry whatever the method.
 * Time is read from an injected {@link io.hyperlane.resilience.Ticker}, pauses go through a {@link
 * io.hyperlane.resilience.Sleeper} and timers through a {@link io.hyperlane.resilience.Scheduler},
 * so tests run on fake time.
 *
 * <p>Nullness: every type here is non-null unless marked {@code @Nullable} (JSpecify's {@code
 * NullMarked}, checked by NullAway in the build). An absent value is returned as {@code Optional}
 * where the caller must decide what absence means, and as a {@code @Nullable} type where it is a
 * field of a value record or a hot-path lookup; a parameter never takes {@code Optional}.
 */
@NullMarked
package io.hyperlane.resilience;

import org.jspecify.annotations.NullMarked;
