package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Real Redis servers for tests. {@link #sharedUri()} is the one {@code ./scripts/test} starts (its
 * address in {@code HYPERLANE_REDIS_URI}); {@link #start()} starts a private {@code redis-server}
 * process that a test may kill and restart. Both fail the test, never skip it, when Redis is not
 * there: run the tests with {@code ./scripts/test}.
 */
final class Redis implements AutoCloseable {

  private final int port;
  private final Path dir;
  private Process process;

  private Redis(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  /** The URI of the Redis started by the test script. */
  static String sharedUri() {
    String uri = System.getenv("HYPERLANE_REDIS_URI");
    if (uri == null || uri.isBlank()) {
      fail(
          "HYPERLANE_REDIS_URI is not set: run the tests with ./scripts/test, which installs and"
              + " starts Redis");
    }
    return uri;
  }

  /** Starts a private redis-server on a free loopback port. */
  static Redis start() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Redis redis = new Redis(port, Files.createTempDirectory("redis"));
    redis.restart();
    return redis;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the server again on the same port (after {@link #kill()}). */
  void restart() throws IOException {
    String binary = System.getenv().getOrDefault("HYPERLANE_REDIS_SERVER", "redis-server");
    try {
      process =
          new ProcessBuilder(
                  List.of(
                      binary,
                      "--bind",
                      "127.0.0.1",
                      "--port",
                      Integer.toString(port),
                      "--save",
                      "",
                      "--appendonly",
                      "no",
                      "--dir",
                      dir.toString()))
              .redirectErrorStream(true)
              .redirectOutput(new File(dir.toFile(), "redis.log"))
              .start();
    } catch (IOException e) {
      fail(
          "cannot start "
              + binary
              + " (install Debian's redis-server, or run ./scripts/test): "
              + e.getMessage());
    }
    await(Duration.ofSeconds(10), this::accepting, "redis-server to accept connections");
  }

  /** Kills the server at once, as a crash would. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean accepting() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    kill();
  }

  /**
   * Polls {@code condition} every 10 ms until it holds, failing after {@code bound}. For states
   * that depend on another process (a server starting, a client reconnecting), never for a fixed
   * wait.
   */
  static void await(Duration bound, BooleanSupplier condition, String what) {
    long until = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        fail("gave up after " + bound + " waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }
}
