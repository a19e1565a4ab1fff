package io.hyperlane.client;

import io.hyperlane.cache.CacheStats;
import io.hyperlane.resilience.internal.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The forms of a {@link Snapshot}: a table for people, maps and JSON for machines. */
final class SnapshotForms {

  private static final String[] COLUMNS = {
    "endpoint",
    "weight",
    "effective",
    "in-flight",
    "latency ms",
    "balancer ms",
    "requests",
    "failures",
    "lost races",
    "ejected",
    "circuit",
    "zone"
  };

  private SnapshotForms() {}

  static String table(Snapshot snapshot) {
    StringBuilder out = new StringBuilder();
    for (ServiceSnapshot s : snapshot.services()) {
      out.append(s.name())
          .append(": ")
          .append(s.loadBalancer())
          .append(", circuit ")
          .append(s.circuit())
          .append(", ")
          .append(String.format(Locale.ROOT, "%.1f", s.retriesAvailable()))
          .append(" retries available, ")
          .append(
              s.concurrencyLimit() > 0
                  ? "concurrency limit " + s.concurrencyLimit()
                  : "no concurrency limit")
          .append(", ")
          .append(
              s.hedgeDelay() == null
                  ? "not hedged"
                  : "hedged after " + Durations.human(s.hedgeDelay()))
          .append(", routing rules: ")
          .append(s.routingRules().isEmpty() ? "none" : String.join(", ", s.routingRules()))
          .append(", discovery failures: ")
          .append(s.discoveryFailures())
          .append('\n');
      List<String[]> rows = new ArrayList<>();
      rows.add(COLUMNS);
      for (EndpointSnapshot e : s.endpoints()) {
        rows.add(
            new String[] {
              e.origin(),
              String.valueOf(e.weight()),
              String.format(Locale.ROOT, "%.2f", e.effectiveWeight()),
              String.valueOf(e.inFlight()),
              millis(e.latencyEwma()),
              millis(e.balancerLatency()),
              String.valueOf(e.requests()),
              String.valueOf(e.failures()),
              String.valueOf(e.lostRaces()),
              e.ejected()
                  ? "yes (" + e.ejections() + ")"
                  : e.ejections() > 0 ? "no (" + e.ejections() + ")" : "no",
              e.circuit(),
              e.zone() == null ? "-" : e.zone()
            });
      }
      if (s.endpoints().isEmpty()) {
        out.append("  no endpoints\n");
      } else {
        appendAligned(out, rows);
      }
      for (EndpointSnapshot e : s.endpoints()) {
        if (!e.ejectedFor().isEmpty()) {
          out.append("  ")
              .append(e.origin())
              .append(" ejected: ")
              .append(e.ejectedFor())
              .append('\n');
        }
        if (!e.health().isEmpty()) {
          out.append("  ").append(e.origin()).append(" health: ").append(e.health()).append('\n');
        }
        if (!e.reportedLoad().isEmpty()) {
          out.append("  ")
              .append(e.origin())
              .append(" reports: ")
              .append(e.reportedLoad())
              .append('\n');
        }
      }
      CacheStats.Service cache = s.cache();
      if (cache != null) {
        out.append("  cache: L0 ")
            .append(cache.l0Hits())
            .append(", L1 ")
            .append(cache.l1Hits())
            .append(", L2 ")
            .append(cache.l2Hits())
            .append(" hits; ")
            .append(cache.misses())
            .append(" misses, ")
            .append(cache.staleServed())
            .append(" stale served, ")
            .append(cache.stored())
            .append(" stored, ")
            .append(cache.invalidations())
            .append(" invalidated, ")
            .append(cache.sharedTierErrors())
            .append(" shared-tier errors\n");
      }
    }
    return out.length() == 0 ? "no services\n" : out.toString();
  }

