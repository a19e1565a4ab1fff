package io.hyperlane.examples;

import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.ServiceSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The README's demo: three local replicas of a service, one of them 20 ms slower, called a few
 * thousand times through a plain OkHttp client that rotates over the replicas and through Hyperlane,
 * with the results side by side.
 *
 * <p>Run it with {@code ./scripts/demo}, or {@code ./scripts/demo 10000} for more requests.
 */
public final class Demo {

  static final int CALLERS = 8;
  static final Duration SLOW_BY = Duration.ofMillis(20);

  /** What one client did: calls per replica, latencies, errors, time. */
  record Run(String label, int[] perReplica, long[] sortedNanos, int errors, long wallNanos) {
    long percentile(double p) {
      if (sortedNanos.length == 0) {
        return 0;
      }
      int index = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
      return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, index))];
    }

    double share(int replica) {
      return perReplica[replica] / (double) Arrays.stream(perReplica).sum();
    }
  }

  /** Both runs and Hyperlane's own view of the service afterwards. */
  record Comparison(Run roundRobin, Run hyperlane, ServiceSnapshot snapshot) {}

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    System.out.printf(Locale.ROOT, "Hyperlane demo: 3 local replicas of \"inventory\"; replica-3 "
        + "answers %d ms slower.%n%d requests from %d concurrent callers through each client.%n%n",
        SLOW_BY.toMillis(), requests, CALLERS);
    Comparison c = run(requests);
    System.out.print(table(c));
  }

  /** Starts the replicas, sends {@code requests} calls through each client, stops everything. */
  public static Comparison run(int requests) throws Exception {
    try (LocalReplica r1 = LocalReplica.start("replica-1");
        LocalReplica r2 = LocalReplica.start("replica-2");
        LocalReplica r3 = LocalReplica.start("replica-3", SLOW_BY)) {
      List<LocalReplica> replicas = List.of(r1, r2, r3);
      OkHttpClient okHttp = new OkHttpClient.Builder()
          .dispatcher(dispatcherFor(CALLERS))
          .build();
      try {
        // Baseline: what a team writes by hand, rotating over a fixed list.
        AtomicInteger next = new AtomicInteger();
        OkHttpClient roundRobin = okHttp.newBuilder()
            .addInterceptor(chain -> {
              LocalReplica target = replicas.get(Math.floorMod(next.getAndIncrement(), 3));
              HttpUrl url = chain.request().url().newBuilder()
                  .host("127.0.0.1").port(target.port()).build();
              return chain.proceed(chain.request().newBuilder().url(url).build());
            })
            .build();
        load(roundRobin, Math.min(300, requests)); // warm both paths up the same way
        Run rr = measure("plain OkHttp, round robin", roundRobin, requests);

        try (Hyperlane hyperlane = Hyperlane.builder()
            .service("inventory", r1.url(), r2.url(), r3.url())
            .build()) {
          OkHttpClient client = hyperlane.wrap(okHttp);
          load(client, Math.min(300, requests));
          Run hl = measure("Hyperlane (peak EWMA)", client, requests);
          return new Comparison(rr, hl, hyperlane.snapshot().service("inventory"));
        }
      } finally {
        okHttp.dispatcher().executorService().shutdown();
        okHttp.connectionPool().evictAll();
      }
    }
  }

  private static okhttp3.Dispatcher dispatcherFor(int callers) {
    okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
    dispatcher.setMaxRequestsPerHost(callers * 2);
    return dispatcher;
  }

  private static void load(OkHttpClient client, int requests) throws Exception {
    measure("warm-up", client, requests);
  }

  private static Run measure(String label, OkHttpClient client, int requests) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
    AtomicInteger remaining = new AtomicInteger(requests);
    long start = System.nanoTime();
    try {
      List<Future<Run>> futures = new ArrayList<>();
      for (int c = 0; c < CALLERS; c++) {
        futures.add(pool.submit(() -> {
          int[] perReplica = new int[3];
          long[] nanos = new long[requests];
          int count = 0;
          int errors = 0;
          while (remaining.getAndDecrement() > 0) {
            long t0 = System.nanoTime();
            try (Response response = client.newCall(
                new Request.Builder().url("http://inventory/items/42").build()).execute()) {
              String replica = response.header("X-Replica", "");
              response.body().string();
              if (!response.isSuccessful() || !replica.startsWith("replica-")) {
                errors++;
              } else {
                perReplica[replica.charAt(replica.length() - 1) - '1']++;
              }
            } catch (IOException e) {
              errors++;
            }
            nanos[count++] = System.nanoTime() - t0;
          }
          return new Run(label, perReplica, Arrays.copyOf(nanos, count), errors, 0);
        }));
      }
      int[] perReplica = new int[3];
      long[] all = new long[0];
      int errors = 0;
      for (Future<Run> f : futures) {
        Run part = f.get(5, TimeUnit.MINUTES);
        for (int i = 0; i < 3; i++) {
          perReplica[i] += part.perReplica()[i];
        }
        int from = all.length;
        all = Arrays.copyOf(all, from + part.sortedNanos().length);
        System.arraycopy(part.sortedNanos(), 0, all, from, part.sortedNanos().length);
        errors += part.errors();
      }
      Arrays.sort(all);
      return new Run(label, perReplica, all, errors, System.nanoTime() - start);
    } finally {
      pool.shutdownNow();
    }
  }

  static String table(Comparison c) {
    Run a = c.roundRobin();
    Run b = c.hyperlane();
    StringBuilder out = new StringBuilder();
    String row = "  %-30s %28s %24s%n";
    out.append(String.format(Locale.ROOT, row, "", a.label(), b.label()));
    for (int i = 0; i < 3; i++) {
      String name = "requests to replica-" + (i + 1) + (i == 2 ? " (slow)" : "");
      out.append(String.format(Locale.ROOT, row, name,
          String.format(Locale.ROOT, "%d (%.0f%%)", a.perReplica()[i], 100 * a.share(i)),
          String.format(Locale.ROOT, "%d (%.0f%%)", b.perReplica()[i], 100 * b.share(i))));
    }
    out.append(String.format(Locale.ROOT, row, "p50 latency", ms(a.percentile(50)),
        ms(b.percentile(50))));
    out.append(String.format(Locale.ROOT, row, "p99 latency", ms(a.percentile(99)),
        ms(b.percentile(99))));
    out.append(String.format(Locale.ROOT, row, "errors", a.errors(), b.errors()));
    out.append(String.format(Locale.ROOT, row, "wall time", ms(a.wallNanos()),
        ms(b.wallNanos())));
    out.append(String.format(Locale.ROOT, "%nHyperlane's view of the service "
        + "(hyperlane.snapshot()), %s:%n", c.snapshot().loadBalancer()));
    for (EndpointSnapshot e : c.snapshot().endpoints()) {
      out.append(String.format(Locale.ROOT,
          "  %-24s requests %5d  failures %d  ewma %8s  in-flight %d  ejected %s%n",
          e.origin(), e.requests(), e.failures(), ms(e.latencyEwma().toNanos()), e.inFlight(),
          e.ejected()));
    }
    return out.toString();
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
  }
}
