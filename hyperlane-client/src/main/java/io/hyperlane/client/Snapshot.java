package io.hyperlane.client;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * An immutable picture of a {@link Hyperlane} instance: every service and every endpoint, with the
 * numbers the load balancer and outlier detection decide on. Print it, export it, assert on it.
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
}
