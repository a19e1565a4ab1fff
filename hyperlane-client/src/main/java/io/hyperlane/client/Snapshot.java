package io.hyperlane.client;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An immutable picture of a {@link Hyperlane} instance: every service and every endpoint, with the
 * numbers the load balancer, outlier detection and the resilience stages decide on. Three forms:
 * the records themselves to assert on, {@link #toString()} as a table for people (one line per
 * endpoint, times in milliseconds), and {@link #toMap()} / {@link #toJson()} for machines.
 *
 * <pre>
 * inventory: peakEwma(decay=10 s, failurePenalty=1 s), circuit CLOSED, 98.5 retries available,
 *     no concurrency limit, not hedged, routing rules: none, discovery failures: 0
 *   endpoint               weight  effective  in-flight  latency ms  balancer ms  requests  …
 *   http://10.0.0.7:8080        1       1.00          0        0.82         0.82      1203  …
 * </pre>
 *
 * @param services the registered services, in registration order
 */
public record Snapshot(List<ServiceSnapshot> services) {

  /** Copies the list. */
  public Snapshot {
    services = List.copyOf(Objects.requireNonNull(services, "services"));
  }

  /**
   * The service with this name.
   *
   * @throws NoSuchElementException if no such service is registered
   */
  public ServiceSnapshot service(String name) {
    for (ServiceSnapshot s : services) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new NoSuchElementException("no service named \"" + name + "\"");
  }

  /** The snapshot as a table: a line per service, a line per endpoint, times in milliseconds. */
  @Override
  public String toString() {
    return SnapshotForms.table(this);
  }

  /**
   * The snapshot as nested maps and lists of strings, numbers, booleans and nulls, ready for any
   * JSON or YAML writer; durations are milliseconds (keys end in {@code Ms}). Insertion-ordered.
   */
  public Map<String, @Nullable Object> toMap() {
    return SnapshotForms.map(this);
  }

  /** {@link #toMap()} written as JSON, on one line. */
  public String toJson() {
    return SnapshotForms.json(toMap());
  }
}
