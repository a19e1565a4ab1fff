package io.hyperlane.examples;

import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.HealthCheck;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.RoutingEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Active health checks: every replica is sent {@code GET /healthz} on a timer; one that fails three
 * probes in a row takes no calls until it passes two again.
 */
public final class HealthCheckRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(List<RoutingEvent> events, String... replicas) {
    return Hyperlane.builder()
        .healthCheck(
            HealthCheck.http("/healthz")
                .interval(Duration.ofMillis(200)) // production: seconds (the default is 10 s)
                .timeout(Duration.ofMillis(500))
                .unhealthyThreshold(3)
                .healthyThreshold(2)
                .build())
        .listener(
            event -> {
              if (event instanceof RoutingEvent routing) {
                events.add(routing); // EndpointUnhealthy, EndpointHealthy, ...
              }
            })
        .service("inventory", replicas)
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** What the snapshot said of the sick replica, and the events seen. */
  public record Outcome(String sick, String recovered, List<RoutingEvent> events) {}

  public static void main(String[] args) throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      System.out.println(run(a, b));
    }
  }

  /** Makes {@code b} answer 503 until the probes mark it unhealthy, then heals it. */
  public static Outcome run(LocalReplica a, LocalReplica b) throws InterruptedException {
    List<RoutingEvent> events = new CopyOnWriteArrayList<>();
    try (Hyperlane hyperlane = configure(events, a.url(), b.url())) {
      b.status(503);
      String sick = await(hyperlane, b.url(), "unhealthy");
      b.status(200);
      String recovered = await(hyperlane, b.url(), "healthy");
      return new Outcome(sick, recovered, List.copyOf(events));
    }
  }

  /** Waits (at most 10 s) for the endpoint's health to start with {@code state}. */
  private static String await(Hyperlane hyperlane, String origin, String state)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    String health = "";
    while (System.nanoTime() < deadline) {
      for (EndpointSnapshot e : hyperlane.snapshot().service("inventory").endpoints()) {
        if (e.origin().equals(origin)) {
          health = e.health();
        }
      }
      if (health.startsWith(state)) {
        return health;
      }
      Thread.sleep(20); // a demo polling a real timer; tests of the library use fake time
    }
    return health;
  }
}
