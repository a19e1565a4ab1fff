package io.hyperlane.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.ServiceSnapshot;
import io.hyperlane.testing.FakeTime;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Runs every recipe and the demo, and checks that each still does what its README section says. */
class ExamplesSmokeTest {

  @Test
  void quickStartCallsTheServiceByNameAcrossBothReplicas() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      String out = QuickStart.run(a.url(), b.url());
      assertThat(out).contains("200 hello from ").endsWith("4 calls\n");
      assertThat(a.served() + b.served()).isEqualTo(4);
    }
  }

  @Test
  void callOptionsRecipeHoldsOneCallToItsOwnTimeoutWithoutRetry() throws Exception {
    try (LocalReplica slow = LocalReplica.start("slow", Duration.ofSeconds(3))) {
      long started = System.nanoTime();
      String told = CallOptionsRecipe.run(slow.url());
      assertThat(told).startsWith("deadline of 200 ms exceeded for inventory");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
          .as("not the service's 5 s, not the replica's 3 s")
          .isLessThan(2_500);
    }
    try (LocalReplica fast = LocalReplica.start("fast")) {
      assertThat(CallOptionsRecipe.run(fast.url())).isEqualTo("answered 200");
      assertThat(fast.served()).isEqualTo(1);
    }
  }

  @Test
  void snapshotRecipeDescribesTheConfigurationAndPrintsTheTableAndTheJson() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      String out = SnapshotRecipe.run(a.url(), b.url());
      assertThat(out)
          .startsWith("Hyperlane: 1 service, ")
          .contains("service inventory\n  endpoints          " + a.url() + ", " + b.url())
          .contains("  timeout            none: a call may take every attempt")
          .contains(
              "inventory: peakEwma(decay=10 s, failurePenalty=1 s, choices=3), circuit CLOSED")
          .contains("\n  endpoint ")
          .contains("\n  " + a.url() + " ")
          .contains("\n  " + b.url() + " ")
          .contains("{\"services\":[{\"name\":\"inventory\"");
      assertThat(a.served() + b.served()).isEqualTo(6);
    }
  }

  @Test
  void productionConfigRecipeCallsAndSaysWhatItConfigured() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      String out = ProductionConfigRecipe.run(a.url(), b.url());
      assertThat(out)
          .startsWith("200\nHyperlane: 1 service, typo guard on, ")
          .contains("  timeout            2 s (all services)\n")
          .contains("attemptTimeout=500 ms")
          .contains(
              "  hedging            HedgingPolicy{percentile=0.95, maxHedges=1} (all services)")
          .contains("  concurrency limit  ConcurrencyLimit{aimd, initial=20");
    }
  }

  @Test
  void customDiscoveryRecipeFollowsItsFileAndKeepsTheLastGoodSet() throws Exception {
    FakeTime time = new FakeTime();
    Path file = Files.createTempFile("inventory", ".endpoints");
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      Files.writeString(file, "# inventory\n" + a.url() + "\n");
      try (Hyperlane hyperlane =
          CustomDiscoveryRecipe.withFileDiscovery(
                  Hyperlane.builder().ticker(time).scheduler(time).blockingExecutor(time), file)
              .build()) {
        assertThat(origins(hyperlane)).containsExactly(a.url());
        Files.writeString(file, b.url() + "\n" + a.url() + "\n");
        time.advance(Duration.ofSeconds(5));
        assertThat(origins(hyperlane)).containsExactly(b.url(), a.url());
        Files.writeString(file, "not a url\n");
        time.advance(Duration.ofSeconds(5));
        assertThat(origins(hyperlane)).as("a bad read keeps the last good set").hasSize(2);
        assertThat(hyperlane.snapshot().service("inventory").discoveryFailures()).isEqualTo(1);
        assertThat(hyperlane.describe())
            .contains("discovered by FileDiscovery{" + file + " every 5000 ms}");
      }
      assertThat(time.pendingTasks()).as("close() cancelled the next read").isZero();

      // On Hyperlane's own threads: the first read is made before build() returns.
      Files.writeString(
          file,
          "  # comments, blank lines and trailing comments are left out\n\n"
              + a.url()
              + "   # the first replica\n");
      try (Hyperlane hyperlane =
          CustomDiscoveryRecipe.withFileDiscovery(Hyperlane.builder(), file).build()) {
        assertThat(origins(hyperlane)).containsExactly(a.url());
      }
    } finally {
      Files.deleteIfExists(file);
    }
    assertThatThrownBy(() -> new CustomDiscoveryRecipe.FileDiscovery(file, Duration.ofMillis(10)))
        .hasMessageContaining("100 ms at least");
  }

  private static List<String> origins(Hyperlane hyperlane) {
    return hyperlane.snapshot().service("inventory").endpoints().stream()
        .map(EndpointSnapshot::origin)
        .toList();
  }

  @Test
  void consulRecipeFindsTheServiceThroughTheAgentsHealthApi() throws Exception {
    try (LocalReplica inventory = LocalReplica.start("inventory-1")) {
      HttpServer agent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      agent.createContext(
          "/v1/health/service/inventory",
          exchange -> {
            byte[] body =
                ("[{\"Node\":{\"Address\":\"127.0.0.1\"},\"Service\":{\"ID\":\"inventory-1\","
                        + "\"Address\":\"127.0.0.1\",\"Port\":"
                        + inventory.port()
                        + ",\"Weights\":{\"Passing\":1},\"Meta\":{\"zone\":\"a\"}}}]")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Consul-Index", "7");
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
          });
      agent.start();
      try {
        String out = ConsulRecipe.run("http://127.0.0.1:" + agent.getAddress().getPort());
        assertThat(out).startsWith("200 ").contains("inventory-1");
        assertThat(inventory.served()).isEqualTo(1);
      } finally {
        agent.stop(0);
      }
    }
  }

  @Test
  void kubernetesAndDnsSrvRecipesBuildAndNameTheirDiscovery() {
    // No API server and no SRV records here: the discovery modules' own tests check both against
    // the APIs they read. This checks that the copyable configuration builds and is what it says.
    try (Hyperlane hyperlane =
        KubernetesRecipe.fromOutside(
                Hyperlane.builder(),
                "http://127.0.0.1:1",
                "shop",
                () -> "t0ken",
                new OkHttpClient())
            .build()) {
      assertThat(hyperlane.describe())
          .contains("discovered by KubernetesDiscovery{http://127.0.0.1:1/ namespace shop}");
    }
    try (Hyperlane hyperlane =
        DnsSrvRecipe.withDnsSrv(Hyperlane.builder(), "_http._tcp.inventory.shop.svc.cluster.local")
            .build()) {
      assertThat(hyperlane.describe())
          .contains("discovered by DnsSrvDiscovery{_http._tcp.inventory.shop.svc.cluster.local");
    }
  }

  @Test
  void migrationRecipeServesTheSameCallsAndHyperlaneRetriesPastABrokenReplica() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      assertThat(MigrationRecipe.callBoth(List.of(a.url(), b.url()), 4))
          .isEqualTo("before: 200 200 200 200 after: 200 200 200 200");
      a.status(503);
      assertThat(MigrationRecipe.callBoth(List.of(a.url(), b.url()), 4))
          .endsWith("after: 200 200 200 200");
    }
  }

  @Test
  void typoGuardRecipeRefusesAMisspeltServiceNamingTheOneMeant() throws Exception {
    try (LocalReplica a = LocalReplica.start("a")) {
      String told = TypoGuardRecipe.run(a.url());
      assertThat(told).contains("\"inventroy\" is not a registered service", "\"inventory\"");
      assertThat(a.served()).isZero();
    }
  }

  @Test
  void testingRecipeSurvivesAResetAndA503ReplicaAndEjectsThemOnFakeTimeUntilTheyHeal()
      throws Exception {
    TestingRecipe.Outcome outcome = TestingRecipe.run(20);
    assertThat(outcome.succeeded()).isEqualTo(20);
    assertThat(outcome.received()[0]).as("the resetting replica was tried").isPositive();
    assertThat(outcome.received()[1]).as("the 503 replica was tried").isPositive();
    assertThat(outcome.received()[2]).as("the healthy one served the rest").isGreaterThan(10);
    assertThat(outcome.ejectedAfterFailures()).isPositive();
    assertThat(outcome.ejectedLater()).isZero();
  }

  @Test
  void attemptInterceptorRecipeSignsEachAttemptForItsEndpointAndRepeatsItsPicks() throws Exception {
    byte[] key = "a-key-for-the-smoke-test-only".getBytes(StandardCharsets.UTF_8);
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b");
        LocalReplica c = LocalReplica.start("c")) {
      List<String> first = AttemptInterceptorRecipe.run(42, key, a.url(), b.url(), c.url());
      List<String> again = AttemptInterceptorRecipe.run(42, key, a.url(), b.url(), c.url());
      assertThat(first).hasSize(10).isEqualTo(again);
      assertThat(first).allSatisfy(url -> assertThat(url).startsWith("http://127.0.0.1:"));
      for (LocalReplica r : List.of(a, b, c)) {
        if (r.served() > 0) { // each replica checks the signature covers its own authority
          assertThat(r.lastHeader("X-Signature"))
              .isEqualTo(
                  AttemptInterceptorRecipe.sign(key, "GET", HttpUrl.get(r.url() + r.lastPath())));
        }
      }
      assertThat(a.served() + b.served() + c.served()).isEqualTo(20);
    }
  }

  @Test
  void dnsRecipeReachesTheReplicaThroughTheResolvedName() throws Exception {
    try (LocalReplica replica = LocalReplica.start("dns")) {
      ServiceSnapshot snapshot = DnsDiscoveryRecipe.run(replica.port());
      assertThat(snapshot.endpoints())
          .extracting(EndpointSnapshot::origin)
          .contains("http://127.0.0.1:" + replica.port());
      assertThat(replica.served()).isEqualTo(1);
    }
  }

  @Test
  void loadBalancingRecipeHonoursWeightsAndEjectsTheBrokenReplica() throws Exception {
    try (LocalReplica big = LocalReplica.start("big");
        LocalReplica small = LocalReplica.start("small");
        LocalReplica broken = LocalReplica.start("broken")) {
      broken.status(503);
      ServiceSnapshot snapshot = LoadBalancingRecipe.run(big.url(), small.url(), broken.url());
      EndpointSnapshot brokenState = snapshot.endpoint(broken.url()).orElseThrow();
      assertThat(brokenState.ejected()).isTrue();
      assertThat(brokenState.failures()).isEqualTo(3);
      // 3:1 between the healthy two; the 3 failed attempts were retried on them, so all 40 calls
      // ended at a healthy replica.
      assertThat(big.served()).isGreaterThan(2 * small.served());
      assertThat(big.served() + small.served()).isEqualTo(40);
      assertThat(broken.served()).isEqualTo(3);
    }
  }

  @Test
  void retriesRecipeRecoversTheGetAndTheKeyedPostOnTheHealthyReplica() throws Exception {
    try (LocalReplica broken = LocalReplica.start("broken");
        LocalReplica healthy = LocalReplica.start("healthy")) {
      broken.status(503);
      RetriesRecipe.Outcome outcome = RetriesRecipe.run(broken.url(), healthy.url());
      assertThat(outcome.getStatus()).isEqualTo(200);
      assertThat(outcome.postStatus()).isEqualTo(200);
      assertThat(healthy.served()).isEqualTo(2);
      assertThat(outcome.events())
          .hasSize(broken.served()) // one retry per failed attempt
          .allMatch(e -> e instanceof io.hyperlane.resilience.ResilienceEvent.Retry);
    }
  }

  @Test
  void deadlineRecipeSendsTheRemainingTimeAndStopsTheSlowCall() throws Exception {
    try (LocalReplica fast = LocalReplica.start("fast");
        LocalReplica slow = LocalReplica.start("slow", Duration.ofSeconds(2))) {
      long started = System.nanoTime();
      DeadlineRecipe.Outcome outcome = DeadlineRecipe.run(fast.url(), slow.url());
      assertThat(outcome.fastStatus()).isEqualTo(200);
      assertThat(outcome.slowTimedOut()).isTrue();
      assertThat(outcome.inheritedMillis()).isBetween(0L, 1500L);
      assertThat(System.nanoTime() - started)
          .as("did not wait 2 s for the slow replica")
          .isLessThan(TimeUnit.MILLISECONDS.toNanos(1900));
    }
  }

  @Test
  void circuitBreakerRecipeStopsCallingAFailedService() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      a.status(503);
      b.status(503);
      CircuitBreakerRecipe.Outcome outcome = CircuitBreakerRecipe.run(a.url(), b.url());
      assertThat(outcome.failed()).isEqualTo(10);
      assertThat(outcome.rejected()).isEqualTo(15);
      assertThat(a.served() + b.served()).isEqualTo(10);
    }
  }

  @Test
  void outlierDetectionRecipeEjectsTheSlowReplicaForItsLatency() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b");
        LocalReplica slow = LocalReplica.start("slow", Duration.ofMillis(40))) {
      OutlierDetectionRecipe.Outcome outcome =
          OutlierDetectionRecipe.run(a.url(), b.url(), slow.url());
      assertThat(outcome.ejected()).containsExactly(slow.url());
      assertThat(outcome.why().get(0)).startsWith("answered in ").contains("the median of 3");
    }
  }

  @Test
  void feignRetrofitAndSpringRecipesCallTheServiceByNameOnBothReplicas() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      String feign = FeignRecipe.run(a.url(), b.url());
      String retrofit = RetrofitRecipe.run(a.url(), b.url());
      String spring = SpringRestClientRecipe.run(a.url(), b.url());
      for (String answers : List.of(feign, retrofit, spring)) {
        assertThat(answers.split("hello from ", -1)).hasSize(5); // four answers
      }
      assertThat(retrofit).contains("200 hello from");
      assertThat(a.served() + b.served()).isEqualTo(12);
      assertThat(a.lastPath()).startsWith("/items/");
    }
  }

  @Test
  void loadReportRecipeKeepsCallsOffTheServerOtherCallersKeepBusy() throws Exception {
    LoadReportRecipe.Outcome outcome = LoadReportRecipe.run(40);
    assertThat(outcome.busyCalls() + outcome.idleCalls()).isEqualTo(40);
    assertThat(outcome.busyReported()).startsWith("13 requests in flight (12 from other callers)");
    // Calls go to the busy server only until it has answered once, and again once its report is
    // a second old: a few of forty, against half of them without reports.
    assertThat(outcome.busyCalls()).isLessThan(outcome.idleCalls() / 3);
  }

  @Test
  void healthCheckRecipeTakesASickReplicaOutAndBringsItBack() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      HealthCheckRecipe.Outcome outcome = HealthCheckRecipe.run(a, b);
      assertThat(outcome.sick()).startsWith("unhealthy (last probe: 503");
      assertThat(outcome.recovered()).startsWith("healthy (last probe: 200");
      assertThat(outcome.events())
          .extracting(e -> e.getClass().getSimpleName())
          .containsSubsequence("EndpointUnhealthy", "EndpointHealthy");
      assertThat(b.lastHeader("User-Agent")).isEqualTo("hyperlane-health-check");
    }
  }

  @Test
  void liveUpdateRecipeHoldsTheNextCallToTheNewTimeout() throws Exception {
    try (LocalReplica slow = LocalReplica.start("slow", Duration.ofMillis(300))) {
      LiveUpdateRecipe.Outcome outcome = LiveUpdateRecipe.run(slow.url());
      assertThat(outcome.before()).isEqualTo("200");
      assertThat(outcome.after()).isEqualTo("DeadlineExceededException");
      assertThat(outcome.described())
          .contains("service inventory updated while running:")
          .containsPattern("timeout +100 ms");
    }
  }

  @Test
  void hedgingRecipeIsAnsweredByTheQuickReplicaLongBeforeTheStuckOne() throws Exception {
    try (LocalReplica stuck = LocalReplica.start("stuck", Duration.ofSeconds(3));
        LocalReplica quick = LocalReplica.start("quick")) {
      HedgingRecipe.Outcome outcome = HedgingRecipe.run(stuck.url(), quick.url());
      assertThat(outcome.answeredBy()).isEqualTo("quick");
      assertThat(outcome.took()).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void limitsRecipeRefusesCallsOverTheRate() throws Exception {
    try (LocalReplica inventory = LocalReplica.start("inventory");
        LocalReplica pricing = LocalReplica.start("pricing")) {
      LimitsRecipe.Outcome outcome = LimitsRecipe.run(inventory.url(), pricing.url());
      // 5 per second: within the first second at most 5 pass (a new period may start mid-way).
      assertThat(outcome.sent() + outcome.refused()).isEqualTo(8);
      assertThat(outcome.refused()).isPositive();
      assertThat(pricing.served()).isEqualTo(outcome.sent());
    }
  }

  @Test
  void telemetryRecipeExportsALogicalSpanAndAnAttemptSpanPerCall() throws Exception {
    try (LocalReplica replica = LocalReplica.start("traced")) {
      // Keeps what it is given, even after the recipe shuts the SDK (and so its exporter) down.
      List<io.opentelemetry.sdk.trace.data.SpanData> spans = new CopyOnWriteArrayList<>();
      io.opentelemetry.sdk.trace.export.SpanExporter keeping =
          new io.opentelemetry.sdk.trace.export.SpanExporter() {
            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode export(
                Collection<io.opentelemetry.sdk.trace.data.SpanData> batch) {
              spans.addAll(batch);
              return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
            }

            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode flush() {
              return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
            }

            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode shutdown() {
              return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
            }
          };
      List<io.hyperlane.client.Alert> alerts = TelemetryRecipe.run(replica.url(), keeping);
      assertThat(alerts).isEmpty(); // a healthy service raises none
      assertThat(spans)
          .hasSize(6)
          .extracting(io.opentelemetry.sdk.trace.data.SpanData::getName)
          .containsOnly("GET inventory", "GET");
    }
  }

  @Test
  void demoRunsTheShowcaseShortlyAndEndsWithTheTableAndTheChart() throws Exception {
    System.setProperty("java.awt.headless", "true");
    Path chart = Files.createTempDirectory("demo").resolve("demo.png");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, "UTF-8");
    Demo.Comparison c =
        Demo.run(new Demo.Settings(200, Duration.ofSeconds(3), Duration.ofMillis(500), chart, out));
    String table = Demo.table(c);
    assertThat(table)
        .contains("p99.9 latency")
        .contains("success rate")
        .contains("backend requests per request")
        .contains("cache hits L0 / L1 / L2")
        .contains("retries / hedges")
        .contains("ejections");
    assertThat(bytes.toString("UTF-8")).contains("100%").contains("shared tier");
    // Hyperlane rides out the flaky and the dying replica; round robin does not.
    assertThat(c.hyperlane().result().successRate()).isGreaterThan(0.99);
    assertThat(c.raw().result().successRate()).isLessThan(c.hyperlane().result().successRate());
    assertThat(c.hyperlane().cache().l1Hits()).isPositive();
    assertThat(Files.size(c.chart())).isGreaterThan(1000);
  }

  @Test
  void cacheRecipeAnswersFromTheHeapInvalidatesOnPutAndSharesThroughRedis() throws Exception {
    String redis = System.getenv("HYPERLANE_REDIS_URI");
    assertThat(redis).as("HYPERLANE_REDIS_URI: run the tests with ./scripts/test").isNotBlank();
    try (LocalReplica catalog = LocalReplica.start("catalog")) {
      catalog.cacheControl("max-age=30");
      CacheRecipe.Outcome outcome = CacheRecipe.run(catalog.url(), redis);
      assertThat(outcome.cacheStatuses()).hasSize(4);
      assertThat(outcome.cacheStatuses().get(0)).contains("hyperlane; fwd=miss; stored");
      assertThat(outcome.cacheStatuses().get(1)).contains("hyperlane-l1; hit");
      assertThat(outcome.cacheStatuses().get(2)).contains("hyperlane; fwd=miss; stored");
      assertThat(outcome.cacheStatuses().get(3)).contains("hyperlane-l2; hit");
      assertThat(catalog.served()).isEqualTo(3); // two GETs and the PUT
      assertThat(outcome.stats().l1Hits()).isEqualTo(1);
      assertThat(outcome.stats().invalidations()).isEqualTo(1);
    }
  }

  @Test
  void routingRecipeSplitsTheCanaryRoutesBetaTestersAndKeepsAUserOnOneCart() throws Exception {
    try (LocalReplica v1 = LocalReplica.start("v1");
        LocalReplica v2 = LocalReplica.start("v2");
        LocalReplica a = LocalReplica.start("cart-a");
        LocalReplica b = LocalReplica.start("cart-b")) {
      RoutingRecipe.Outcome outcome = RoutingRecipe.run(v1.url(), v2.url(), a.url(), b.url());
      assertThat(outcome.canary().get("v1")).isBetween(160, 195); // 90% of 200, give or take
      assertThat(outcome.canary().get("v2")).isBetween(5, 40);
      assertThat(outcome.beta()).containsExactly(Map.entry("v2", 20));
      assertThat(outcome.sticky()).hasSize(1).containsValue(20); // header and tag agree
    }
  }

  @Test
  void registryRecipeFindsTheRegisteredInstanceInEtcd() throws Exception {
    String etcd = System.getenv("HYPERLANE_ETCD_URL");
    assertThat(etcd).as("HYPERLANE_ETCD_URL: run the tests with ./scripts/test").isNotBlank();
    try (LocalReplica inventory = LocalReplica.start("inventory-1")) {
      ServiceSnapshot seen =
          RegistryRecipe.run(etcd, inventory.url(), "/recipe-" + UUID.randomUUID() + "/");
      assertThat(seen.endpoints())
          .extracting(EndpointSnapshot::origin)
          .containsExactly(inventory.url());
      assertThat(inventory.served()).isEqualTo(1);
    }
  }

  @Test
  void tlsRecipeCallsAnMtlsServerByItsAuthority() throws Exception {
    assertThat(TlsRecipe.run()).isEqualTo("hello over mutual TLS, CN=orders");
  }

  @Test
  void loadToolSendsAFixedRateLoadAndReportsPercentilesAndDecisions() throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      b.status(503); // retried on a: the tool reports the retries and no failure
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      int exit =
          LoadTool.run(
              new String[] {
                "--service",
                "inventory",
                "--endpoint",
                a.url(),
                "--endpoint",
                b.url(),
                "--path",
                "/items/42",
                "--rate",
                "200",
                "--requests",
                "60",
                "--duration",
                "10s"
              },
              new PrintStream(bytes, true, "UTF-8"));
      String out = bytes.toString("UTF-8");
      assertThat(exit).as(out).isZero();
      assertThat(out)
          .contains("sent 60 requests at 200/s")
          .contains("succeeded 60 (100.00%)")
          .contains("latency ms: p50")
          .contains("p99.9")
          .contains("retries=");
      assertThat(a.served()).isEqualTo(60);
    }
  }

  @Test
  void loadToolExplainsItsArgumentsAndRefusesBadOnes() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    assertThat(LoadTool.run(new String[] {"--help"}, new PrintStream(bytes, true, "UTF-8")))
        .isZero();
    assertThat(bytes.toString("UTF-8"))
        .contains("--rate")
        .contains("--duration")
        .contains("--requests")
        .contains("intended send time");
    assertThat(
            LoadTool.run(
                new String[] {"--url", "http://127.0.0.1:1/", "--duration", "soon"},
                new PrintStream(new ByteArrayOutputStream(), true, "UTF-8")))
        .isNotZero();
  }
}
