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
import java.util.concurrent.RejectedExecutionException;

/**
 * Your own discovery, through the {@link ServiceDiscovery} SPI: endpoints read from a file, one URL
 * per line, read again every few seconds. Copy {@link FileDiscovery}; the same shape serves any
 * source (a config service, a database table, a cloud API).
 */
public final class CustomDiscoveryRecipe {

  /**
   * Reads {@code file} (one URL per line; {@code #} starts a comment) when subscribed, on the
   * calling thread so that the service starts with its endpoints, then every {@code interval} on
   * Hyperlane's blocking executor. A read that fails in any way is reported with {@code failed}, so
   * Hyperlane keeps the last good set, and the next read is scheduled all the same; cancelling
   * stops the reads and the timer. Rewrite the file atomically (write a temporary file, then move
   * it over with {@code ATOMIC_MOVE}), or a read may see it half written.
   */
  public static final class FileDiscovery implements ServiceDiscovery {
    private final Path file;
    private final Duration interval;

    /**
     * @throws IllegalArgumentException if {@code interval} is under 100 ms
     */
    public FileDiscovery(Path file, Duration interval) {
      if (interval.compareTo(Duration.ofMillis(100)) < 0) {
        throw new IllegalArgumentException("interval must be 100 ms at least but was " + interval);
      }
      this.file = file;
      this.interval = interval;
    }

    @Override
    public Subscription subscribe(Context context) {
      Reads reads = new Reads(context);
      reads.run();
      return reads;
    }

    /** The endpoints the file lists now. */
    List<Endpoint> read() throws IOException {
      List<Endpoint> endpoints = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        int comment = line.indexOf('#');
        String url = (comment >= 0 ? line.substring(0, comment) : line).trim();
        if (!url.isEmpty()) {
          endpoints.add(Endpoint.of(url)); // refuses a malformed URL: the read fails
        }
      }
      return endpoints;
    }

    @Override
    public String toString() {
      return "FileDiscovery{" + file + " every " + interval.toMillis() + " ms}";
    }

    /** One subscription's reads: each one schedules the next, until cancelled. */
    private final class Reads implements Runnable, Subscription {
      private final Context context;
      private volatile boolean cancelled;
      private volatile Scheduler.Cancellable next;

      Reads(Context context) {
        this.context = context;
      }

      @Override
      public void run() {
        if (cancelled) {
          return;
        }
        try {
          context.update(read());
        } catch (IOException | RuntimeException e) {
          context.failed(e);
        } finally {
          scheduleNext();
        }
      }

      private void scheduleNext() {
        if (cancelled) {
          return;
        }
        // The scheduler only hands the read to the blocking executor: it must never block.
        Scheduler.Cancellable timer = context.scheduler().schedule(interval, this::handOff);
        next = timer;
        if (cancelled) {
          timer.cancel(); // cancelled while this was being scheduled
        }
      }

      private void handOff() {
        if (cancelled) {
          return;
        }
        try {
          context.blockingExecutor().execute(this);
        } catch (RejectedExecutionException e) {
          context.failed(e);
          scheduleNext();
        }
      }

      @Override
      public void cancel() {
        cancelled = true;
        Scheduler.Cancellable timer = next;
        if (timer != null) {
          timer.cancel();
        }
      }
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
