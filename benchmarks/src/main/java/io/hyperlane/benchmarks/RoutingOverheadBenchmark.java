package io.hyperlane.benchmarks;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the Hyperlane facade adds to a call on the happy path, against raw OkHttp, in one process:
 *
 * <ul>
 *   <li>{@code loopback*}: a real call to a JDK HTTP server on 127.0.0.1 (one endpoint, so the
 *       balancer's pick is trivial and the difference is routing, rewrite and bookkeeping);
 *   <li>{@code inProcess*}: the same call answered by a last interceptor with a canned response, no
 *       socket: the cost of OkHttp's call machinery plus, for Hyperlane, its stages over three
 *       endpoints with the default peak-EWMA balancer; {@code inProcessHandwired} is the
 *       round-robin host rewrite a team writes by hand, for scale.
 * </ul>
 *
 * <p>Run through {@link Report}, which prints each Hyperlane score as a ratio of its raw baseline.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RoutingOverheadBenchmark {

  private static final byte[] BODY = "{\"id\":42,\"stock\":7}".getBytes();
  private static final MediaType JSON = MediaType.get("application/json");

  private JsonServer server;
  private OkHttpClient base;
  private Hyperlane loopbackHyperlane;
  private Hyperlane inProcessHyperlane;
  private OkHttpClient rawClient;
  private OkHttpClient hyperlaneClient;
  private OkHttpClient cannedRaw;
  private OkHttpClient cannedHyperlane;
  private Hyperlane attemptHyperlane;
  private Hyperlane hedgedHyperlane;
  private OkHttpClient cannedAttempt;
  private OkHttpClient cannedHedged;
  private OkHttpClient cannedHandwired;
  private OkHttpClient cannedResilience4jHandwired;
  private Request direct;
  private Request byService;

  @Setup
  public void setUp() throws IOException {
    server = JsonServer.start(BODY);
    String origin = server.origin();

    base = new OkHttpClient();
    rawClient = base;
    loopbackHyperlane = Hyperlane.builder().service("inventory", origin).build();
    hyperlaneClient = loopbackHyperlane.wrap(base);

    Interceptor canned =
        chain ->
            new Response.Builder()
                .request(chain.request())
                .protocol(Protocol.HTTP_1_1)
                .code(200)
                .message("OK")
                .body(ResponseBody.create(BODY, JSON))
                .build();
    cannedRaw = base.newBuilder().addInterceptor(canned).build();
    inProcessHyperlane =
        Hyperlane.builder()
            .service("inventory", "http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3")
            .build();
    cannedHyperlane = inProcessHyperlane.wrap(base).newBuilder().addInterceptor(canned).build();
    // The canned answer as an attempt interceptor, so that it answers the attempts of a hedged
    // call too (they are calls of their own): hedging on, with a delay no call reaches, against the
    // same set-up without hedging.
    attemptHyperlane =
        Hyperlane.builder()
            .attemptInterceptor(canned)
            .service("inventory", "http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3")
            .build();
    cannedAttempt = attemptHyperlane.wrap(base);
    hedgedHyperlane =
        Hyperlane.builder()
            .attemptInterceptor(canned)
            .hedging(io.hyperlane.resilience.HedgingPolicy.fixed(Duration.ofSeconds(1), 1))
            .service("inventory", "http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3")
            .build();
    cannedHedged = hedgedHyperlane.wrap(base);
    // What a team writes by hand today: rotate over three origins and rewrite the host.
    HttpUrl[] origins = {
      HttpUrl.get("http://127.0.0.1:1/"),
      HttpUrl.get("http://127.0.0.1:2/"),
      HttpUrl.get("http://127.0.0.1:3/")
    };
    AtomicInteger next = new AtomicInteger();
    cannedHandwired =
        base.newBuilder()
            .addInterceptor(
                chain -> {
                  HttpUrl target = origins[Math.floorMod(next.getAndIncrement(), origins.length)];
                  HttpUrl url =
                      chain
                          .request()
                          .url()
                          .newBuilder()
                          .scheme(target.scheme())
                          .host(target.host())
                          .port(target.port())
                          .build();
                  return chain.proceed(chain.request().newBuilder().url(url).build());
                })
            .addInterceptor(canned)
            .build();

    // The same rotation with Resilience4j's retry and circuit breaker wired around each attempt by
    // hand: what a team adds today to get retries and breaking without a mesh.
    Retry retry =
        Retry.of(
            "inventory",
            RetryConfig.<Response>custom()
                .maxAttempts(3)
                .waitDuration(Duration.ofMillis(10))
                .retryOnResult(r -> r.code() == 502 || r.code() == 503 || r.code() == 504)
                .retryExceptions(IOException.class)
                .build());
    CircuitBreaker breaker = CircuitBreaker.ofDefaults("inventory");
    AtomicInteger nextR4j = new AtomicInteger();
    cannedResilience4jHandwired =
        base.newBuilder()
            .addInterceptor(
                chain -> {
                  Callable<Response> attempt =
                      () -> {
                        HttpUrl target =
                            origins[Math.floorMod(nextR4j.getAndIncrement(), origins.length)];
                        HttpUrl url =
                            chain
                                .request()
                                .url()
                                .newBuilder()
                                .scheme(target.scheme())
                                .host(target.host())
                                .port(target.port())
                                .build();
                        return chain.proceed(chain.request().newBuilder().url(url).build());
                      };
                  try {
                    return Retry.decorateCallable(
                            retry, CircuitBreaker.decorateCallable(breaker, attempt))
                        .call();
                  } catch (IOException | RuntimeException e) {
                    throw e;
                  } catch (Exception e) {
                    throw new IOException(e);
                  }
                })
            .addInterceptor(canned)
            .build();

    direct = new Request.Builder().url(origin + "/items/42?fields=stock").build();
    byService = new Request.Builder().url("http://inventory/items/42?fields=stock").build();
  }

  @TearDown
  public void tearDown() {
    loopbackHyperlane.close();
    inProcessHyperlane.close();
    attemptHyperlane.close();
    hedgedHyperlane.close();
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
    server.close();
  }

  @Benchmark
  public String loopbackRaw() throws IOException {
    return call(rawClient, direct);
  }

  @Benchmark
  public String loopbackHyperlane() throws IOException {
    return call(hyperlaneClient, byService);
  }

  @Benchmark
  public String inProcessRaw() throws IOException {
    return call(cannedRaw, direct);
  }

  @Benchmark
  public String inProcessHyperlane() throws IOException {
    return call(cannedHyperlane, byService);
  }

  @Benchmark
  public String inProcessAttemptAnswered() throws IOException {
    return call(cannedAttempt, byService);
  }

  @Benchmark
  public String inProcessHedgedNeverFires() throws IOException {
    return call(cannedHedged, byService);
  }

  @Benchmark
  public String inProcessHandwired() throws IOException {
    return call(cannedHandwired, byService);
  }

  @Benchmark
  public String inProcessResilience4jHandwired() throws IOException {
    return call(cannedResilience4jHandwired, byService);
  }

  private static String call(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    }
  }
}
