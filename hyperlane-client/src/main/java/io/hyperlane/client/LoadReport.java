package io.hyperlane.client;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a server said of its own load in an ORCA {@code endpoint-load-metrics} response header (the
 * header gRPC's and Envoy's weighted balancers read), in its text form ({@code TEXT
 * cpu_utilization=0.3, named_metrics.requests_in_flight=4}) or its JSON form ({@code JSON
 * {"cpu_utilization":0.3,"named_metrics":{"requests_in_flight":4}}}). The binary form ({@code BIN}
 * and the {@code -bin} header) is not read.
 *
 * <p>The header comes from outside: a value longer than {@value #MAX_LENGTH} characters, a field
 * given twice (in either case, in JSON), a name that is not {@code [A-Za-z0-9_.-]} (with no dot at
 * the top level of JSON), a number that is negative, not finite or not a decimal number — any of
 * these makes the whole report unreadable ({@link #parse} returns null), so that a half-read report
 * never steers the balancer.
 *
 * @param requestsInFlight the named metric {@code requests_in_flight}: requests the server was
 *     serving, from every caller, when it wrote the header; NaN when absent
 * @param utilization {@code application_utilization} when present and positive, else {@code
 *     cpu_utilization}; NaN when neither is present
 */
record LoadReport(double requestsInFlight, double utilization) {

  /** The response header that carries the report. */
  static final String HEADER = "endpoint-load-metrics";

  /** The named metric Hyperlane's server-side helper reports requests in flight under. */
  static final String REQUESTS_IN_FLIGHT = "requests_in_flight";

  static final int MAX_LENGTH = 4096;

  /** The report {@code value} holds, or null when it holds none that can be trusted whole. */
  static @Nullable LoadReport parse(@Nullable String value) {
    if (value == null || value.length() > MAX_LENGTH) {
      return null;
    }
    String v = value.strip();
    Map<String, Double> fields;
    if (v.regionMatches(true, 0, "TEXT ", 0, 5)) {
      fields = parseText(v.substring(5));
    } else if (v.regionMatches(true, 0, "JSON ", 0, 5)) {
      fields = new Json(v.substring(5)).fields();
    } else {
      return null;
    }
    if (fields == null) {
      return null;
    }
    Double rif = fields.get("named_metrics." + REQUESTS_IN_FLIGHT);
    Double app = fields.get("application_utilization");
    Double cpu = fields.get("cpu_utilization");
    double utilization = app != null && app > 0 ? app : cpu != null ? cpu : Double.NaN;
    if (rif == null && Double.isNaN(utilization)) {
      return null;
    }
    return new LoadReport(rif == null ? Double.NaN : rif, utilization);
  }

  /** {@code name=value} pairs separated by commas; null when any pair is malformed or repeated. */
  private static @Nullable Map<String, Double> parseText(String text) {
    Map<String, Double> out = new HashMap<>();
    for (String pair : text.split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq < 0) {
        return null;
      }
      String name = pair.substring(0, eq).strip();
      Double number = number(pair.substring(eq + 1).strip());
      if (!validName(name) || number == null || out.put(name, number) != null) {
        return null;
      }
    }
    return out;
  }

  private static boolean validName(String name) {
    if (name.isEmpty() || name.length() > 128) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '.'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** A finite, non-negative decimal number, or null. */
  private static @Nullable Double number(String s) {
    if (s.isEmpty() || s.length() > 32) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
        return null; // no "NaN", "Infinity", hex or type suffixes that Double.parseDouble takes
      }
    }
    try {
      double d = Double.parseDouble(s);
      return Double.isFinite(d) && d >= 0 ? d + 0.0 : null; // + 0.0: no negative zero
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The report's JSON object: numbers at the top level, and the numbers of {@code named_metrics} as
   * {@code named_metrics.<name>}; the other maps of the ORCA message ({@code utilization}, {@code
   * request_cost}) are skipped. Field names may be in the proto's or in JSON's camel case.
   */
  private static final class Json {
    private final String s;
    private int i;

    Json(String s) {
      this.s = s;
    }

    @Nullable Map<String, Double> fields() {
      Map<String, Double> out = new HashMap<>();
      if (!object("", out, 0)) {
        return null;
      }
      space();
      return i == s.length() ? out : null;
    }

    /** Reads an object into {@code out} under {@code prefix}; false when malformed. */
    private boolean object(String prefix, @Nullable Map<String, Double> out, int depth) {
      space();
      if (depth > 2 || !take('{')) {
        return false;
      }
      space();
      if (take('}')) {
        return true;
      }
      Set<String> seen = new HashSet<>();
      while (true) {
        space();
        String name = string();
        space();
        if (name == null || !take(':')) {
          return false;
        }
        space();
        // Field names in the proto's snake case or JSON's camel case; metric names as sent.
        String key = depth == 0 ? snakeCase(name) : name;
        if (!seen.add(key) || depth == 0 && key.indexOf('.') >= 0) {
          return false; // a field twice, or one posing as a named metric
        }
        if (i < s.length() && s.charAt(i) == '{') {
          boolean named = depth == 0 && key.equals("named_metrics");
          if (!object(key + ".", named ? out : null, depth + 1)) {
            return false;
          }
        } else {
          Double number;
          if (i < s.length() && s.charAt(i) == '"') {
            String quoted = string(); // proto3 JSON may quote numbers (its 64-bit integers always)
            number = quoted == null ? null : number(quoted);
          } else {
            int from = i;
            while (i < s.length() && ",} \t\r\n".indexOf(s.charAt(i)) < 0) {
              i++;
            }
            number = number(s.substring(from, i));
          }
          if (number == null || !validName(key)) {
            return false;
          }
          if (out != null) {
            out.put(prefix + key, number);
          }
        }
        space();
        if (take('}')) {
          return true;
        }
        if (!take(',')) {
          return false;
        }
      }
    }

    /** A string without escapes (field names need none), or null. */
    private @Nullable String string() {
      if (!take('"')) {
        return null;
      }
      int end = s.indexOf('"', i);
      if (end < 0 || s.substring(i, end).indexOf('\\') >= 0) {
        return null;
      }
      String out = s.substring(i, end);
      i = end + 1;
      return out;
    }

    private boolean take(char c) {
      if (i < s.length() && s.charAt(i) == c) {
        i++;
        return true;
      }
      return false;
    }

    private void space() {
      while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
    }

    /** {@code cpuUtilization} → {@code cpu_utilization}; snake case stays as it is. */
    private static String snakeCase(String name) {
      StringBuilder b = new StringBuilder(name.length() + 4);
      for (int k = 0; k < name.length(); k++) {
        char c = name.charAt(k);
        if (c >= 'A' && c <= 'Z') {
          b.append('_').append(Character.toLowerCase(c));
        } else {
          b.append(c);
        }
      }
      return b.toString().toLowerCase(Locale.ROOT);
    }
  }
}
