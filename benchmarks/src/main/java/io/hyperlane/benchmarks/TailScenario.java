package io.hyperlane.benchmarks;

import com.sun.net.httpserver.HttpServer;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.resilience.HedgingPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The tail scenario: three loopback replicas, one of which delays 10% of its answers by 100 ms,
 * under an open-loop load at a fixed rate. Latency is counted from each request's intended send
 * time, so a stalled client cannot hide its own tail (coordinated omission). Three clients run one
 * after another in the same JVM against the same replicas: raw OkHttp round robin, Hyperlane with
 * its defaults, and Hyperlane with adaptive hedging. Prints p50, p99, p99.9, errors and backend
 * requests per request, and each Hyperlane p99 as a ratio of raw OkHttp's.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.TailScenario [rate] [seconds]
 * </pre>
 */
public final class TailScenario {

  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private record Result(
      String name, Histogram latency, int requests, int errors, int backendRequests) {}

  private final List<HttpServer> servers = new ArrayList<>();
  private final AtomicInteger backend = new AtomicInteger();
  private final ExecutorService serverThreads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "replica");
            t.setDaemon(true);
            return t;
          });

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    new TailScenario().run(rate, seconds);
  }

  private void run(int rate, int seconds) throws Exception {
    for (int i = 0; i < 3; i++) {
      startReplica(i == 2);
    }
    List<HttpUrl> origins = new ArrayList<>();
    for (HttpServer s : servers) {
      origins.add(HttpUrl.get("http://127.0.0.1:" + s.getAddress().getPort() + "/"));
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
                  HttpUrl o = origins.get(Math.floorMod(next.getAndIncrement(), origins.size()));
                  HttpUrl url =
                      chain.request().url().newBuilder().host(o.host()).port(o.port()).build();
                  return chain.proceed(chain.request().newBuilder().url(url).build());
                })
            .build();
    String[] endpoints =
        origins.stream().map(u -> "http://127.0.0.1:" + u.port()).toArray(String[]::new);

    List<Result> results = new ArrayList<>();
    results.add(load("raw OkHttp, round robin", raw, rate, seconds));
    try (Hyperlane defaults = Hyperlane.builder().service("inventory", endpoints).build()) {
      results.add(load("Hyperlane, defaults", defaults.wrap(base), rate, seconds));
    }
    try (Hyperlane hedged =
        Hyperlane.builder()
            .hedging(HedgingPolicy.adaptive())
            .service("inventory", endpoints)
            .build()) {
      results.add(load("Hyperlane, adaptive hedging", hedged.wrap(base), rate, seconds));
    }

    System.out.printf(
        Locale.ROOT,
        "%nTail scenario: 3 replicas, one delays 10%% of answers by 100 ms;"
            + " open loop at %d req/s for %d s per client (after a %d s warm-up).%n%n",
        rate,
        seconds,
        WARM_UP_SECONDS);
    System.out.printf(
        Locale.ROOT,
        "%-30s %9s %9s %9s %9s %7s %14s %12s%n",
        "client",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "errors",
        "backend/req",
        "p99 vs raw");
    double rawP99 = results.get(0).latency().getValueAtPercentile(99) / 1e6;
    for (Result r : results) {
      Histogram h = r.latency();
      double p99 = h.getValueAtPercentile(99) / 1e6;
      System.out.printf(
          Locale.ROOT,
          "%-30s %9.2f %9.2f %9.2f %9.2f %7d %14.3f %11.3fx%n",
          r.name(),
          h.getValueAtPercentile(50) / 1e6,
          p99,
          h.getValueAtPercentile(99.9) / 1e6,
          h.getMaxValue() / 1e6,
          r.errors(),
          r.backendRequests() / (double) r.requests(),
          p99 / rawP99);
    }
    base.dispatcher().executorService().shutdown();
    servers.forEach(s -> s.stop(0));
    serverThreads.shutdownNow();
  }

  private static final int WARM_UP_SECONDS = 3;

  private Result load(String name, OkHttpClient client, int rate, int seconds) throws Exception {
    run(client, rate, WARM_UP_SECONDS, new Recorder(3), new AtomicInteger()); // JIT, connections
    backend.set(0);
    Recorder recorder = new Recorder(3);
    AtomicInteger errors = new AtomicInteger();
    int requests = run(client, rate, seconds, recorder, errors);
    return new Result(name, recorder.getIntervalHistogram(), requests, errors.get(), backend.get());
  }

  /** Sends {@code rate × seconds} requests at their intended times; waits for every answer. */
  private static int run(
      OkHttpClient client, int rate, int seconds, Recorder recorder, AtomicInteger errors)
      throws InterruptedException {
    Request request = new Request.Builder().url("http://inventory/items/42").build();
    return FixedRate.run(
        client,
        request,
        rate,
        seconds,
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10),
        (intended, ended, ok) -> {
          if (!ok) {
            errors.incrementAndGet();
          }
          recorder.recordValue(ended - intended);
        });
  }

  private void startReplica(boolean sometimesSlow) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
    server.setExecutor(serverThreads);
    byte[] body = "{\"id\":42,\"stock\":7}".getBytes();
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            backend.incrementAndGet();
            if (sometimesSlow && ThreadLocalRandom.current().nextInt(10) == 0) {
              try {
                Thread.sleep(100); // the replica's own slowness, which the scenario is about
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          } catch (IOException e) {
            // a hedge's loser hung up: nothing to answer
          }
        });
    server.start();
    servers.add(server);
  }
}
