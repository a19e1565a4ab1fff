package io.hyperlane.examples;

import io.hyperlane.cache.CacheStats;
import io.hyperlane.cache.HttpCache;
import io.hyperlane.cache.RedisSharedTier;
import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.ServiceSnapshot;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.ResilienceEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The README's demo: a local mesh of four replicas of a service — one healthy, one slow, one flaky
 * (it cuts connections and answers 503), one that dies a third of the way through and comes back —
 * loaded at a fixed rate through a plain OkHttp client that rotates over them, then through
 * Hyperlane (retries, hedging, ejection, a cache with Redis when one is reachable), with a progress
 * bar, a side-by-side table, and the same comparison as a PNG chart.
 *
 * <p>Run it with {@code ./scripts/demo}; {@code ./scripts/demo 600 30} sends 600 requests/s for 30
 * s per client.
 */
public final class Demo {

  static final Duration SLOW_BY = Duration.ofMillis(20);

  /** How hard and how long to load each client, and where the chart goes. */
  public record Settings(int rate, Duration runTime, Duration warmUp, Path chart, PrintStream out) {
    static Settings standard(String[] args, PrintStream out) {
      int rate = args.length > 0 ? Integer.parseInt(args[0]) : 400;
      int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
      return new Settings(
          rate,
          Duration.ofSeconds(seconds),
          Duration.ofSeconds(3),
          Path.of("target", "demo", "hyperlane-demo.png"),
          out);
    }
  }

  /** What one client did under the load. */
  public record Side(
      String label,
      OpenLoop.Result result,
      double backendPerRequest,
      CacheStats.Service cache,
      long retries,
      long hedges,
      long ejections) {}

