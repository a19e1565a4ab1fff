package io.hyperlane.resilience;

import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Objects;
import java.util.function.Predicate;
import okhttp3.Request;

/**
 * When a failed attempt is tried again, and how long to wait first.
 *
 * <p>An attempt is retried when it failed with an I/O error or with one of the retryable statuses
 * (502, 503, 504 by default), or with 429 when the response carries a {@code Retry-After} — and
 * only when sending the request again is safe:
 *
 * <ul>
 *   <li>GET, HEAD, OPTIONS, PUT, DELETE and TRACE are idempotent (RFC 9110) and always safe;
 *   <li>any other method (POST, PATCH, …) is safe only when the failure proves the request never
 *       reached a server (connection refused, connect timeout, no endpoint, open circuit), when it
 *       carries an {@code Idempotency-Key} header, or when {@link Builder#idempotentWhen} says so;
 *   <li>a one-shot request body is never sent twice.
 * </ul>
 *
 * <p>The pause before retry {@code n} is drawn uniformly from {@code [0, min(cap, base × 2^(n-1))]}
 * ("full jitter"). A {@code Retry-After} header replaces it; when it asks for longer than {@link
 * Builder#retryAfterCap(Duration)}, the call is not retried (retrying sooner than asked would only
 * be refused again). Retries also draw on the service's {@link RetryBudget}.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder()
 *     .maxAttempts(4)
 *     .backoff(Duration.ofMillis(50), Duration.ofSeconds(1))
 *     .idempotentWhen(request -> request.url().encodedPath().startsWith("/search"))
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable; every setter checks its value at once.
 */
public final class RetryPolicy {

  /** The request header that makes a POST or PATCH safe to retry. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  private static final RetryPolicy DEFAULTS = new Builder().build();
  private static final RetryPolicy NONE = new Builder().maxAttempts(1).build();

  final int maxAttempts;
  final long baseNanos;
  final long capNanos;
  final long retryAfterCapNanos;
  private final BitSet retryableStatuses;
  final Predicate<Request> idempotentWhen;
  final boolean addIdempotencyKey;
  final long bufferBodyBytes;
  final int attemptTimeoutMillis;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.baseNanos = b.base.toNanos();
    this.capNanos = b.cap.toNanos();
    this.retryAfterCapNanos = b.retryAfterCap.toNanos();
    this.retryableStatuses = (BitSet) b.statuses.clone();
    this.idempotentWhen = b.idempotentWhen;
    this.addIdempotencyKey = b.addIdempotencyKey;
    this.bufferBodyBytes = b.bufferBodyBytes;
    this.attemptTimeoutMillis = (int) b.attemptTimeout.toMillis();
  }

  /** 3 attempts in all, backoff from 25 ms up to 250 ms, on I/O errors, 502, 503 and 504. */
  public static RetryPolicy ofDefaults() {
    return DEFAULTS;
  }

  /** One attempt: nothing is retried. */
  public static RetryPolicy none() {
    return NONE;
  }

  /** Returns a builder that starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Attempts in all, the first one included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Whether a response with this status may be retried (429 also needs {@code Retry-After}). */
  public boolean retriesStatus(int code) {
    return code >= 0 && code < 1000 && retryableStatuses.get(code);
  }

  /** Whether retrying {@code request} is safe whatever the failure. */
  public boolean isIdempotent(Request request) {
    switch (request.method()) {
      case "GET":
      case "HEAD":
      case "OPTIONS":
      case "PUT":
      case "DELETE":
      case "TRACE":
        return true;
      default:
        return request.header(IDEMPOTENCY_KEY) != null || idempotentWhen.test(request);
    }
  }

  @Override
  public String toString() {
    String attemptTimeout =
        attemptTimeoutMillis > 0
            ? "attemptTimeout=" + Durations.nanos(attemptTimeoutMillis * 1_000_000L)
            : "";
    if (maxAttempts == 1) {
      return attemptTimeout.isEmpty()
          ? "RetryPolicy{none}"
          : "RetryPolicy{none, " + attemptTimeout + "}";
    }
    return "RetryPolicy{maxAttempts="
        + maxAttempts
        + ", backoff="
        + Durations.nanos(baseNanos)
        + ".."
        + Durations.nanos(capNanos)
        + ", statuses="
        + retryableStatuses
        + ", retryAfterCap="
        + Durations.nanos(retryAfterCapNanos)
        + (attemptTimeout.isEmpty() ? "" : ", " + attemptTimeout)
        + (addIdempotencyKey ? ", addIdempotencyKey" : "")
        + "}";
  }

