package io.hyperlane.examples;

import io.hyperlane.client.Endpoint;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.ServiceDiscovery;
import io.hyperlane.resilience.Scheduler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Your own discovery, through the {@link ServiceDiscovery} SPI: endpoints read from a file, one URL
 * per line, read again every few seconds. Copy {@link FileDiscovery}; the same shape serves any
 * source (a config service, a database table, a cloud API).
 */
public final class CustomDiscoveryRecipe {

  /**
   * Reads {@code file} on Hyperlane's blocking executor now and every {@code interval}: delivers
   * the whole set with {@code update}, reports a bad read with {@code failed} (Hyperlane then keeps
   * the last good set), and stops when the subscription is cancelled.
   */
  public record FileDiscovery(Path file, Duration interval) implements ServiceDiscovery {

    @Override
    public Subscription subscribe(Context context) {
      AtomicBoolean cancelled = new AtomicBoolean();
      AtomicReference<Scheduler.Cancellable> next = new AtomicReference<>();
      Runnable read =
          new Runnable() {
            @Override
            public void run() {
              if (cancelled.get()) {
                return;
              }
              try {
                List<Endpoint> endpoints = new ArrayList<>();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                  if (!line.isBlank() && !line.startsWith("#")) {
                    endpoints.add(Endpoint.of(line.trim())); // refuses a malformed URL
                  }
                }
                context.update(endpoints);
              } catch (IOException | IllegalArgumentException e) {
                context.failed(e);
              }
              // Never block the scheduler: it only hands the next read to the blocking executor.
              Runnable again = this;
              next.set(
                  context
                      .scheduler()
                      .schedule(interval, () -> context.blockingExecutor().execute(again)));
            }
          };
      context.blockingExecutor().execute(read);
      return () -> {
        cancelled.set(true);
        Scheduler.Cancellable pending = next.get();
        if (pending != null) {
          pending.cancel();
        }
      };
    }
  }

  /** A service whose endpoints are in {@code file}. */
  static Hyperlane.Builder withFileDiscovery(Hyperlane.Builder builder, Path file) {
    return builder.service(
        "inventory", s -> s.discovery(new FileDiscovery(file, Duration.ofSeconds(5))));
  }

  public static void main(String[] args) throws IOException {
    Path file = Files.createTempFile("inventory", ".endpoints");
    Files.writeString(file, "http://127.0.0.1:8081\n");
    try (Hyperlane hyperlane = withFileDiscovery(Hyperlane.builder(), file).build()) {
      System.out.println(hyperlane.describe());
      System.out.println(hyperlane.snapshot());
    }
  }
}
