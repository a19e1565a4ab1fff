package io.hyperlane.examples;

import com.sun.net.httpserver.HttpExchange;
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
 * A stand-in for one instance of a service, so the recipes run on their own: a real HTTP server on
 * a loopback port that answers every request with its name, after an optional delay and with a
 * chosen status. It can also misbehave the way real instances do — fail a share of its requests
 * with 503 or by resetting the connection, die, and come back on the same port. Replace it with
 * your own services.
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
  private final ExecutorService threads;
  private final AtomicInteger served = new AtomicInteger();
  private final AtomicInteger sequence = new AtomicInteger();
  private final int port;
  private HttpServer server; // null while dead
  private volatile long delayMillis;
  private volatile int status = 200;
  private volatile String cacheControl;
  private volatile String cacheablePrefix = "/";
  private volatile int resetEvery; // 0: never
  private volatile int failEvery; // 0: never
  private volatile HttpExchange last; // read only for its request line and headers

  private LocalReplica(String name, Duration delay) throws IOException {
    this.name = name;
    this.delayMillis = delay.toMillis();
    this.threads =
        Executors.newFixedThreadPool(
            16,
            r -> {
              Thread t = new Thread(r, "replica-" + name);
              t.setDaemon(true);
              return t;
            });
    this.server = listen(0);
    this.port = server.getAddress().getPort();
  }

  private HttpServer listen(int onPort) throws IOException {
    HttpServer s =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 64);
    s.setExecutor(threads);
    s.createContext("/", this::handle);
    s.start();
    return s;
  }

  private void handle(HttpExchange exchange) throws IOException {
    last = exchange;
    served.incrementAndGet(); // counted on receipt, so a caller that has its answer sees it
    int n = sequence.incrementAndGet();
    exchange.getRequestBody().readAllBytes();
    int reset = resetEvery;
    if (reset > 0 && n % reset == 0) {
      exchange.close(); // no answer at all: the connection is cut
      return;
    }
    try (exchange) {
      long pause = delayMillis;
      if (pause > 0) {
        try {
          Thread.sleep(pause); // the replica is slow on purpose: that is what it simulates
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      int fail = failEvery;
      int code = fail > 0 && n % fail == 0 ? 503 : status;
      byte[] body = ("hello from " + name + "\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("X-Replica", name);
      String caching = cacheControl;
      if (caching != null
          && code == 200
          && exchange.getRequestURI().getPath().startsWith(cacheablePrefix)) {
        exchange.getResponseHeaders().add("Cache-Control", caching);
      }
      exchange.sendResponseHeaders(code, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The path of the last request this replica received, or null before the first. */
  public String lastPath() {
    HttpExchange e = last;
    return e == null ? null : e.getRequestURI().getRawPath();
  }

  /** A header of the last request this replica received, or null. */
  public String lastHeader(String name) {
    HttpExchange e = last;
    return e == null ? null : e.getRequestHeaders().getFirst(name);
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
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
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
    cacheControl(value, "/");
  }

  /** Sends {@code Cache-Control: value} on the answers to paths that start with {@code prefix}. */
  public void cacheControl(String value, String prefix) {
    this.cacheablePrefix = prefix;
    this.cacheControl = value;
  }

  /**
   * Makes the replica flaky: every {@code resetEvery}-th request has its connection cut without an
   * answer, every {@code failEvery}-th is answered 503 (0 turns either off).
   */
  public void flaky(int resetEvery, int failEvery) {
    this.resetEvery = resetEvery;
    this.failEvery = failEvery;
  }

  /** Stops listening, as a crashed instance would: connections are refused. */
  public synchronized void kill() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  /** Listens again on the same port, as a restarted instance would. */
  public synchronized void revive() throws IOException {
    if (server == null) {
      server = listen(port);
    }
  }

  @Override
  public void close() {
    kill();
    threads.shutdownNow();
  }
}