  /** Left-aligned text columns, right-aligned numbers, two spaces between. */
  private static void appendAligned(StringBuilder out, List<String[]> rows) {
    int[] widths = new int[COLUMNS.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < row.length; i++) {
        boolean text = i == 0 || i >= 9;
        String cell = row[i];
        String pad = " ".repeat(widths[i] - cell.length());
        line.append(text ? cell + pad : pad + cell);
        if (i < row.length - 1) {
          line.append("  ");
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
  }

  private static String millis(Duration d) {
    return String.format(Locale.ROOT, "%.2f", d.toNanos() / 1e6);
  }

  private static @Nullable Double millisOrNull(@Nullable Duration d) {
    return d == null ? null : d.toNanos() / 1e6;
  }

  static Map<String, @Nullable Object> map(Snapshot snapshot) {
    List<Object> services = new ArrayList<>();
    for (ServiceSnapshot s : snapshot.services()) {
      Map<String, @Nullable Object> service = new LinkedHashMap<>();
      service.put("name", s.name());
      service.put("loadBalancer", s.loadBalancer());
      service.put("circuit", s.circuit());
      service.put("retriesAvailable", s.retriesAvailable());
      service.put("concurrencyLimit", s.concurrencyLimit());
      service.put("hedgeDelayMs", millisOrNull(s.hedgeDelay()));
      service.put("routingRules", List.copyOf(s.routingRules()));
      service.put("discoveryFailures", s.discoveryFailures());
      List<Object> endpoints = new ArrayList<>();
      for (EndpointSnapshot e : s.endpoints()) {
        Map<String, @Nullable Object> endpoint = new LinkedHashMap<>();
        endpoint.put("origin", e.origin());
        endpoint.put("weight", e.weight());
        endpoint.put("effectiveWeight", e.effectiveWeight());
        endpoint.put("inFlight", e.inFlight());
        endpoint.put("latencyMs", millisOrNull(e.latencyEwma()));
        endpoint.put("balancerLatencyMs", millisOrNull(e.balancerLatency()));
        endpoint.put("requests", e.requests());
        endpoint.put("failures", e.failures());
        endpoint.put("lostRaces", e.lostRaces());
        endpoint.put("ejected", e.ejected());
        endpoint.put("ejections", e.ejections());
        endpoint.put("ejectedFor", e.ejectedFor());
        endpoint.put("health", e.health());
        endpoint.put("reportedLoad", e.reportedLoad());
        endpoint.put("circuit", e.circuit());
        endpoint.put("zone", e.zone());
        endpoint.put("metadata", new LinkedHashMap<>(e.metadata()));
        endpoints.add(endpoint);
      }
      service.put("endpoints", endpoints);
      CacheStats.Service c = s.cache();
      if (c == null) {
        service.put("cache", null);
      } else {
        Map<String, @Nullable Object> cache = new LinkedHashMap<>();
        cache.put("l0Hits", c.l0Hits());
        cache.put("l1Hits", c.l1Hits());
        cache.put("l2Hits", c.l2Hits());
        cache.put("misses", c.misses());
        cache.put("staleServed", c.staleServed());
        cache.put("revalidations", c.revalidations());
        cache.put("bypassed", c.bypassed());
        cache.put("stored", c.stored());
        cache.put("invalidations", c.invalidations());
        cache.put("sharedTierErrors", c.sharedTierErrors());
        service.put("cache", cache);
      }
      services.add(service);
    }
    Map<String, @Nullable Object> root = new LinkedHashMap<>();
    root.put("services", services);
    return root;
  }

  static String json(@Nullable Object value) {
    StringBuilder out = new StringBuilder();
    write(out, value);
    return out.toString();
  }

  private static void write(StringBuilder out, @Nullable Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String text) {
      string(out, text);
    } else if (value instanceof Double d) {
      out.append(d.isNaN() || d.isInfinite() ? "null" : String.valueOf(d));
    } else if (value instanceof Number || value instanceof Boolean) {
      out.append(value);
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        string(out, String.valueOf(entry.getKey()));
        out.append(':');
        write(out, entry.getValue());
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(out, list.get(i));
      }
      out.append(']');
    } else {
      string(out, value.toString());
    }
  }

  /** A JSON string: quotes, backslashes and control characters escaped. */
  private static void string(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
