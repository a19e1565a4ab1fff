package io.hyperlane.cache;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The directives of {@code Cache-Control} field lines (RFC 9111 §5.2, RFC 5861), parsed leniently:
 * names are case-insensitive, values may be quoted, unknown directives are ignored. A delta-seconds
 * directive whose value is not a non-negative integer, or that appears twice with different values,
 * is kept as {@link #INVALID}; callers treat it as the most restrictive reading (RFC 9111 §4.2.1:
 * "consider the response stale"). Parsing never throws.
 */
final class Directives {

  /** The value of a directive that is present but unusable. */
  static final long INVALID = -2;

  /** The value of a directive that is absent. */
  static final long ABSENT = -1;

  /**
   * Values are capped here (68 years), as RFC 9111 §1.2.2 allows, so arithmetic cannot overflow.
   */
  static final long MAX_SECONDS = Integer.MAX_VALUE;

  static final Directives NONE = new Directives(Map.of());

  private final Map<String, String> values; // directive name (lower case) -> value, "" when none

  private Directives(Map<String, String> values) {
    this.values = values;
  }

  /** Parses every {@code Cache-Control} line; also honours {@code Pragma: no-cache} when asked. */
  static Directives parse(List<String> cacheControl, List<String> pragma) {
    if (cacheControl.isEmpty() && pragma.isEmpty()) {
      return NONE;
    }
    Map<String, String> values = new HashMap<>();
    for (String line : cacheControl) {
      parseLine(line, values);
    }
    // RFC 9111 §5.4: Pragma: no-cache means no-cache only when there is no Cache-Control.
    if (cacheControl.isEmpty()) {
      for (String line : pragma) {
        for (String token : line.split(",")) {
          if (token.trim().equalsIgnoreCase("no-cache")) {
            values.put("no-cache", "");
          }
        }
      }
    }
    return values.isEmpty() ? NONE : new Directives(values);
  }

  private static void parseLine(String line, Map<String, String> values) {
    int i = 0;
    int n = line.length();
    while (i < n) {
      // name
      while (i < n && (line.charAt(i) == ',' || line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
        i++;
      }
      int start = i;
      while (i < n && line.charAt(i) != '=' && line.charAt(i) != ',') {
        i++;
      }
      String name = line.substring(start, i).trim().toLowerCase(Locale.ROOT);
      String value = "";
      if (i < n && line.charAt(i) == '=') {
        i++;
        while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
          i++;
        }
        if (i < n && line.charAt(i) == '"') {
          int close = line.indexOf('"', i + 1);
          if (close < 0) {
            value = line.substring(i + 1);
            i = n;
          } else {
            value = line.substring(i + 1, close);
            i = close + 1;
          }
          while (i < n && line.charAt(i) != ',') {
            i++; // garbage after a quoted string is dropped
          }
        } else {
          start = i;
          while (i < n && line.charAt(i) != ',') {
            i++;
          }
          value = line.substring(start, i).trim();
        }
      }
      if (!name.isEmpty()) {
        String previous = values.putIfAbsent(name, value);
        if (previous != null && !previous.equals(value)) {
          values.put(name, "\u0000conflict"); // a duplicate that disagrees is unusable
        }
      }
    }
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  /**
   * Returns the delta-seconds value of {@code name}: {@link #ABSENT}, {@link #INVALID}, or a value
   * capped at {@link #MAX_SECONDS}.
   */
  long seconds(String name) {
    String value = values.get(name);
    if (value == null) {
      return ABSENT;
    }
    return parseSeconds(value);
  }

  /**
   * {@code max-stale} may come without a value, meaning "any staleness": returned as {@link
   * #MAX_SECONDS}.
   */
  long maxStale() {
    String value = values.get("max-stale");
    if (value == null) {
      return ABSENT;
    }
    return value.isEmpty() ? MAX_SECONDS : parseSeconds(value);
  }

  /**
   * A delta-seconds value (RFC 9111 §1.2.2): one or more ASCII digits, saturating at {@link
   * #MAX_SECONDS} however many there are; {@link #INVALID} for anything else.
   */
  static long parseSeconds(String value) {
    if (value.isEmpty()) {
      return INVALID;
    }
    long result = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return INVALID;
      }
      result = Math.min(MAX_SECONDS, result * 10 + (c - '0')); // never past 2^31 × 10: no overflow
    }
    return result;
  }
}
