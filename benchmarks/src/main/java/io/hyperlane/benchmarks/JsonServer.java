package io.hyperlane.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The JMH benchmarks' loopback origin: a JDK HTTP server answering every request with one body. */
final class JsonServer implements AutoCloseable {

  static {
    // Without TCP_NODELAY the JDK server's answers wait for a delayed ACK.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(4);

  private JsonServer(byte[] body, String... headers) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    server.setExecutor(threads);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            for (int i = 0; i + 1 < headers.length; i += 2) {
              exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.start();
  }

  /** Starts a server answering {@code body} with the header name/value pairs given. */
  static JsonServer start(byte[] body, String... headers) throws IOException {
    return new JsonServer(body, headers);
  }

  /** Such as {@code http://127.0.0.1:40123}. */
  String origin() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
