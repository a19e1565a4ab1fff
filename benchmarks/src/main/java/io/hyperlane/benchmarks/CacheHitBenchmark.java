package io.hyperlane.benchmarks;

import io.hyperlane.cache.HttpCache;
import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of a heap-tier (L1) hit through the OkHttp call API, against a loopback request to the
 * same URL, in one process:
 *
 * <ul>
 *   <li>{@code cacheRaw}: raw OkHttp, a real request to a JDK HTTP server on 127.0.0.1 — the
 *       baseline;
 *   <li>{@code cacheHyperlane}: the same URL by service name through a Hyperlane with an {@link
 *       HttpCache}; every call is a fresh L1 hit (telemetry, deadline, limits, retries and routing
 *       are in the chain, but the cache answers before them);
 *   <li>{@code cacheHandwired}: the {@link HttpCache} interceptor alone on a plain OkHttpClient.
 * </ul>
 *
 * <p>Run through {@link Report}: a ratio of 0.05 or less is the goal (20 times the throughput).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CacheHitBenchmark {

  private static final byte[] BODY = "{\"id\":42,\"stock\":7,\"name\":\"a small item\"}".getBytes();

  private JsonServer server;
  private OkHttpClient base;
  private HttpCache cache;
  private Hyperlane hyperlane;
  private OkHttpClient hyperlaneClient;
  private OkHttpClient standalone;
  private Request direct;
  private Request byService;

  @Setup
  public void setUp() throws IOException {
    server = JsonServer.start(BODY, "Cache-Control", "max-age=3600");
    String origin = server.origin();
    base = new OkHttpClient();
    cache = HttpCache.builder().build();
    hyperlane = Hyperlane.builder().cache(cache).service("inventory", origin).build();
    hyperlaneClient = hyperlane.wrap(base);
    standalone = base.newBuilder().addInterceptor(cache.interceptor()).build();
    direct = new Request.Builder().url(origin + "/items/42?fields=stock").build();
    byService = new Request.Builder().url("http://inventory/items/42?fields=stock").build();
    call(hyperlaneClient, byService); // fill
    call(standalone, direct);
  }

  @TearDown
  public void tearDown() {
    hyperlane.close();
    cache.close();
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
    server.close();
  }

  private static byte[] call(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.body().bytes();
    }
  }

  @Benchmark
  public byte[] cacheRaw() throws IOException {
    return call(base, direct);
  }

  @Benchmark
  public byte[] cacheHyperlane() throws IOException {
    return call(hyperlaneClient, byService);
  }

  @Benchmark
  public byte[] cacheHandwired() throws IOException {
    return call(standalone, direct);
  }
}
