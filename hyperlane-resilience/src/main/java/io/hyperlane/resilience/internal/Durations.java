package io.hyperlane.resilience.internal;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Durations as people write them — {@code 300 ms}, {@code 1.5 s}, {@code 250 µs}, {@code 2 min} —
 * for messages, snapshots and reports. Not part of the API.
 */
public final class Durations {

  private static final long MICRO = 1_000L;
  private static final long MILLI = 1_000_000L;
  private static final long SECOND = 1_000_000_000L;
  private static final long MINUTE = 60 * SECOND;

  private Durations() {}

  /**
   * Returns {@code value} when it lies between {@code min} and {@code max}, both included.
   *
   * @throws NullPointerException naming {@code name} if {@code value} is null
   * @throws IllegalArgumentException naming {@code name}, its range and the value otherwise
   */
  public static Duration checkBetween(String name, Duration value, Duration min, Duration max) {
    Objects.requireNonNull(value, name);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be between " + human(min) + " and " + human(max) + " but was " + value);
    }
    return value;
  }

  /** {@code duration} in the largest unit that keeps it readable. */
  public static String human(Duration duration) {
    long nanos;
    try {
      nanos = duration.toNanos();
    } catch (ArithmeticException e) {
      return duration.isNegative() ? "-∞" : "∞"; // beyond 292 years: as good as never
    }
    return nanos(nanos);
  }

  /** {@code nanos} as {@link #human(Duration)} writes it. */
  public static String nanos(long nanos) {
    if (nanos < 0) {
      return nanos == Long.MIN_VALUE ? "-∞" : "-" + nanos(-nanos);
    }
    if (nanos == 0) {
      return "0 ms";
    }
    if (nanos >= MINUTE && nanos % MINUTE == 0) {
      long minutes = nanos / MINUTE;
      return minutes % 60 == 0 ? minutes / 60 + " h" : minutes + " min";
    }
    if (nanos >= SECOND) {
      return decimal(nanos, SECOND, nanos >= 100 * SECOND ? 0 : 2) + " s";
    }
    if (nanos >= MILLI) {
      return decimal(nanos, MILLI, nanos >= 100 * MILLI ? 0 : 1) + " ms";
    }
    if (nanos >= MICRO) {
      return decimal(nanos, MICRO, 0) + " µs";
    }
    return nanos + " ns";
  }

  /** {@code value / unit} with at most {@code decimals} digits after the point, zeros dropped. */
  private static String decimal(long value, long unit, int decimals) {
    String text = String.format(Locale.ROOT, "%." + decimals + "f", (double) value / unit);
    if (text.indexOf('.') >= 0) {
      int end = text.length();
      while (text.charAt(end - 1) == '0') {
        end--;
      }
      if (text.charAt(end - 1) == '.') {
        end--;
      }
      text = text.substring(0, end);
    }
    return text;
  }
}
