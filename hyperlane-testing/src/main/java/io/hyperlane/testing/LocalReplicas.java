package io.hyperlane.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Replicas of a service on loopback, each a real HTTP server that answers with its own name and
 * fails on demand — delay, reset, a status such as 503, a black hole, a slow body — so that a test
 * checks how its service's client survives them, the way Hyperlane tests itself.
 *
 * <pre>{@code
 * @RegisterExtension final LocalReplicas replicas = LocalReplicas.start(3);
 *
 * @Test
 * void aSlowReplicaGetsFewCalls() throws Exception {
 *   replicas.get(0).always(Fault.delay(Duration.ofMillis(100)));
 *   try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.urls()).build()) {
 *     ...
 *   }
 *   assertThat(replicas.get(0).received()).isLessThan(replicas.get(1).received());
 * }
 * }</pre>
 *
 * <p>As a JUnit 5 extension registered on an instance field, the replicas are closed after each
 * test; outside JUnit, close them yourself ({@link AutoCloseable}). Each replica answers every
 * request with a 200 whose body is its name ({@code replica-0}, …) and whose {@code X-Replica}
 * header is its index, unless told otherwise. Only loopback addresses are used. Thread-safe.
 */
public final class LocalReplicas implements AfterEachCallback, AutoCloseable {

  /** The header every answer carries: the index of the replica that sent it. */
  public static final String REPLICA_HEADER = "X-Replica";

  private final List<Replica> replicas;
  private final ExecutorService threads;
  private final CountDownLatch closed = new CountDownLatch(1);

  private LocalReplicas(int count) throws IOException {
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "hyperlane-testing-replica");
              t.setDaemon(true);
              return t;
            });
    List<Replica> started = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        started.add(new Replica(i));
      }
    } catch (IOException | RuntimeException e) {
      started.forEach(Replica::stop);
      threads.shutdownNow();
      throw e;
    }
    this.replicas = List.copyOf(started);
  }

  /**
   * Starts {@code count} replicas on free loopback ports.
   *
   * @param count from 1 to 64
   * @return the running replicas
   * @throws IllegalArgumentException if {@code count} is out of range
   * @throws java.io.UncheckedIOException if a server cannot start
   */
  public static LocalReplicas start(int count) {
    if (count < 1 || count > 64) {
      throw new IllegalArgumentException("count must be from 1 to 64 but was " + count);
    }
    try {
      return new LocalReplicas(count);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot start a local replica", e);
    }
  }

  /**
   * Replica {@code index}.
   *
   * @param index from 0
   * @return the replica
   */
  public Replica get(int index) {
    return replicas.get(index);
  }

  /**
   * How many replicas there are.
   *
   * @return the count
   */
  public int size() {
    return replicas.size();
  }

  /**
   * Every replica's origin, such as {@code http://127.0.0.1:50123}, in index order: what {@code
   * Hyperlane.Builder.service(name, urls)} takes.
   *
   * @return the origins
   */
  public String[] urls() {
    return replicas.stream().map(Replica::url).toArray(String[]::new);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  /** Stops every replica; calls waiting in a black hole end with a closed connection. */
  @Override
  public void close() {
    closed.countDown();
    replicas.forEach(Replica::stop);
    threads.shutdownNow();
  }

  /** One replica: a loopback HTTP server whose answers a test scripts. */
  public final class Replica {
    private final int index;
    private final HttpServer server;
    private final AtomicInteger received = new AtomicInteger();
    private final Deque<Fault> next = new ArrayDeque<>();
    private Fault always = Fault.none();

    private Replica(int index) throws IOException {
      this.index = index;
      this.server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      server.setExecutor(threads);
      server.createContext("/", this::handle);
      server.start();
    }

    /**
     * This replica's origin, such as {@code http://127.0.0.1:50123}.
     *
     * @return the origin
     */
    public String url() {
      InetSocketAddress address = server.getAddress();
      return "http://" + address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /**
     * Its name, the body of its normal answers: {@code replica-<index>}.
     *
     * @return the name
     */
    public String name() {
      return "replica-" + index;
    }

    /**
     * How many requests it has received, answered or not.
     *
     * @return the count
     */
    public int received() {
      return received.get();
    }

    /**
     * Answers every request from now on as {@code fault} says (after any scripted by {@link
     * #next}).
     *
     * @param fault the steady behaviour; {@link Fault#none()} to heal it
     * @return this replica
     */
    public synchronized Replica always(Fault fault) {
      this.always = Objects.requireNonNull(fault, "fault");
      return this;
    }

    /**
     * Answers the next requests with {@code faults}, one each, in order; then as {@link #always}
     * says.
     *
     * @param faults one per request
     * @return this replica
     */
    public synchronized Replica next(Fault... faults) {
      Arrays.stream(faults).map(f -> Objects.requireNonNull(f, "fault")).forEach(next::add);
      return this;
    }

    private synchronized Fault take() {
      Fault scripted = next.poll();
      return scripted != null ? scripted : always;
    }

    private void handle(HttpExchange exchange) throws IOException {
      received.incrementAndGet();
      try (InputStream body = exchange.getRequestBody()) {
        body.readAllBytes();
      }
      Fault fault = take();
      byte[] name = name().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set(REPLICA_HEADER, Integer.toString(index));
      switch (fault.kind) {
        case RESET:
          exchange.close(); // no status line: the client reads the end of the stream
          return;
        case BLACK_HOLE:
          await(Duration.ofMinutes(10));
          exchange.close();
          return;
        case DELAY:
          if (await(fault.delay)) {
            exchange.close();
            return;
          }
          break;
        case SLOW_BODY:
          exchange.sendResponseHeaders(200, 0); // chunked
          try (OutputStream out = exchange.getResponseBody()) {
            for (int i = 0; i < fault.chunks; i++) {
              if (await(fault.delay)) {
                return;
              }
              out.write(name);
              out.flush();
            }
          }
          return;
        default:
          break;
      }
      exchange.sendResponseHeaders(
          fault.kind == Fault.Kind.STATUS ? fault.status : 200, name.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(name);
      }
    }

    /** Waits {@code pause} as the network would; true when the replicas closed meanwhile. */
    private boolean await(Duration pause) {
      try {
        return closed.await(pause.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      }
    }

    private void stop() {
      server.stop(0);
    }
  }
}
