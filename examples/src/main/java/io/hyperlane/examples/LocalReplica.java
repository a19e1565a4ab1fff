package io.hyperlane.examples;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for one instance of a service, so the recipes run on their own: a real HTTP server on a
 * loopback port that answers every request with its name, after an optional delay and with a chosen
 * status. Replace it with your own services.
 */
public final class LocalReplica implements AutoCloseable {

  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY every answer waits
    // ~40 ms for a delayed ACK. Read once, when the first server is created.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final String name;
  private final HttpServer server;
  private final ExecutorService threads;
  private final AtomicInteger served = new AtomicInteger();
  private volatile long delayMillis;
  private volatile int status = 200;
  private volatile String cacheControl;

  private LocalReplica(String name, Duration delay) throws IOException {
    this.name = name;
    this.delayMillis = delay.toMillis();
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    this.threads = Executors.newFixedThreadPool(16, r -> {
      Thread t = new Thread(r, "replica-" + name);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/", exchange -> {
      try (exchange) {
        served.incrementAndGet(); // counted on receipt, so a caller that has its answer sees it
        exchange.getRequestBody().readAllBytes();
        long pause = delayMillis;
        if (pause > 0) {
          try {
            Thread.sleep(pause); // the replica is slow on purpose: that is what it simulates
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        byte[] body = ("hello from " + name + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("X-Replica", name);
        String caching = cacheControl;
        if (caching != null) {
          exchange.getResponseHeaders().add("Cache-Control", caching);
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    server.start();
  }

  /** Starts a replica that answers at once. */
  public static LocalReplica start(String name) throws IOException {
    return new LocalReplica(name, Duration.ZERO);
  }

  /** Starts a replica that waits {@code delay} before each answer. */
  public static LocalReplica start(String name, Duration delay) throws IOException {
    return new LocalReplica(name, delay);
  }

  /** The replica's origin, such as {@code http://127.0.0.1:40123}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String name() {
    return name;
  }

  /** Requests received so far. */
  public int served() {
    return served.get();
  }

  /** Makes the replica answer with {@code status} from now on, for example 503 to fail. */
  public void status(int status) {
    this.status = status;
  }

  /** Makes the replica send {@code Cache-Control: value} from now on (null: none, the default). */
  public void cacheControl(String value) {
    this.cacheControl = value;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
