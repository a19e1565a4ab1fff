package io.hyperlane.benchmarks;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.CircuitOpenException;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * What a call refused by an open service circuit costs, against a raw OkHttp call answered in
 * process ({@code openCircuitRaw}, the baseline): the whole Hyperlane chain runs, the circuit
 * refuses, and the caller catches {@link CircuitOpenException}. No socket is touched.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class OpenCircuitBenchmark {

  private OkHttpClient base;
  private OkHttpClient raw;
  private OkHttpClient rejected;
  private Hyperlane hyperlane;
  private Request direct;
  private Request byService;

  @Setup
  public void setUp() throws IOException {
    Interceptor failing =
        chain ->
            new Response.Builder()
                .request(chain.request())
                .protocol(Protocol.HTTP_1_1)
                .code(503)
                .message("Service Unavailable")
                .body(ResponseBody.create("", MediaType.get("text/plain")))
                .build();
    base = new OkHttpClient();
    raw = base.newBuilder().addInterceptor(failing).build();
    hyperlane =
        Hyperlane.builder()
            .retry(RetryPolicy.none())
            .serviceCircuitBreaker(
                CircuitBreakerPolicy.of(
                    CircuitBreakerConfig.custom()
                        .slidingWindowSize(10)
                        .minimumNumberOfCalls(10)
                        .waitDurationInOpenState(Duration.ofHours(1))
                        .build()))
            .service("inventory", "http://127.0.0.1:1")
            .build();
    rejected = hyperlane.wrap(base).newBuilder().addInterceptor(failing).build();
    direct = new Request.Builder().url("http://127.0.0.1:1/items/42").build();
    byService = new Request.Builder().url("http://inventory/items/42").build();
    for (int i = 0; i < 10; i++) { // ten 503s open the circuit
      rejected.newCall(byService).execute().close();
    }
    try {
      rejected.newCall(byService).execute().close();
      throw new IllegalStateException("the circuit did not open");
    } catch (CircuitOpenException expected) {
      // ready
    }
  }

  @TearDown
  public void tearDown() {
    hyperlane.close();
    base.dispatcher().executorService().shutdown();
  }

  @Benchmark
  public int openCircuitRaw() throws IOException {
    try (Response response = raw.newCall(direct).execute()) {
      return response.code();
    }
  }

  @Benchmark
  public int openCircuitHyperlane() throws IOException {
    try (Response response = rejected.newCall(byService).execute()) {
      return response.code();
    } catch (CircuitOpenException e) {
      return -1;
    }
  }
}
