package io.hyperlane.benchmarks;

import com.sun.net.httpserver.HttpServer;
import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * A replica killed mid-run: three loopback replicas under an open-loop load; a quarter of the way
 * through, replica 3 stops listening (connections refused), at half-way it listens again on the
 * same port. For raw OkHttp round robin and for Hyperlane with its defaults, prints the success
 * rate, the failed requests, how long after the kill failures went on ("time to recover"), and how
 * long after the restart the replica got its first request back.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.KillScenario [rate] [seconds]
 * </pre>
 */
public final class KillScenario {

  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private record Result(String name, int requests, int failed, double recoverMs, double backInMs) {}

  private final ExecutorService serverThreads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "replica");
            t.setDaemon(true);
            return t;
          });
  private final HttpServer[] servers = new HttpServer[3];
  private final int[] ports = new int[3];
  private final AtomicLong firstRequestToVictim = new AtomicLong();

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    new KillScenario().run(rate, seconds);
    System.exit(0);
  }

  private void run(int rate, int seconds) throws Exception {
    for (int i = 0; i < 3; i++) {
      servers[i] = start(i, 0);
      ports[i] = servers[i].getAddress().getPort();
    }
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(4096);
    dispatcher.setMaxRequestsPerHost(4096);
    OkHttpClient base = new OkHttpClient.Builder().dispatcher(dispatcher).build();
    AtomicInteger next = new AtomicInteger();
    OkHttpClient raw =
        base.newBuilder()
            .addInterceptor(
                chain -> {
                  int port = ports[Math.floorMod(next.getAndIncrement(), 3)];
                  HttpUrl url =
                      chain.request().url().newBuilder().host("127.0.0.1").port(port).build();
                  return chain.proceed(chain.request().newBuilder().url(url).build());
                })
            .build();
    String[] endpoints = {
      "http://127.0.0.1:" + ports[0], "http://127.0.0.1:" + ports[1], "http://127.0.0.1:" + ports[2]
    };
    Result rr = load("raw OkHttp, round robin", raw, rate, seconds);
    Result mesh;
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", endpoints).build()) {
      mesh = load("Hyperlane, defaults", hyperlane.wrap(base), rate, seconds);
    }
    System.out.printf(
        Locale.ROOT,
        "%nReplica killed mid-run: 3 replicas, open loop at %d req/s for"
            + " %d s per client; replica 3 refuses connections from %d s to %d s.%n%n",
        rate,
        seconds,
        seconds / 4,
        seconds / 2);
    System.out.printf(
        Locale.ROOT,
        "%-26s %9s %8s %10s %18s %22s%n",
        "client",
        "requests",
        "failed",
        "success",
        "failures for (ms)",
        "back in rotation (ms)");
    for (Result r : List.of(rr, mesh)) {
      System.out.printf(
          Locale.ROOT,
          "%-26s %9d %8d %9.3f%% %18.0f %22s%n",
          r.name(),
          r.requests(),
          r.failed(),
          100.0 * (r.requests() - r.failed()) / r.requests(),
          r.recoverMs(),
          Double.isNaN(r.backInMs())
              ? "not within the run"
              : String.format(Locale.ROOT, "%.0f", r.backInMs()));
    }
    dispatcher.executorService().shutdown();
    for (HttpServer s : servers) {
      if (s != null) {
        s.stop(0);
      }
    }
    serverThreads.shutdownNow();
  }

  private Result load(String name, OkHttpClient client, int rate, int seconds) throws Exception {
    send(client, rate, 2, new AtomicInteger(), new AtomicLong(), Long.MAX_VALUE); // warm up
    int total = rate * seconds;
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
    long killAt = start + TimeUnit.SECONDS.toNanos(seconds) / 4;
    long reviveAt = start + TimeUnit.SECONDS.toNanos(seconds) / 2;
    Thread chaos =
        new Thread(
            () -> {
              LockSupport.parkNanos(killAt - System.nanoTime());
              servers[2].stop(0);
              LockSupport.parkNanos(reviveAt - System.nanoTime());
              firstRequestToVictim.set(0);
              try {
                servers[2] = start(2, ports[2]);
              } catch (IOException e) {
                throw new IllegalStateException("replica 3 could not listen again", e);
              }
            });
    chaos.start();
    AtomicInteger failed = new AtomicInteger();
    AtomicLong lastFailure = new AtomicLong();
    send(client, rate, seconds, failed, lastFailure, start);
    chaos.join();
    double recover = lastFailure.get() == 0 ? 0 : (lastFailure.get() - killAt) / 1e6;
    long first = firstRequestToVictim.get();
    double backIn = first == 0 ? Double.NaN : (first - reviveAt) / 1e6;
    return new Result(name, total, failed.get(), Math.max(0, recover), backIn);
  }

  /** Open loop: {@code rate × seconds} requests at their intended times, all awaited. */
  private static void send(
      OkHttpClient client,
      int rate,
      int seconds,
      AtomicInteger failed,
      AtomicLong lastFailure,
      long startAt)
      throws InterruptedException {
    Request request = new Request.Builder().url("http://inventory/items/42").build();
    long start = startAt == Long.MAX_VALUE ? System.nanoTime() : startAt;
    FixedRate.run(
        client,
        request,
        rate,
        seconds,
        start,
        (intended, ended, ok) -> {
          if (!ok) {
            failed.incrementAndGet();
            lastFailure.accumulateAndGet(ended, Math::max);
          }
        });
  }

  private HttpServer start(int index, int port) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    server.setExecutor(serverThreads);
    byte[] body = "{\"id\":42,\"stock\":7}".getBytes();
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            if (index == 2) {
              firstRequestToVictim.compareAndSet(0, System.nanoTime());
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.start();
    return server;
  }
}
