package io.hyperlane.resilience;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Objects;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * What one call does differently from its service's policies: its own total timeout, its own retry
 * policy, its own hedging, and whether the cache may answer it. Given as a request tag; everything
 * not set keeps the service's setting.
 *
 * <pre>{@code
 * Request request = new Request.Builder()
 *     .url("http://inventory/items/42")
 *     .tag(CallOptions.class, CallOptions.builder()
 *         .timeout(Duration.ofMillis(200))
 *         .retry(RetryPolicy.none())
 *         .build())
 *     .build();
 * }</pre>
 *
 * <p>The same for {@code execute()} and {@code enqueue()}. Options apply to calls to a host the
 * stages have a policy of their own for — in Hyperlane, a service; a call to any other host passes
 * through as it would without Hyperlane, options and all. What each option does:
 *
 * <ul>
 *   <li>{@link Builder#timeout(Duration) timeout}: replaces the service's total timeout for this
 *       call, counted from {@code execute()}/{@code enqueue()}, across every attempt and the body
 *       (read by {@link DeadlineInterceptor}). A {@link Deadline} from a tag or a scope still
 *       applies: the earliest wins.
 *   <li>{@link Builder#retry(RetryPolicy) retry}: replaces the service's retry policy, {@link
 *       RetryPolicy#none()} for no retry (read by {@link RetryInterceptor}). Retries still draw on
 *       the service's budget, and a request the policy does not call idempotent is still never sent
 *       twice.
 *   <li>{@link Builder#hedging(HedgingPolicy) hedging}: replaces the service's hedging, {@link
 *       HedgingPolicy#none()} to send this call once (read by {@link RetryInterceptor}). An
 *       adaptive policy learns its delay from the service's latencies, which are kept only for a
 *       service that hedges; give a fixed delay to hedge one call of a service that does not.
 *   <li>{@link Builder#bypassCache() bypassCache}: Hyperlane's cache neither answers this call nor
 *       stores its response, and does not join it to an identical call in flight; a write still
 *       invalidates what it changes.
 * </ul>
 *
 * <p>Instances are immutable and may be shared by any number of requests.
 */
public final class CallOptions {

  private final @Nullable Duration timeout;
  private final @Nullable RetryPolicy retry;
  private final @Nullable HedgingPolicy hedging;
  private final boolean bypassCache;

  private CallOptions(Builder b) {
    this.timeout = b.timeout;
    this.retry = b.retry;
    this.hedging = b.hedging;
    this.bypassCache = b.bypassCache;
  }

  /** Returns a builder with nothing set: every option keeps the service's setting. */
  public static Builder builder() {
    return new Builder();
  }

  /** The options tagged on {@code request}, or null when it has none. */
  static @Nullable CallOptions of(Request request) {
    return request.tag(CallOptions.class);
  }

  /** Whether the options tagged on {@code request} say the cache must not answer or store it. */
  public static boolean bypassesCache(Request request) {
    CallOptions options = of(request);
    return options != null && options.bypassCache;
  }

  /** This call's total timeout, or null to keep the service's. */
  @Nullable Duration timeout() {
    return timeout;
  }

  /** This call's retry policy, or null to keep the service's. */
  @Nullable RetryPolicy retry() {
    return retry;
  }

  /** This call's hedging, or null to keep the service's. */
  @Nullable HedgingPolicy hedging() {
    return hedging;
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("CallOptions{");
    if (timeout != null) {
      text.append("timeout=").append(Durations.human(timeout)).append(", ");
    }
    if (retry != null) {
      text.append("retry=").append(retry).append(", ");
    }
    if (hedging != null) {
      text.append("hedging=").append(hedging).append(", ");
    }
    if (bypassCache) {
      text.append("bypassCache, ");
    }
    if (text.length() > "CallOptions{".length()) {
      text.setLength(text.length() - 2);
    }
    return text.append('}').toString();
  }

  /** Builds {@link CallOptions}; every setter checks its value at once. */
  public static final class Builder {
    private @Nullable Duration timeout;
    private @Nullable RetryPolicy retry;
    private @Nullable HedgingPolicy hedging;
    private boolean bypassCache;

    private Builder() {}

    /**
     * This call's total timeout instead of its service's.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 hour, as a service's timeout
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.compareTo(Duration.ofMillis(1)) < 0
          || timeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "timeout must be between 1 ms and 1 h but was " + Durations.human(timeout));
      }
      this.timeout = timeout;
      return this;
    }

    /** This call's retry policy instead of its service's; {@link RetryPolicy#none()}: no retry. */
    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /**
     * This call's hedging instead of its service's; {@link HedgingPolicy#none()}: no hedge. The
     * service's cap on the share of calls hedged, if its own policy is adaptive, still applies; an
     * adaptive policy given here learns from the service's latencies, kept only where the service
     * hedges.
     */
    public Builder hedging(HedgingPolicy hedging) {
      this.hedging = Objects.requireNonNull(hedging, "hedging");
      return this;
    }

    /** Hyperlane's cache neither answers this call nor stores its response. */
    public Builder bypassCache() {
      this.bypassCache = true;
      return this;
    }

    /** Returns the options. */
    public CallOptions build() {
      return new CallOptions(this);
    }
  }
}
