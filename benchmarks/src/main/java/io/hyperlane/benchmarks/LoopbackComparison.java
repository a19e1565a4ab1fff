package io.hyperlane.benchmarks;

import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.HdrHistogram.Histogram;

/**
 * Loopback throughput and latency, closed loop: a fixed number of callers each send one request,
 * wait for its answer, and send the next, for a fixed time, against three nginx replicas — through
 * raw OkHttp (each caller rotating over the replicas' URLs itself), through Hyperlane (one service,
 * three endpoints, every default stage), and through a local HAProxy in front of the same replicas
 * (the sidecar). Prints requests per second and p50/p99/p99.9 for each, and Hyperlane's ratios to
 * raw OkHttp and to the sidecar. {@code benchmarks/loopback.sh} installs and starts nginx and
 * HAProxy and runs this.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.LoopbackComparison \
 *     PORT1,PORT2,PORT3 SIDECAR_PORT [callers] [seconds]
 * </pre>
 */
public final class LoopbackComparison {

  private record Result(
      String name, long requests, long errors, Histogram latency, double seconds) {
    double rps() {
      return requests / seconds;
    }

    double ms(double percentile) {
      return latency.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println(
          "usage: LoopbackComparison PORT1,PORT2,PORT3 SIDECAR_PORT [callers] " + "[seconds]");
      System.exit(2);
    }
    String[] ports = args[0].split(",");
    int sidecar = Integer.parseInt(args[1]);
    int callers = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    List<String> origins = new ArrayList<>();
    for (String port : ports) {
      origins.add("http://127.0.0.1:" + port.trim());
    }
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequestsPerHost(callers * 4);
    OkHttpClient base = new OkHttpClient.Builder().dispatcher(dispatcher).build();
    List<Request> direct =
        origins.stream().map(o -> new Request.Builder().url(o + "/items/42").build()).toList();
    Request byService = new Request.Builder().url("http://inventory/items/42").build();
    Request viaSidecar =
        new Request.Builder().url("http://127.0.0.1:" + sidecar + "/items/42").build();

    List<Result> results = new ArrayList<>();
    try (Hyperlane hyperlane =
        Hyperlane.builder().service("inventory", origins.toArray(new String[0])).build()) {
      OkHttpClient mesh = hyperlane.wrap(base);
      // Warm every path up, then measure each twice, interleaved, so drift hits all alike.
      run("warm-up raw", base, direct, callers, 3);
      run("warm-up hyperlane", mesh, List.of(byService), callers, 3);
      run("warm-up sidecar", base, List.of(viaSidecar), callers, 3);
      for (int round = 1; round <= 2; round++) {
        results.add(run("raw OkHttp #" + round, base, direct, callers, seconds / 2));
        results.add(run("Hyperlane #" + round, mesh, List.of(byService), callers, seconds / 2));
        results.add(
            run("HAProxy sidecar #" + round, base, List.of(viaSidecar), callers, seconds / 2));
      }
      hyperlane
          .snapshot()
          .service("inventory")
          .endpoints()
          .forEach(
              e ->
                  System.out.printf(
                      Locale.ROOT, "Hyperlane sent %d requests to %s%n", e.requests(), e.origin()));
    } finally {
      dispatcher.executorService().shutdown();
      base.connectionPool().evictAll();
    }
    Result raw = merge("raw OkHttp", results, 0);
    Result hyperlane = merge("Hyperlane", results, 1);
    Result proxy = merge("HAProxy sidecar", results, 2);
    System.out.printf(
        Locale.ROOT,
        "%ncallers %d, %d s per client, small body, replicas %s, " + "sidecar 127.0.0.1:%d%n",
        callers,
        seconds,
        origins,
        sidecar);
    System.out.printf(
        Locale.ROOT,
        "%-18s %10s %10s %10s %10s %8s%n",
        "client",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "errors");
    for (Result r : List.of(raw, hyperlane, proxy)) {
      System.out.printf(
          Locale.ROOT,
          "%-18s %10.0f %10.3f %10.3f %10.3f %8d%n",
          r.name(),
          r.rps(),
          r.ms(50),
          r.ms(99),
          r.ms(99.9),
          r.errors());
    }
    System.out.printf(
        Locale.ROOT,
        "%nHyperlane / raw OkHttp: throughput %.3fx, p99 %.3fx "
            + "(goal: >= 0.95x and <= 1.10x)%n",
        hyperlane.rps() / raw.rps(),
        hyperlane.ms(99) / raw.ms(99));
    System.out.printf(
        Locale.ROOT,
        "Hyperlane / HAProxy sidecar: throughput %.3fx (goal: >= 1.5x)," + " p99 %.3fx%n",
        hyperlane.rps() / proxy.rps(),
        hyperlane.ms(99) / proxy.ms(99));
    System.exit(0);
  }

  private static Result merge(String name, List<Result> results, int offset) {
    Histogram latency = new Histogram(3);
    long requests = 0;
    long errors = 0;
    double seconds = 0;
    for (int i = offset; i < results.size(); i += 3) {
      Result r = results.get(i);
      latency.add(r.latency());
      requests += r.requests();
      errors += r.errors();
      seconds += r.seconds();
    }
    return new Result(name, requests, errors, latency, seconds);
  }

  /** {@code callers} threads, each sending its next request when the last one is answered. */
  private static Result run(
      String name, OkHttpClient client, List<Request> requests, int callers, int seconds)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(callers);
    AtomicBoolean running = new AtomicBoolean(true);
    List<Future<Result>> parts = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < callers; c++) {
      int offset = c;
      parts.add(
          threads.submit(
              () -> {
                Histogram latency = new Histogram(3);
                long count = 0;
                long errors = 0;
                while (running.get()) {
                  Request request = requests.get((int) ((count + offset) % requests.size()));
                  long t0 = System.nanoTime();
                  try (Response response = client.newCall(request).execute()) {
                    response.body().bytes();
                    if (!response.isSuccessful()) {
                      errors++;
                    }
                  } catch (IOException e) {
                    errors++;
                  }
                  latency.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                  count++;
                }
                return new Result(name, count, errors, latency, 0);
              }));
    }
    Thread.sleep(
        TimeUnit.SECONDS.toMillis(seconds)); // the length of the run, not a wait for a state
    running.set(false);
    Histogram all = new Histogram(3);
    long count = 0;
    long errors = 0;
    for (Future<Result> part : parts) {
      Result r = part.get(30, TimeUnit.SECONDS);
      all.add(r.latency());
      count += r.requests();
      errors += r.errors();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    threads.shutdownNow();
    return new Result(name, count, errors, all, elapsed);
  }
}