  /** Builds a {@link RetryPolicy}. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration base = Duration.ofMillis(25);
    private Duration cap = Duration.ofMillis(250);
    private Duration retryAfterCap = Duration.ofSeconds(5);
    private final BitSet statuses = new BitSet(600);
    private Predicate<Request> idempotentWhen = request -> false;
    private boolean addIdempotencyKey;
    private long bufferBodyBytes = 64 * 1024;
    private Duration attemptTimeout = Duration.ZERO;

    private Builder() {
      statuses.set(502);
      statuses.set(503);
      statuses.set(504);
    }

    /**
     * Attempts in all, the first one included; 1 turns retries off.
     *
     * @throws IllegalArgumentException if not between 1 and 10
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > 10) {
        throw new IllegalArgumentException(
            "maxAttempts must be between 1 and 10 but was " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * The exponential backoff: retry {@code n} waits a random time up to {@code min(cap, base ×
     * 2^(n-1))}. In Hyperlane, whose routing sends a retry to an endpoint the call has not tried
     * while there is one, such a retry does not wait after an attempt that never reached a server
     * (the connection was refused, there was no route): it added load nowhere; and the first retry
     * does not wait at all, the backoff starting with the second. A {@code Retry-After} the server
     * sent is always waited for.
     *
     * @throws IllegalArgumentException if base is negative, cap is below base, or cap is over 1
     *     minute
     */
    public Builder backoff(Duration base, Duration cap) {
      Objects.requireNonNull(base, "base");
      Objects.requireNonNull(cap, "cap");
      if (base.isNegative()) {
        throw new IllegalArgumentException("backoff base must not be negative but was " + base);
      }
      if (cap.compareTo(base) < 0 || cap.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "backoff cap must be between base (" + base + ") and 1m but was " + cap);
      }
      this.base = base;
      this.cap = cap;
      return this;
    }

    /**
     * The response statuses that are retried; replaces the default 502, 503, 504. 429 is always
     * retried when, and only when, it carries a {@code Retry-After} within the cap.
     *
     * @throws IllegalArgumentException for a status outside 500..599
     */
    public Builder retryOnStatus(int... codes) {
      Objects.requireNonNull(codes, "codes");
      for (int code : codes) {
        if (code < 500 || code > 599) {
          throw new IllegalArgumentException(
              "retryOnStatus takes 5xx statuses but was given " + Arrays.toString(codes));
        }
      }
      statuses.clear();
      for (int code : codes) {
        statuses.set(code);
      }
      return this;
    }

    /**
     * The longest {@code Retry-After} honoured; 5 s by default. A longer one ends the retries.
     *
     * @throws IllegalArgumentException if negative or over 10 minutes
     */
    public Builder retryAfterCap(Duration cap) {
      Objects.requireNonNull(cap, "retryAfterCap");
      if (cap.isNegative() || cap.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            "retryAfterCap must be between 0 and 10m but was " + cap);
      }
      this.retryAfterCap = cap;
      return this;
    }

    /**
     * Declares requests idempotent beyond the RFC 9110 methods, for example a POST route that only
     * reads. Such requests are retried like a GET.
     */
    public Builder idempotentWhen(Predicate<Request> predicate) {
      this.idempotentWhen = Objects.requireNonNull(predicate, "idempotentWhen");
      return this;
    }

    /**
     * Adds a random {@code Idempotency-Key} header to every POST and PATCH that has none, so that
     * they can be retried; the server must deduplicate on it. Off by default.
     */
    public Builder addIdempotencyKey(boolean add) {
      this.addIdempotencyKey = add;
      return this;
    }

    /**
     * How much of a successful response's body the retry stage reads before handing the response
     * over, when another attempt would still be allowed: a body that breaks within that many bytes
     * fails the attempt, which is then retried, instead of failing the caller while it reads. 64
     * KiB by default; 0 hands every response over at once (first byte sooner, body failures not
     * retried). Bodies known to be larger, and event streams, are never held back.
     *
     * @throws IllegalArgumentException if negative or over 64 MiB
     */
    public Builder bufferBodyUpTo(long bytes) {
      if (bytes < 0 || bytes > 64L * 1024 * 1024) {
        throw new IllegalArgumentException(
            "bufferBodyUpTo must be between 0 and 67108864 bytes but was " + bytes);
      }
      this.bufferBodyBytes = bytes;
      return this;
    }

    /**
     * How long each attempt may wait to connect, to write, and for each read; an attempt that times
     * out is retried like any I/O error. Zero (the default) keeps the client's own timeouts. The
     * total time of a call is bounded by its deadline ({@link DeadlineInterceptor}).
     *
     * @throws IllegalArgumentException if negative or over 1 hour
     */
    public Builder attemptTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "attemptTimeout");
      if (timeout.isNegative() || timeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "attemptTimeout must be between 0 and 1h but was " + timeout);
      }
      this.attemptTimeout = timeout;
      return this;
    }

    /** Returns the immutable policy. */
    public RetryPolicy build() {
      return new RetryPolicy(this);
    }
  }
}
