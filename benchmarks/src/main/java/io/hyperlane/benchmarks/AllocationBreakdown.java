package io.hyperlane.benchmarks;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.OutlierDetection;
import io.hyperlane.client.SlowStart;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Where the bytes Hyperlane allocates per call go: the same in-process call as {@code
 * RoutingOverheadBenchmark.inProcess*} (a canned response, no socket), counted with the JVM's
 * per-thread allocation counter over 200,000 calls after as many for warm-up, for the default stack
 * and with one stage turned off at a time. Every figure is the bytes added to a raw OkHttp call
 * measured in the same process. Not a timing: JMH measures time.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.AllocationBreakdown
 * </pre>
 */
public final class AllocationBreakdown {

  private static final int CALLS = 200_000;
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final Interceptor CANNED =
      chain ->
          new Response.Builder()
              .request(chain.request())
              .protocol(Protocol.HTTP_1_1)
              .code(200)
              .message("OK")
              .body(ResponseBody.create("{}", MediaType.get("application/json")))
              .build();

  private AllocationBreakdown() {}

  public static void main(String[] args) throws IOException {
    OkHttpClient base = new OkHttpClient();
    Request direct = new Request.Builder().url("http://127.0.0.1:1/items/42?fields=stock").build();
    Request byService = new Request.Builder().url("http://inventory/items/42?fields=stock").build();
    long raw = bytesPerCall(base.newBuilder().addInterceptor(CANNED).build(), direct);
    System.out.printf("raw OkHttp call: %,d B (the baseline)%n", raw);

    HttpUrl target = HttpUrl.get("http://127.0.0.1:2/");
    OkHttpClient handwired =
        base.newBuilder()
            .addInterceptor(
                chain -> {
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
            .addInterceptor(CANNED)
            .build();
    print("host rewrite by hand", bytesPerCall(handwired, byService) - raw);
    OkHttpClient passThrough =
        base.newBuilder()
            .addInterceptor(chain -> chain.proceed(chain.request()))
            .addInterceptor(CANNED)
            .build();
    print("one pass-through interceptor", bytesPerCall(passThrough, direct) - raw);

    print("Hyperlane, every default stage", hyperlane(base, byService, b -> b) - raw);
    print(
        "  without the service circuit",
        hyperlane(base, byService, b -> b.serviceCircuitBreaker(CircuitBreakerPolicy.disabled()))
            - raw);
    print(
        "  without endpoint circuits",
        hyperlane(base, byService, b -> b.endpointCircuitBreaker(CircuitBreakerPolicy.disabled()))
            - raw);
    print("  without retries", hyperlane(base, byService, b -> b.retry(RetryPolicy.none())) - raw);
    print(
        "  with all of those off",
        hyperlane(
                base,
                byService,
                b ->
                    b.retry(RetryPolicy.none())
                        .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
                        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
                        .outlierDetection(OutlierDetection.disabled())
                        .slowStart(SlowStart.disabled()))
            - raw);

    // The two pieces of the routing stage's rewrite, alone.
    HttpUrl requested = byService.url();
    HttpUrl endpoint = HttpUrl.get("http://127.0.0.1:1/");
    print(
        "endpoint URL built (routing)",
        bytesPer(
            () ->
                endpoint
                    .newBuilder()
                    .encodedPath(requested.encodedPath())
                    .encodedQuery(requested.encodedQuery())
                    .build()));
    HttpUrl rewritten = direct.url();
    print(
        "request rebuilt with that URL",
        bytesPer(() -> byService.newBuilder().url(rewritten).build()));
    base.dispatcher().executorService().shutdown();
  }

  private static long bytesPer(Supplier<Object> operation) {
    Object last = null;
    for (int i = 0; i < CALLS; i++) {
      last = operation.get();
    }
    long thread = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(thread);
    for (int i = 0; i < CALLS; i++) {
      last = operation.get();
    }
    long bytes = (THREADS.getThreadAllocatedBytes(thread) - before) / CALLS;
    return last == null ? -1 : bytes;
  }

  private static long hyperlane(
      OkHttpClient base, Request request, UnaryOperator<Hyperlane.Builder> settings)
      throws IOException {
    try (Hyperlane hyperlane =
        settings
            .apply(
                Hyperlane.builder()
                    .service(
                        "inventory",
                        "http://127.0.0.1:1",
                        "http://127.0.0.1:2",
                        "http://127.0.0.1:3"))
            .build()) {
      return bytesPerCall(
          hyperlane.wrap(base).newBuilder().addInterceptor(CANNED).build(), request);
    }
  }

  private static long bytesPerCall(OkHttpClient client, Request request) throws IOException {
    for (int i = 0; i < CALLS; i++) {
      call(client, request);
    }
    long thread = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(thread);
    for (int i = 0; i < CALLS; i++) {
      call(client, request);
    }
    return (THREADS.getThreadAllocatedBytes(thread) - before) / CALLS;
  }

  private static void call(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      response.body().string();
    }
  }

  private static void print(String what, long bytes) {
    System.out.printf("%-34s +%,6d B per call%n", what, bytes);
  }
}
