package io.hyperlane.examples;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.loadreport.LoadReportHttpFilter;
import io.hyperlane.loadreport.LoadReporter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Hyperlane on both sides: each server adds its load to every response with {@code
 * hyperlane-load-report}'s filter, and Hyperlane's balancer, with no setting, keeps calls off a
 * server that other callers keep busy — which no client can see by itself.
 */
public final class LoadReportRecipe {

  /**
   * The server side, to copy: one reporter per server, the filter on its contexts. A servlet
   * application registers {@code new LoadReportFilter(reporter)} instead (or the class by name,
   * with the init parameter {@code capacity}).
   */
  static HttpServer serve(HttpHandler handler, LoadReporter reporter, ExecutorService threads)
      throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", handler).getFilters().add(new LoadReportHttpFilter(reporter));
    server.setExecutor(threads);
    server.start();
    return server;
  }

  /** Utilization is requests in flight over what the server serves at once at full speed. */
  static LoadReporter reporter() {
    return LoadReporter.builder().capacity(16).build(); // 16 worker threads
  }

  // ---- below: how the smoke test runs the recipe on loopback ----

  /** How many of the client's calls each server took, and what the busy one reported. */
  public record Outcome(int busyCalls, int idleCalls, String busyReported) {}

  public static void main(String[] args) throws Exception {
    System.out.println(run(40));
  }

  /** Two servers, one kept busy by another caller's slow requests; {@code calls} calls. */
  public static Outcome run(int calls) throws Exception {
    ExecutorService threads = Executors.newCachedThreadPool();
    CountDownLatch release = new CountDownLatch(1);
    int[] served = new int[2];
    List<HttpServer> servers = new ArrayList<>();
    LoadReporter[] reporters = {reporter(), reporter()};
    OkHttpClient base = new OkHttpClient();
    try {
      for (int i = 0; i < 2; i++) {
        int index = i;
        servers.add(
            serve(
                exchange -> {
                  try (exchange) {
                    if (exchange.getRequestURI().getPath().equals("/slow")) {
                      release.await(10, TimeUnit.SECONDS);
                    } else {
                      synchronized (served) {
                        served[index]++;
                      }
                    }
                    byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                reporters[i],
                threads));
      }
      String busy = "http://127.0.0.1:" + servers.get(0).getAddress().getPort();
      String idle = "http://127.0.0.1:" + servers.get(1).getAddress().getPort();
      // The balancer remembers a slow answer for a while (its decay, 10 s by default; 1 s here so
      // that the recipe need not wait long): first, calls through Hyperlane while both servers are
      // idle, whose cold first answers (tens of milliseconds) are then forgotten.
      LoadBalancerPolicy balancer =
          LoadBalancerPolicy.peakEwma(
              Duration.ofSeconds(1), LoadBalancerPolicy.DEFAULT_FAILURE_PENALTY);
      try (Hyperlane hyperlane =
          Hyperlane.builder().loadBalancer(balancer).service("inventory", busy, idle).build()) {
        OkHttpClient client = hyperlane.wrap(base);
        for (int i = 0; i < 20; i++) {
          try (Response r =
              client
                  .newCall(new Request.Builder().url("http://inventory/warm").build())
                  .execute()) {
            r.body().string();
          }
        }
        Thread.sleep(2_000); // a demo on a real clock: the warm-up's answers fade
        // Then another service keeps twelve slow requests at the busy server.
        OkHttpClient other = base.newBuilder().readTimeout(15, TimeUnit.SECONDS).build();
        for (int i = 0; i < 12; i++) {
          threads.execute(
              () -> {
                try (Response r =
                    other.newCall(new Request.Builder().url(busy + "/slow").build()).execute()) {
                  r.body().string();
                } catch (IOException e) {
                  // released when the recipe ends
                }
              });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reporters[0].requestsInFlight() < 12 && System.nanoTime() - deadline < 0) {
          Thread.onSpinWait(); // until the twelve are at the server
        }
        synchronized (served) {
          served[0] = 0;
          served[1] = 0;
        }
        String reported = "";
        for (int i = 0; i < calls; i++) {
          try (Response r =
              client
                  .newCall(new Request.Builder().url("http://inventory/items").build())
                  .execute()) {
            r.body().string();
          }
          for (EndpointSnapshot e : hyperlane.snapshot().service("inventory").endpoints()) {
            if (e.origin().equals(busy) && !e.reportedLoad().isEmpty()) {
              reported = e.reportedLoad();
            }
          }
        }
        synchronized (served) {
          return new Outcome(served[0], served[1], reported);
        }
      }
    } finally {
      release.countDown();
      servers.forEach(s -> s.stop(0));
      threads.shutdownNow();
      base.dispatcher().executorService().shutdown();
    }
  }
}
