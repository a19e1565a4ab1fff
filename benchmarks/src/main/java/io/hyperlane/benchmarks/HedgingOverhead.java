package io.hyperlane.benchmarks;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.resilience.HedgingPolicy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
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
 * What hedging costs when it never hedges, closed loop over loopback: a fixed number of callers
 * each send one request and the next when it is answered, to three nginx replicas, through a
 * Hyperlane with its defaults (hedging off) and through one whose every call takes the hedged path
 * but whose delay (one second) no answer reaches. Prints requests per second, p50/p99 and the
 * client's CPU time per request (this process's CPU time over the run; nginx runs in processes of
 * its own), and the ratios (goal: throughput at least 0.9×, CPU per request at most 1.1×). Runs are
 * interleaved twice so that drift hits both alike. {@code benchmarks/loopback.sh … hedging} runs
 * it.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.HedgingOverhead \
 *     PORT1,PORT2,PORT3 [callers] [seconds]
 * </pre>
 */
public final class HedgingOverhead {

  private record Result(
      String name, long requests, long errors, Histogram latency, double seconds, long cpuNanos) {
    double rps() {
      return requests / seconds;
    }

    double cpuMicrosPerRequest() {
      return cpuNanos / 1000.0 / requests;
    }

    double ms(double percentile) {
      return latency.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: HedgingOverhead PORT1,PORT2,PORT3 [callers] [seconds]");
      System.exit(2);
    }
    List<String> origins = new ArrayList<>();
    for (String port : args[0].split(",")) {
      origins.add("http://127.0.0.1:" + port.trim());
    }
    int callers = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    Dispatcher dispatcher = new Dispatcher();
    OkHttpClient base = new OkHttpClient.Builder().dispatcher(dispatcher).build();
    Request request = new Request.Builder().url("http://inventory/items/42").build();
    List<Result> results = new ArrayList<>();
    try (Hyperlane off =
            Hyperlane.builder().service("inventory", origins.toArray(new String[0])).build();
        Hyperlane on =
            Hyperlane.builder()
                .hedging(HedgingPolicy.fixed(Duration.ofSeconds(1), 1))
                .service("inventory", origins.toArray(new String[0]))
                .build();
        Hyperlane adaptive =
            Hyperlane.builder()
                .hedging(HedgingPolicy.adaptive())
                .service("inventory", origins.toArray(new String[0]))
                .build()) {
      OkHttpClient plain = off.wrap(base);
      OkHttpClient hedged = on.wrap(base);
      OkHttpClient p95 = adaptive.wrap(base);
      run("warm-up off", plain, request, callers, 3);
      run("warm-up on", hedged, request, callers, 3);
      run("warm-up adaptive", p95, request, callers, 3);
      for (int round = 1; round <= 2; round++) {
        results.add(run("hedging off", plain, request, callers, seconds / 2));
        results.add(run("hedging on, never fires", hedged, request, callers, seconds / 2));
        results.add(run("adaptive (p95)", p95, request, callers, seconds / 2));
      }
    } finally {
      dispatcher.executorService().shutdown();
      base.connectionPool().evictAll();
    }
    Result off = merge("hedging off", results, 0);
    Result on = merge("hedging on, never fires", results, 1);
    Result adaptive = merge("adaptive (p95)", results, 2);
    System.out.printf(
        Locale.ROOT, "%ncallers %d, %d s per client, replicas %s%n", callers, seconds, origins);
    System.out.printf(
        Locale.ROOT,
        "%-26s %10s %9s %9s %14s %7s%n",
        "client",
        "req/s",
        "p50 ms",
        "p99 ms",
        "CPU µs/request",
        "errors");
    for (Result r : List.of(off, on, adaptive)) {
      System.out.printf(
          Locale.ROOT,
          "%-26s %10.0f %9.3f %9.3f %14.1f %7d%n",
          r.name(),
          r.rps(),
          r.ms(50),
          r.ms(99),
          r.cpuMicrosPerRequest(),
          r.errors());
    }
    System.out.printf(
        Locale.ROOT,
        "%nhedging on (never fires) / off: throughput %.3fx (goal >= 0.9x),"
            + " CPU per request %.3fx (goal <= 1.1x), p99 %.3fx%n",
        on.rps() / off.rps(),
        on.cpuMicrosPerRequest() / off.cpuMicrosPerRequest(),
        on.ms(99) / off.ms(99));
    System.out.printf(
        Locale.ROOT,
        "adaptive / off: throughput %.3fx, CPU per request %.3fx, p99" + " %.3fx%n",
        adaptive.rps() / off.rps(),
        adaptive.cpuMicrosPerRequest() / off.cpuMicrosPerRequest(),
        adaptive.ms(99) / off.ms(99));
    System.exit(0);
  }

  private static Result merge(String name, List<Result> results, int offset) {
    Histogram latency = new Histogram(3);
    long requests = 0;
    long errors = 0;
    double seconds = 0;
    long cpu = 0;
    for (int i = offset; i < results.size(); i += 3) {
      Result r = results.get(i);
      latency.add(r.latency());
      requests += r.requests();
      errors += r.errors();
      seconds += r.seconds();
      cpu += r.cpuNanos();
    }
    return new Result(name, requests, errors, latency, seconds, cpu);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** {@code callers} threads, each sending its next request when the last one is answered. */
  private static Result run(
      String name, OkHttpClient client, Request request, int callers, int seconds)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(callers);
    AtomicBoolean running = new AtomicBoolean(true);
    List<Future<Result>> parts = new ArrayList<>();
    long start = System.nanoTime();
    long cpuStart = processCpuNanos();
    for (int c = 0; c < callers; c++) {
      parts.add(
          threads.submit(
              () -> {
                Histogram latency = new Histogram(3);
                long count = 0;
                long errors = 0;
                while (running.get()) {
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
                return new Result(name, count, errors, latency, 0, 0);
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
    long cpu = processCpuNanos() - cpuStart;
    double elapsed = (System.nanoTime() - start) / 1e9;
    threads.shutdownNow();
    return new Result(name, count, errors, all, elapsed, cpu);
  }
}
