package io.hyperlane.cache;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import okhttp3.HttpUrl;

/**
 * A loopback origin server whose answers a test programs request by request, and which records
 * every request it receives. Handlers may block (on a latch the test controls): each request runs
 * on its own thread.
 */
final class Origin implements AutoCloseable {

  /** What the origin saw. */
  record Seen(String method, String path, Map<String, List<String>> headers) {
    String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }
  }

  /** A response: status, header name/value pairs, body. */
  record Answer(int status, List<String> headers, byte[] bytes) {
    static Answer of(int status, String body, String... headers) {
      return new Answer(status, List.of(headers), body.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code body} compressed, with {@code Content-Encoding: gzip}. */
    static Answer gzipped(int status, String body, String... headers) {
      List<String> all = new ArrayList<>(List.of(headers));
      all.add("Content-Encoding");
      all.add("gzip");
      return new Answer(status, all, CacheSafetyTest.gzip(body));
    }

    String body() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  /** Decides the answer to one request; may block. */
  interface Handler {
    Answer handle(Seen request) throws Exception;
  }

  private final HttpServer server;
  private final ExecutorService executor =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "origin");
            t.setDaemon(true);
            return t;
          });
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private volatile Handler handler = request -> Answer.of(200, "ok");

  Origin() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    server.setExecutor(executor);
    server.createContext("/", this::serve);
    server.start();
  }

  void handler(Handler handler) {
    this.handler = handler;
  }

  HttpUrl url(String path) {
    return HttpUrl.get("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  List<Seen> seen() {
    return List.copyOf(seen);
  }

  int count() {
    return seen.size();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      Seen request =
          new Seen(
              exchange.getRequestMethod(),
              exchange.getRequestURI().toString(),
              Map.copyOf(exchange.getRequestHeaders()));
      seen.add(request);
      Answer answer;
      try {
        answer = handler.handle(request);
      } catch (Exception e) {
        answer = Answer.of(500, "handler failed: " + e);
      }
      for (int i = 0; i + 1 < answer.headers().size(); i += 2) {
        exchange.getResponseHeaders().add(answer.headers().get(i), answer.headers().get(i + 1));
      }
      byte[] body = answer.bytes();
      boolean empty = answer.status() == 304 || answer.status() == 204;
      exchange.sendResponseHeaders(answer.status(), empty ? -1 : body.length);
      if (!empty) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
