package io.hyperlane.resilience;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import okhttp3.Request;

/**
 * A point in time by which a unit of work must be done, on a {@link Ticker}'s time line.
 *
 * <p>Give one deadline to everything a request handler does: every call made through Hyperlane
 * inside the scope honours it, across all of its attempts, and tells the next service how much time
 * is left (a header in relative milliseconds, never an absolute clock).
 *
 * <pre>{@code
 * // In a request handler: the caller's remaining time, or 2 s when it sent none.
 * Deadline deadline = Deadline.fromHeader(inbound.getHeader(Deadline.DEFAULT_HEADER))
 *     .orElse(Deadline.after(Duration.ofSeconds(2)));
 * try (Deadline.Scope scope = deadline.enter()) {
 *   client.newCall(requestToInventory).execute(); // gives up when the deadline passes
 *   client.newCall(requestToPricing).execute();   // with whatever time is left
 * }
 * }</pre>
 *
 * <p>A scope belongs to the thread that entered it. Through Hyperlane, a call made inside it keeps
 * it even when sent with {@code enqueue()} (the scope is captured when the call is made); with the
 * interceptors alone, a call that runs on another thread needs the deadline as a request tag:
 * {@code builder.tag(Deadline.class, deadline)}. Instances are immutable.
 */
public final class Deadline implements Comparable<Deadline> {

  /** The header that carries the remaining time to the next service, in whole milliseconds. */
  public static final String DEFAULT_HEADER = "X-Hyperlane-Timeout-Ms";

  private static final ThreadLocal<Deadline> CURRENT = new ThreadLocal<>();

  /** Larger header values (over 31 years) are read as this one. */
  private static final long MAX_HEADER_MILLIS = 999_999_999_999L;

  private final Ticker ticker;
  private final long atNanos;

  private Deadline(Ticker ticker, long atNanos) {
    this.ticker = ticker;
    this.atNanos = atNanos;
  }

  /** A deadline {@code timeout} from now on the system ticker. */
  public static Deadline after(Duration timeout) {
    return after(timeout, Ticker.system());
  }

  /** A deadline {@code timeout} from now on {@code ticker}. */
  public static Deadline after(Duration timeout, Ticker ticker) {
    Objects.requireNonNull(ticker, "ticker");
    return after(timeout, ticker, ticker.read());
  }

  /** A deadline {@code timeout} after {@code startNanos}, a reading of {@code ticker}. */
  static Deadline after(Duration timeout, Ticker ticker, long startNanos) {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(ticker, "ticker");
    long now = startNanos;
    long nanos = timeout.isNegative() ? 0 : saturatedNanos(timeout);
    long at = now + nanos;
    return new Deadline(ticker, at < now ? Long.MAX_VALUE : at);
  }

  /**
   * The deadline an inbound header asks for, measured from now on the system ticker.
   *
   * @param value the header's value: whole milliseconds left, as sent by Hyperlane; may be null
   * @return empty when the value is missing or is not a non-negative number (ASCII digits); a value
   *     over 31 years is read as 31 years
   */
  public static Optional<Deadline> fromHeader(String value) {
    return fromHeader(value, Ticker.system());
  }

  /** As {@link #fromHeader(String)}, on {@code ticker}. */
  public static Optional<Deadline> fromHeader(String value, Ticker ticker) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.trim();
    if (v.isEmpty() || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Optional.empty();
    }
    long millis = 0;
    for (int i = 0; i < v.length(); i++) { // saturates: more digits than a long holds is "forever"
      millis = Math.min(MAX_HEADER_MILLIS, millis * 10 + (v.charAt(i) - '0'));
    }
    return Optional.of(after(Duration.ofMillis(millis), ticker));
  }

  /** The deadline of the innermost scope the current thread is in, if any. */
  public static Optional<Deadline> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  /** The deadline {@code request} is bound by: its tag, else the current thread's scope. */
  public static Optional<Deadline> of(Request request) {
    Deadline tagged = request.tag(Deadline.class);
    return tagged != null ? Optional.of(tagged) : current();
  }

  /**
   * Makes this deadline the current thread's until the scope is closed. A deadline later than the
   * one already in force does not extend it: the earlier one stays in force.
   */
  public Scope enter() {
    Deadline previous = CURRENT.get();
    CURRENT.set(previous == null ? this : earliest(previous, this));
    return new Scope(previous);
  }

  /** The time left, zero once the deadline has passed. */
  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, remainingNanos()));
  }

  long remainingNanos() {
    return atNanos == Long.MAX_VALUE ? Long.MAX_VALUE : atNanos - ticker.read();
  }

  /** Whether the deadline has passed. */
  public boolean isExpired() {
    return remainingNanos() <= 0;
  }

  /** The header value that tells the next service how long it has: whole milliseconds left. */
  public String toHeaderValue() {
    return Long.toString(remaining().toMillis());
  }

  /** The earlier of two deadlines. */
  public static Deadline earliest(Deadline a, Deadline b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public int compareTo(Deadline other) {
    return Long.compare(remainingNanos(), other.remainingNanos());
  }

  @Override
  public String toString() {
    return "Deadline{remaining=" + remaining() + "}";
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The extent of a deadline on the thread that entered it. Not thread-safe; close it once. */
  public static final class Scope implements AutoCloseable {
    private final Deadline previous;

    private Scope(Deadline previous) {
      this.previous = previous;
    }

    /** Restores the deadline that was in force before. */
    @Override
    public void close() {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }
}
