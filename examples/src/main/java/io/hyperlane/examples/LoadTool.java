package io.hyperlane.examples;

import io.hyperlane.cache.CacheStats;
import io.hyperlane.cache.HttpCache;
import io.hyperlane.cache.RedisSharedTier;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.ServiceSnapshot;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.ResilienceEvent;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A fixed-rate load generator for your own services: sends requests at a steady rate (open loop,
 * latency counted from the moment each request was due, so a slow server cannot hide its tail by
 * slowing the sender down), for a duration or a number of requests, and prints the latency
 * percentiles, the errors, and what the mesh decided — retries, hedges, refusals, ejections, cache
 * tiers.
 *
 * <pre>
 *   ./scripts/load --service inventory --endpoint http://10.0.0.5:8080 --endpoint http://10.0.0.6:8080 \
 *       --path /items/42 --rate 200 --duration 30s --hedging
 *   ./scripts/load --url http://127.0.0.1:8080/health --rate 50 --requests 500
 * </pre>
 */
@Command(
    name = "hyperlane-load",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Sends a fixed-rate load to a URL, or to a service through Hyperlane, and prints latency "
          + "percentiles (from each request's intended send time), errors, and the mesh's "
          + "decisions.",
      "Bounded: stops after --duration or --requests, whichever comes first, then waits at most "
          + "--timeout for the calls still running."
    },
    footer = {
      "",
      "Examples:",
      "  hyperlane-load --url http://127.0.0.1:8080/ --rate 100 --duration 10s",
      "  hyperlane-load --service inventory --endpoint http://127.0.0.1:8081 "
          + "--endpoint http://127.0.0.1:8082 --path /items/42 --rate 500 --requests 5000 "
          + "--hedging --cache"
    })
public final class LoadTool implements Callable<Integer> {

  @Option(
      names = "--url",
      paramLabel = "URL",
      description = "Send every request to this URL with plain OkHttp (no mesh).")
  String url;

  @Option(
      names = "--service",
      paramLabel = "NAME",
      description = "Send every request to http://NAME<path> through Hyperlane.")
  String service;

  @Option(
      names = "--endpoint",
      paramLabel = "URL",
      description = "An endpoint of --service, such as http://127.0.0.1:8081; repeat for more.")
  List<String> endpoints = List.of();

  @Option(
      names = "--path",
      paramLabel = "PATH",
      defaultValue = "/",
      description = "Path and query of each request to --service (default: ${DEFAULT-VALUE}).")
  String path;

  @Option(
      names = {"-r", "--rate"},
      paramLabel = "N",
      defaultValue = "100",
      description = "Requests per second, sent at a fixed rate (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(
      names = {"-d", "--duration"},
      paramLabel = "TIME",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "How long to send, such as 30s, 500ms or 2m (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = {"-n", "--requests"},
      paramLabel = "N",
      description = "Stop after this many requests, if that comes before --duration.")
  Integer requests;

  @Option(
      names = "--timeout",
      paramLabel = "TIME",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description =
          "The most a call may take, and the wait for calls still running at the end "
              + "(default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--hedging",
      description = "Hedge slow calls (adaptive: after the service's p95).")
  boolean hedging;

  @Option(names = "--cache", description = "Put an HTTP cache in front of the service.")
  boolean cache;

  @Option(
      names = "--redis",
      paramLabel = "URI",
      description = "With --cache: share it through this Redis, such as redis://127.0.0.1:6379.")
  String redis;

