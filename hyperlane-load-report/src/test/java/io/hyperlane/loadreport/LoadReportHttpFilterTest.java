package io.hyperlane.loadreport;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.SlowStart;
import io.hyperlane.testing.FakeTime;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hyperlane on both sides, over loopback: JDK HttpServers that report their load with the filter,
 * and a Hyperlane client that reads the reports and keeps its calls off the server that other
 * callers keep busy.
 */
class LoadReportHttpFilterTest {

  private final List<HttpServer> servers = new ArrayList<>();
  private final List<LoadReporter> reporters = new ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final OkHttpClient base = new OkHttpClient();
  private final FakeTime time = new FakeTime();

  /** A server whose {@code /hold} requests wait for {@link #release}; the rest answer at once. */
  private String start() throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    LoadReporter reporter = LoadReporter.builder().capacity(10).build();
    server
        .createContext(
            "/",
            exchange -> {
              try (exchange) {
                if (exchange.getRequestURI().getPath().equals("/hold")) {
                  release.await(10, TimeUnit.SECONDS);
                }
                byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            })
        .getFilters()
        .add(new LoadReportHttpFilter(reporter));
    server.setExecutor(executor);
    server.start();
    servers.add(server);
    reporters.add(reporter);
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    release.countDown();
    servers.forEach(s -> s.stop(0));
    executor.shutdownNow();
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
  }

  @Test
  void eachResponseCarriesTheRequestsInFlightWhenItArrived() throws Exception {
    String url = start();
    OkHttpClient plain = base.newBuilder().build();
    // Another caller holds three requests at the server.
    List<okhttp3.Call> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      okhttp3.Call call = plain.newCall(new Request.Builder().url(url + "/hold").build());
      held.add(call);
      executor.execute(
          () -> {
            try (Response r = call.execute()) {
              r.body().string();
            } catch (IOException e) {
              // cancelled at the end of the test
            }
          });
    }
    while (reporters.get(0).requestsInFlight() < 3) {
      Thread.onSpinWait();
    }
    try (Response r = plain.newCall(new Request.Builder().url(url + "/items").build()).execute()) {
      assertThat(r.header("endpoint-load-metrics"))
          .isEqualTo("TEXT named_metrics.requests_in_flight=4, application_utilization=0.400");
    }
    release.countDown();
    for (okhttp3.Call call : held) {
      call.cancel();
    }
  }

  @Test
  void aHyperlaneClientKeepsItsCallsOffTheServerOtherCallersKeepBusy() throws Exception {
    String busy = start();
    String idle = start();
    String other = start();
    OkHttpClient plain = base.newBuilder().build();
    for (int i = 0; i < 8; i++) {
      executor.execute(
          () -> {
            try (Response r =
                plain.newCall(new Request.Builder().url(busy + "/hold").build()).execute()) {
              r.body().string();
            } catch (IOException e) {
              // released at the end of the test
            }
          });
    }
    while (reporters.get(0).requestsInFlight() < 8) {
      Thread.onSpinWait();
    }
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .ticker(time)
            .scheduler(time)
            .blockingExecutor(time)
            .slowStart(SlowStart.disabled())
            .service("inventory", busy, idle, other)
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      int calls = 0;
      // Every server answers once (the balancer knows nothing yet), then the busy one is avoided.
      while (hyperlane.snapshot().service("inventory").endpoints().get(0).requests() == 0) {
        call(client);
        calls++;
        assertThat(calls).isLessThan(100);
      }
      long before = hyperlane.snapshot().service("inventory").endpoints().get(0).requests();
      for (int i = 0; i < 30; i++) {
        call(client);
      }
      EndpointSnapshot busyState = hyperlane.snapshot().service("inventory").endpoints().get(0);
      assertThat(busyState.reportedLoad())
          .startsWith("9 requests in flight (8 from other callers)");
      assertThat(busyState.requests() - before).isZero(); // on fake time the report stays fresh
      time.advance(Duration.ofSeconds(1));
      for (int i = 0; i < 60 && endpoint(hyperlane, 0).requests() == before; i++) {
        call(client);
      }
      assertThat(endpoint(hyperlane, 0).requests())
          .as("tried again once the report is a second old")
          .isGreaterThan(before);
    }
  }

  private static EndpointSnapshot endpoint(Hyperlane hyperlane, int i) {
    return hyperlane.snapshot().service("inventory").endpoints().get(i);
  }

  private static void call(OkHttpClient client) throws IOException {
    try (Response r =
        client.newCall(new Request.Builder().url("http://inventory/items").build()).execute()) {
      assertThat(r.body().string()).isEqualTo("ok");
    }
  }
}
