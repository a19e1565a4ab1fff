package io.hyperlane.benchmarks;

import com.sun.net.httpserver.HttpServer;
import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Calls sent with {@code enqueue()} against calls sent with {@code execute()}, closed loop at the
 * same concurrency, through Hyperlane to three loopback endpoints that each take 20 ms to answer
 * (JDK servers in this process, each counting the requests it holds at once). Before, OkHttp's
 * per-host limit counted the service's name: 5 enqueued calls at once, whatever the endpoints.
 * Prints requests per second and the most requests each endpoint held at once.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.AsyncComparison \
 *     [concurrency] [seconds]
 * </pre>
 */
public final class AsyncComparison {

  /** A loopback endpoint that answers after 20 ms and notes the most requests it held at once. */
  private static final class SlowEndpoint implements AutoCloseable {
    final HttpServer server;
    final ExecutorService threads = Executors.newFixedThreadPool(64);
    final AtomicInteger now = new AtomicInteger();
    final AtomicInteger most = new AtomicInteger();

    SlowEndpoint() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
      server.setExecutor(threads);
      server.createContext(
          "/",
          exchange -> {
            int held = now.incrementAndGet();
            most.accumulateAndGet(held, Math::max);
            try (exchange) {
              Thread.sleep(20); // the endpoint's own work, which this comparison is about
              byte[] body = "{\"id\":42}".getBytes();
              exchange.sendResponseHeaders(200, body.length);
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              now.decrementAndGet();
            }
          });
      server.start();
    }

    String origin() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
      threads.shutdownNow();
    }
  }

  public static void main(String[] args) throws Exception {
    int concurrency = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    System.setProperty("sun.net.httpserver.nodelay", "true");
    List<SlowEndpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      endpoints.add(new SlowEndpoint());
    }
    OkHttpClient base = new OkHttpClient();
    Request request = new Request.Builder().url("http://inventory/items/42").build();
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .service(
                "inventory", endpoints.stream().map(SlowEndpoint::origin).toArray(String[]::new))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      sync(client, request, concurrency, 2);
      async(client, request, concurrency, 2);
      endpoints.forEach(e -> e.most.set(0));
      double syncRps = sync(client, request, concurrency, seconds);
      int[] syncMost = endpoints.stream().mapToInt(e -> e.most.getAndSet(0)).toArray();
      double asyncRps = async(client, request, concurrency, seconds);
      int[] asyncMost = endpoints.stream().mapToInt(e -> e.most.getAndSet(0)).toArray();
      System.out.printf(
          Locale.ROOT,
          "%nconcurrency %d, %d s each, 3 endpoints of 20 ms,"
              + " OkHttp's maxRequestsPerHost %d%n",
          concurrency,
          seconds,
          base.dispatcher().getMaxRequestsPerHost());
      System.out.printf(
          Locale.ROOT,
          "%-10s %10s   %s%n",
          "calls",
          "req/s",
          "most requests held at once by each endpoint");
      System.out.printf(
          Locale.ROOT, "%-10s %10.0f   %s%n", "execute()", syncRps, Arrays.toString(syncMost));
      System.out.printf(
          Locale.ROOT, "%-10s %10.0f   %s%n", "enqueue()", asyncRps, Arrays.toString(asyncMost));
      System.out.printf(
          Locale.ROOT,
          "%nenqueue() / execute(): throughput %.3fx; enqueued calls held"
              + " at once by the endpoints together: %d (capped at %d before)%n",
          asyncRps / syncRps,
          Arrays.stream(asyncMost).sum(),
          base.dispatcher().getMaxRequestsPerHost());
    } finally {
      base.dispatcher().executorService().shutdown();
      base.connectionPool().evictAll();
      endpoints.forEach(SlowEndpoint::close);
    }
    System.exit(0);
  }

  /** {@code concurrency} threads, each sending its next call when the last is answered. */
  private static double sync(OkHttpClient client, Request request, int concurrency, int seconds)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(concurrency);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong done = new AtomicLong();
    long start = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      threads.submit(
          () -> {
            while (running.get()) {
              try (Response response = client.newCall(request).execute()) {
                response.body().bytes();
                done.incrementAndGet();
              } catch (IOException e) {
                // counted as not done
              }
            }
          });
    }
    Thread.sleep(
        TimeUnit.SECONDS.toMillis(seconds)); // the length of the run, not a wait for a state
    running.set(false);
    long count = done.get();
    double elapsed = (System.nanoTime() - start) / 1e9;
    threads.shutdown();
    threads.awaitTermination(10, TimeUnit.SECONDS);
    return count / elapsed;
  }

  /** {@code concurrency} calls in flight, each followed by the next when it is answered. */
  private static double async(OkHttpClient client, Request request, int concurrency, int seconds)
      throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong done = new AtomicLong();
    Semaphore inFlight = new Semaphore(concurrency);
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (!inFlight.tryAcquire(10, TimeUnit.MILLISECONDS)) {
        continue;
      }
      client
          .newCall(request)
          .enqueue(
              new Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                  inFlight.release();
                }

                @Override
                public void onResponse(Call call, Response response) {
                  try (response) {
                    response.body().bytes();
                    done.incrementAndGet();
                  } catch (IOException e) {
                    // counted as not done
                  } finally {
                    inFlight.release();
                  }
                }
              });
    }
    running.set(false);
    long count = done.get();
    double elapsed = (System.nanoTime() - start) / 1e9;
    inFlight.tryAcquire(concurrency, 10, TimeUnit.SECONDS);
    return count / elapsed;
  }
}