  /** Both sides, what the cache shared through, and where the chart was written. */
  public record Comparison(
      Side raw, Side hyperlane, String sharedTier, Path chart, ServiceSnapshot snapshot) {}

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    Settings settings = Settings.standard(args, System.out);
    Comparison c = run(settings);
    settings.out().print(table(c));
    settings
        .out()
        .printf(Locale.ROOT, "%nThe same comparison as a chart: %s%n", c.chart().toAbsolutePath());
  }

  /** Starts the replicas, loads each client in turn, stops everything. */
  public static Comparison run(Settings settings) throws Exception {
    PrintStream out = settings.out();
    try (LocalReplica healthy = LocalReplica.start("replica-1");
        LocalReplica slow = LocalReplica.start("replica-2", SLOW_BY);
        LocalReplica flaky = LocalReplica.start("replica-3");
        LocalReplica dying = LocalReplica.start("replica-4")) {
      List<LocalReplica> replicas = List.of(healthy, slow, flaky, dying);
      for (LocalReplica r : replicas) {
        r.cacheControl("max-age=2", "/catalog/"); // the catalog may be cached; orders may not
      }
      flaky.flaky(10, 7); // every 10th connection cut, every 7th answer a 503
      out.printf(
          Locale.ROOT,
          "Hyperlane demo: 4 local replicas of \"inventory\": replica-1 healthy,"
              + " replica-2 %d ms slower, replica-3 flaky (cuts every 10th connection, 503 on every"
              + " 7th), replica-4 dies after %d%% of each run and comes back at %d%%.%n"
              + "Each client gets %d requests/s for %d s (70%% catalog reads, 30%% order lookups),"
              + " measured from each request's intended send time.%n",
          SLOW_BY.toMillis(),
          30,
          65,
          settings.rate(),
          settings.runTime().toSeconds());

      Dispatcher dispatcher = new Dispatcher();
      dispatcher.setMaxRequests(10_000);
      dispatcher.setMaxRequestsPerHost(10_000);
      OkHttpClient okHttp =
          new OkHttpClient.Builder()
              .dispatcher(dispatcher)
              .callTimeout(Duration.ofSeconds(2))
              .build();
      ScheduledExecutorService chaos =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "demo-chaos");
                t.setDaemon(true);
                return t;
              });
      try {
        // Baseline: what a team writes by hand, rotating over a fixed list.
        AtomicInteger next = new AtomicInteger();
        OkHttpClient roundRobin =
            okHttp
                .newBuilder()
                .addInterceptor(
                    chain -> {
                      LocalReplica target = replicas.get(Math.floorMod(next.getAndIncrement(), 4));
                      HttpUrl url =
                          chain
                              .request()
                              .url()
                              .newBuilder()
                              .host("127.0.0.1")
                              .port(target.port())
                              .build();
                      return chain.proceed(chain.request().newBuilder().url(url).build());
                    })
                .build();
        Side raw =
            side(
                "plain OkHttp, round robin",
                roundRobin,
                replicas,
                dying,
                chaos,
                settings,
                null,
                new LongAdder(),
                new LongAdder());

        String redisUri =
            System.getenv().getOrDefault("HYPERLANE_REDIS_URI", "redis://127.0.0.1:6379");
        RedisSharedTier redis = null;
        try {
          redis =
              RedisSharedTier.builder(redisUri)
                  .connectTimeout(Duration.ofMillis(300))
                  .keyPrefix("hyperlane:demo:" + System.nanoTime() + ":")
                  .build();
        } catch (IllegalStateException e) {
          // no Redis: the heap tier alone
        }
        String shared =
            redis != null
                ? "Redis at " + redisUri
                : "none (no Redis reachable at " + redisUri + "): heap tier only";
        out.printf(Locale.ROOT, "Cache for Hyperlane: heap tier, shared tier: %s%n", shared);
        HttpCache.Builder cacheBuilder = HttpCache.builder();
        if (redis != null) {
          cacheBuilder.sharedTier(
              redis, "demo-secret-not-for-production".getBytes(StandardCharsets.UTF_8));
        }
        LongAdder retries = new LongAdder();
        LongAdder hedges = new LongAdder();
        try (HttpCache cache = cacheBuilder.build();
            Hyperlane hyperlane =
                Hyperlane.builder()
                    .cache(cache)
                    .hedging(HedgingPolicy.adaptive())
                    .timeout(Duration.ofSeconds(2))
                    .listener(
                        event -> {
                          if (event instanceof ResilienceEvent.Retry) {
                            retries.increment();
                          } else if (event instanceof ResilienceEvent.Hedge) {
                            hedges.increment();
                          }
                        })
                    .service("inventory", healthy.url(), slow.url(), flaky.url(), dying.url())
                    .build()) {
          Side mesh =
              side(
                  "Hyperlane",
                  hyperlane.wrap(okHttp),
                  replicas,
                  dying,
                  chaos,
                  settings,
                  hyperlane,
                  retries,
                  hedges);
          Path chart = chart(raw, mesh, settings.chart());
          return new Comparison(
              raw, mesh, shared, chart, hyperlane.snapshot().service("inventory"));
        }
      } finally {
        chaos.shutdownNow();
        dispatcher.executorService().shutdown();
        okHttp.connectionPool().evictAll();
      }
    }
  }

  private static Side side(
      String label,
      OkHttpClient client,
      List<LocalReplica> replicas,
      LocalReplica dying,
      ScheduledExecutorService chaos,
      Settings settings,
      Hyperlane hyperlane,
      LongAdder retries,
      LongAdder hedges)
      throws Exception {
    IntFunction<Request> requests =
        i ->
            new Request.Builder()
                .url(
                    i % 10 < 7
                        ? "http://inventory/catalog/" + (i % 100)
                        : "http://inventory/orders/" + i)
                .build();
    // Warm up (JIT, connections) at a low rate, with every replica up.
    new OpenLoop(
            Math.max(1, settings.rate() / 4),
            Integer.MAX_VALUE,
            settings.warmUp(),
            Duration.ofSeconds(3))
        .run(client, requests, done -> {});
    retries.reset();
    hedges.reset();
    long ejectionsBefore = hyperlane == null ? 0 : ejections(hyperlane);
    int servedBefore = replicas.stream().mapToInt(LocalReplica::served).sum();
    long run = settings.runTime().toMillis();
    chaos.schedule(dying::kill, run * 30 / 100, TimeUnit.MILLISECONDS);
    chaos.schedule(
        () -> {
          try {
            dying.revive();
          } catch (IOException e) {
            settings.out().println("replica-4 could not come back: " + e);
          }
        },
        run * 65 / 100,
        TimeUnit.MILLISECONDS);
    OpenLoop.Result result =
        new OpenLoop(settings.rate(), Integer.MAX_VALUE, settings.runTime(), Duration.ofSeconds(3))
            .run(client, requests, done -> progress(settings.out(), label, done));
    settings.out().println();
    dying.revive(); // in case the run ended before it came back
    int backend = replicas.stream().mapToInt(LocalReplica::served).sum() - servedBefore;
    CacheStats.Service cache =
        hyperlane == null ? null : hyperlane.snapshot().service("inventory").cache();
    return new Side(
        label,
        result,
        result.sent() == 0 ? 0 : backend / (double) result.sent(),
        cache,
        retries.sum(),
        hedges.sum(),
        hyperlane == null ? 0 : ejections(hyperlane) - ejectionsBefore);
  }

  private static long ejections(Hyperlane hyperlane) {
    return hyperlane.snapshot().service("inventory").endpoints().stream()
        .mapToLong(EndpointSnapshot::ejections)
        .sum();
  }

  private static void progress(PrintStream out, String label, double done) {
    int width = 40;
    int filled = (int) Math.round(done * width);
    out.printf(
        Locale.ROOT,
        "\r  %-28s [%s%s] %3.0f%%",
        label,
        "#".repeat(filled),
        ".".repeat(width - filled),
        done * 100);
    out.flush();
  }

  static String table(Comparison c) {
    Side a = c.raw();
    Side b = c.hyperlane();
    StringBuilder out = new StringBuilder();
    String row = "  %-34s %26s %26s%n";
    out.append(String.format(Locale.ROOT, "%n" + row, "", a.label(), b.label()));
    out.append(
        String.format(
            Locale.ROOT, row, "p50 latency", ms(a.result().ms(50)), ms(b.result().ms(50))));
    out.append(
        String.format(
            Locale.ROOT, row, "p99 latency", ms(a.result().ms(99)), ms(b.result().ms(99))));
    out.append(
        String.format(
            Locale.ROOT, row, "p99.9 latency", ms(a.result().ms(99.9)), ms(b.result().ms(99.9))));
    out.append(
        String.format(
            Locale.ROOT,
            row,
            "success rate",
            pct(a.result().successRate()),
            pct(b.result().successRate())));
    out.append(
        String.format(
            Locale.ROOT,
            row,
            "failed requests",
            a.result().failed() + " " + a.result().errors().keySet(),
            b.result().failed() + " " + b.result().errors().keySet()));
    out.append(
        String.format(
            Locale.ROOT,
            row,
            "backend requests per request",
            String.format(Locale.ROOT, "%.3f", a.backendPerRequest()),
            String.format(Locale.ROOT, "%.3f", b.backendPerRequest())));
    CacheStats.Service cache = b.cache();
    long calls = b.result().sent();
    out.append(
        String.format(
            Locale.ROOT,
            row,
            "cache hits L0 / L1 / L2",
            "-",
            cache == null
                ? "-"
                : String.format(
                    Locale.ROOT,
                    "%s / %s / %s",
                    pct(cache.l0Hits() / (double) calls),
                    pct(cache.l1Hits() / (double) calls),
                    pct(cache.l2Hits() / (double) calls))));
    out.append(
        String.format(
            Locale.ROOT,
            row,
            "stale answers served",
            "-",
            cache == null ? "-" : Long.toString(cache.staleServed())));
    out.append(
        String.format(Locale.ROOT, row, "retries / hedges", "-", b.retries() + " / " + b.hedges()));
    out.append(String.format(Locale.ROOT, row, "ejections", "-", Long.toString(b.ejections())));
    out.append(String.format(Locale.ROOT, "  (cache shared tier: %s)%n", c.sharedTier()));
    out.append(
        String.format(
            Locale.ROOT,
            "%nHyperlane's view of the service " + "(hyperlane.snapshot()), %s:%n",
            c.snapshot().loadBalancer()));
    for (EndpointSnapshot e : c.snapshot().endpoints()) {
      out.append(
          String.format(
              Locale.ROOT,
              "  %-24s requests %6d  failures %5d  outrun by hedges %4d  ewma %9s  ejected %d times%n",
              e.origin(),
              e.requests(),
              e.failures(),
              e.lostRaces(),
              ms(e.latencyEwma().toNanos() / 1e6),
              e.ejections()));
    }
    return out.toString();
  }

  /** p50, p99 and p99.9 of both sides as a bar chart, written as a PNG. */
  static Path chart(Side a, Side b, Path file) throws IOException {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(900)
            .height(500)
            .title(
                String.format(
                    Locale.ROOT,
                    "Latency under failures: success %s vs %s",
                    pct(a.result().successRate()),
                    pct(b.result().successRate())))
            .xAxisTitle("percentile")
            .yAxisTitle("latency (ms)")
            .build();
    chart.getStyler().setLabelsVisible(true);
    List<String> percentiles = List.of("p50", "p99", "p99.9");
    chart.addSeries(
        a.label(),
        percentiles,
        List.of(floor(a.result().ms(50)), floor(a.result().ms(99)), floor(a.result().ms(99.9))));
    chart.addSeries(
        b.label(),
        percentiles,
        List.of(floor(b.result().ms(50)), floor(b.result().ms(99)), floor(b.result().ms(99.9))));
    Files.createDirectories(file.toAbsolutePath().getParent());
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    return file.toString().endsWith(".png") ? file : Path.of(file + ".png");
  }

  private static double floor(double ms) {
    return Math.round(ms * 100) / 100.0; // two decimals in the bar labels
  }

  private static String ms(double millis) {
    return String.format(Locale.ROOT, "%.2f ms", millis);
  }

  private static String pct(double share) {
    return String.format(Locale.ROOT, "%.2f%%", 100 * share);
  }
}