  private PrintStream out = System.out;

  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /**
   * Parses {@code args}, runs, prints to {@code out}; returns the exit code (0 when all succeeded).
   */
  public static int run(String[] args, PrintStream out) {
    LoadTool tool = new LoadTool();
    tool.out = out;
    CommandLine command = new CommandLine(tool);
    command.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    return command.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    if ((url == null) == (service == null)) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "give either --url or --service (with at least one --endpoint)");
    }
    if (service != null && endpoints.isEmpty()) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--service needs at least one --endpoint");
    }
    if (rate < 1 || rate > 100_000) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--rate must be between 1 and 100000 but was " + rate);
    }
    if (requests != null && requests < 1) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--requests must be at least 1 but was " + requests);
    }
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(20_000);
    dispatcher.setMaxRequestsPerHost(20_000);
    OkHttpClient okHttp =
        new OkHttpClient.Builder().dispatcher(dispatcher).callTimeout(timeout).build();
    Map<String, LongAdder> decisions = new ConcurrentHashMap<>();
    try {
      if (url != null) {
        Request request = new Request.Builder().url(url).build();
        OpenLoop.Result result = send(okHttp, request);
        print(result, "plain OkHttp -> " + url, decisions, null, null);
        return result.failed() == 0 ? 0 : 1;
      }
      HttpCache httpCache = null;
      if (cache) {
        HttpCache.Builder b = HttpCache.builder();
        if (redis != null) {
          b.sharedTier(RedisSharedTier.create(redis), secret());
        }
        httpCache = b.build();
      }
      Hyperlane.Builder builder =
          Hyperlane.builder()
              .timeout(timeout)
              .listener(
                  event -> decisions.computeIfAbsent(name(event), k -> new LongAdder()).increment())
              .service(service, endpoints.toArray(new String[0]));
      if (hedging) {
        builder.hedging(HedgingPolicy.adaptive());
      }
      if (httpCache != null) {
        builder.cache(httpCache);
      }
      try (Hyperlane hyperlane = builder.build()) {
        Request request = new Request.Builder().url("http://" + service + path).build();
        OpenLoop.Result result = send(hyperlane.wrap(okHttp), request);
        ServiceSnapshot snapshot = hyperlane.snapshot().service(service);
        print(
            result,
            "Hyperlane -> " + service + " " + endpoints,
            decisions,
            snapshot,
            snapshot.cache());
        return result.failed() == 0 ? 0 : 1;
      } finally {
        if (httpCache != null) {
          httpCache.close();
        }
      }
    } finally {
      dispatcher.executorService().shutdownNow();
      okHttp.connectionPool().evictAll();
    }
  }

  private OpenLoop.Result send(OkHttpClient client, Request request) {
    OpenLoop loop =
        new OpenLoop(rate, requests != null ? requests : Integer.MAX_VALUE, duration, timeout);
    return loop.run(client, i -> request, done -> {});
  }

  private void print(
      OpenLoop.Result r,
      String target,
      Map<String, LongAdder> decisions,
      ServiceSnapshot snapshot,
      CacheStats.Service cacheStats) {
    Histogram h = r.latencies();
    out.printf(Locale.ROOT, "%s%n", target);
    out.printf(
        Locale.ROOT,
        "sent %d requests at %d/s over %.1f s (open loop; latency from each"
            + " request's intended send time)%n",
        r.sent(),
        rate,
        r.seconds());
    out.printf(
        Locale.ROOT,
        "succeeded %d (%.2f%%), failed %d%s%n",
        r.succeeded(),
        r.sent() == 0 ? 0.0 : 100.0 * r.succeeded() / r.sent(),
        r.failed(),
        r.errors().isEmpty() ? "" : " " + r.errors());
    out.printf(
        Locale.ROOT,
        "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n",
        r.ms(50),
        r.ms(90),
        r.ms(99),
        r.ms(99.9),
        h.getMaxValue() / 1000.0);
    if (snapshot != null) {
      Map<String, Long> counts = new TreeMap<>();
      decisions.forEach((k, v) -> counts.put(k, v.sum()));
      long ejections = snapshot.endpoints().stream().mapToLong(e -> e.ejections()).sum();
      out.printf(
          Locale.ROOT,
          "mesh decisions: %s, endpoints ejected %d times%n",
          counts.isEmpty() ? "none" : counts,
          ejections);
      if (cacheStats != null) {
        out.printf(
            Locale.ROOT,
            "cache: L0 hits %d, L1 hits %d, L2 hits %d, misses %d, stale served"
                + " %d, revalidated %d, shared-tier errors %d%n",
            cacheStats.l0Hits(),
            cacheStats.l1Hits(),
            cacheStats.l2Hits(),
            cacheStats.misses(),
            cacheStats.staleServed(),
            cacheStats.revalidations(),
            cacheStats.sharedTierErrors());
      }
    }
  }

  private static String name(ResilienceEvent event) {
    String simple = event.getClass().getSimpleName();
    if (event instanceof ResilienceEvent.RetryRefused refused) {
      return "not retried (" + refused.reason().name().toLowerCase(Locale.ROOT) + ")";
    }
    return switch (simple) {
      case "Retry" -> "retries";
      case "Hedge" -> "hedges";
      case "CallRejected" -> "rejected (circuit open)";
      case "LimitReached" -> "rejected (limit)";
      default -> simple;
    };
  }

  private static byte[] secret() {
    String secret = System.getenv("HYPERLANE_CACHE_SECRET");
    if (secret == null || secret.length() < 16) {
      throw new CommandLine.ParameterException(
          new CommandLine(new LoadTool()),
          "--redis needs HYPERLANE_CACHE_SECRET (16 characters or more), the secret every"
              + " instance sharing the cache signs its entries with");
    }
    return secret.getBytes(StandardCharsets.UTF_8);
  }

  /** Reads 500ms, 30s, 2m, 1h. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      try {
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        } else if (v.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        } else if (v.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        } else if (v.endsWith("h")) {
          return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration such as 500ms, 30s, 2m or 1h");
    }
  }
}
