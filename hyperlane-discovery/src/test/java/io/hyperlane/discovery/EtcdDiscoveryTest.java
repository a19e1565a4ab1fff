package io.hyperlane.discovery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.hyperlane.client.Endpoint;
import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.NoEndpointException;
import io.hyperlane.client.ServiceSnapshot;
import io.hyperlane.resilience.CallFailedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Against a real etcd (started by {@code ./scripts/test}, address in {@code HYPERLANE_ETCD_URL}),
 * with real replicas on loopback. Each test has its own key prefix.
 */
class EtcdDiscoveryTest {

  private final String prefix = "/hyperlane-test-" + UUID.randomUUID() + "/";
  private final OkHttpClient base = new OkHttpClient();
  private final List<WireMockServer> replicas = new ArrayList<>();
  private final List<Hyperlane> hyperlanes = new ArrayList<>();
  private String etcdUrl;
  private EtcdDiscovery etcd;

  @BeforeEach
  void connect() {
    etcdUrl = System.getenv("HYPERLANE_ETCD_URL");
    if (etcdUrl == null || etcdUrl.isBlank()) {
      fail(
          "HYPERLANE_ETCD_URL is not set: run the tests with ./scripts/test, which installs and"
              + " starts etcd");
    }
    etcd = EtcdDiscovery.builder(etcdUrl).keyPrefix(prefix).build();
  }

  @AfterEach
  void stop() {
    hyperlanes.forEach(Hyperlane::close);
    replicas.forEach(WireMockServer::stop);
  }

  private String replica() {
    WireMockServer server = new WireMockServer(options().bindAddress("127.0.0.1").port(0));
    server.start();
    server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
    replicas.add(server);
    return "http://127.0.0.1:" + server.port();
  }

  private Hyperlane start(Hyperlane.Builder builder) {
    Hyperlane hyperlane = builder.build();
    hyperlanes.add(hyperlane);
    return hyperlane;
  }

  /** An instance of the application that registers {@code url} as {@code id} of "inventory". */
  private Hyperlane registered(String id, String url) {
    return start(
        Hyperlane.builder()
            .telemetry(false)
            .selfRegistration(
                etcd.registration("inventory", id, Endpoint.of(url), Duration.ofSeconds(5))));
  }

  private Hyperlane caller() {
    return start(
        Hyperlane.builder()
            .telemetry(false)
            .service("inventory", s -> s.discovery(etcd).awaitEndpoints(Duration.ofSeconds(10))));
  }

  private static List<String> origins(Hyperlane hyperlane) {
    ServiceSnapshot s = hyperlane.snapshot().service("inventory");
    return s.endpoints().stream().map(EndpointSnapshot::origin).sorted().toList();
  }

  private void etcdPut(String key, String value, String lease) throws IOException {
    String body =
        "{\"key\":\""
            + b64(key)
            + "\",\"value\":\""
            + b64(value)
            + "\""
            + (lease == null ? "" : ",\"lease\":\"" + lease + "\"")
            + "}";
    etcdPost("/v3/kv/put", body);
  }

  private String etcdPost(String path, String json) throws IOException {
    try (Response response =
        base.newCall(
                new Request.Builder()
                    .url(etcdUrl + path)
                    .post(RequestBody.create(json, MediaType.get("application/json")))
                    .build())
            .execute()) {
      assertThat(response.code()).isEqualTo(200);
      return response.body().string();
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aRegisteredInstanceBecomesReachableAndItsRemovalTakesItOutWhileCallsFlow() throws Exception {
    String r1 = replica();
    String r2 = replica();
    registered("inventory-1", r1);
    Hyperlane second = registered("inventory-2", r2);
    Hyperlane caller = caller();
    Await.until(Duration.ofSeconds(2), () -> origins(caller).size() == 2, "both instances");
    assertThat(origins(caller)).containsExactlyInAnyOrder(r1, r2);

    OkHttpClient client = caller.wrap(base);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    Thread calls =
        new Thread(
            () -> {
              while (running.get()) {
                try (Response r =
                    client
                        .newCall(new Request.Builder().url("http://inventory/items").build())
                        .execute()) {
                  if (r.code() == 200) {
                    ok.incrementAndGet();
                  } else {
                    failures.add(new IOException("HTTP " + r.code()));
                  }
                } catch (IOException e) {
                  failures.add(e);
                }
              }
            });
    calls.start();
    Await.until(Duration.ofSeconds(5), () -> ok.get() > 50, "calls to flow");

    second.close(); // revokes its lease: etcd deletes the key, the watch reports it
    Duration removal =
        Await.until(
            Duration.ofSeconds(1),
            () -> origins(caller).size() == 1,
            "the removed instance to leave (stated bound: 1 s)");
    int before = ok.get();
    Await.until(Duration.ofSeconds(5), () -> ok.get() > before + 50, "calls to go on");
    running.set(false);
    calls.join(5000);
    assertThat(origins(caller)).containsExactly(r1);
    assertThat(failures).isEmpty();
    System.out.printf(
        "etcd: a revoked instance left the caller's endpoints in %d ms%n", removal.toMillis());
  }

  @Test
  void anInstanceWhoseLeaseExpiresIsTakenOut() throws Exception {
    String r1 = replica();
    String r2 = replica();
    registered("inventory-1", r1);
    // An instance that dies without revoking: its lease is never kept alive.
    String granted = etcdPost("/v3/lease/grant", "{\"TTL\": 2}");
    String lease = Registries.JSON.readTree(granted).get("ID").asText();
    etcdPut(prefix + "inventory/crashed", "{\"url\":\"" + r2 + "\"}", lease);
    Hyperlane caller = caller();
    Await.until(Duration.ofSeconds(2), () -> origins(caller).size() == 2, "both instances");

    Await.until(
        Duration.ofSeconds(4),
        () -> origins(caller).equals(List.of(r1)),
        "the expired instance to leave (2 s TTL)");
  }

  @Test
  void garbageInEtcdKeepsTheLastGoodSetAndIsCounted() throws Exception {
    String r1 = replica();
    registered("inventory-1", r1);
    Hyperlane caller = caller();
    Await.until(Duration.ofSeconds(2), () -> origins(caller).size() == 1, "the instance");

    etcdPut(prefix + "inventory/garbage", "{not json", null);
    etcdPut(prefix + "inventory/bad-url", "{\"url\":\"ftp://x\"}", null);
    etcdPut(
        prefix + "inventory/bad-weight", "{\"url\":\"http://127.0.0.1:9\",\"weight\":-4}", null);
    Await.until(
        Duration.ofSeconds(2),
        () -> caller.snapshot().service("inventory").discoveryFailures() >= 3,
        "the three bad records to be counted");
    assertThat(origins(caller)).containsExactly(r1);
    try (Response r =
        caller
            .wrap(base)
            .newCall(new Request.Builder().url("http://inventory/").build())
            .execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
  }

  @Test
  void anUnreachableEtcdFailsBuildWhenAskedAndOtherwiseStartsEmpty() {
    EtcdDiscovery nowhere = EtcdDiscovery.builder("http://127.0.0.1:1").build();
    assertThatThrownBy(
            () ->
                Hyperlane.builder()
                    .telemetry(false)
                    .service(
                        "inventory",
                        s -> s.discovery(nowhere).awaitEndpoints(Duration.ofMillis(500)))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("service \"inventory\" had no endpoints after PT0.5S")
        .hasMessageContaining("ConnectException");

    Hyperlane empty =
        start(Hyperlane.builder().telemetry(false).service("inventory", s -> s.discovery(nowhere)));
    assertThatThrownBy(
            () ->
                empty
                    .wrap(base)
                    .newCall(new Request.Builder().url("http://inventory/").build())
                    .execute())
        .isInstanceOf(CallFailedException.class)
        .cause()
        .isInstanceOf(NoEndpointException.class);
  }

  @Test
  void aRegistrationWritesZoneWeightAndMetadataAndCallersReadThem() throws Exception {
    String r1 = replica();
    start(
        Hyperlane.builder()
            .telemetry(false)
            .selfRegistration(
                etcd.registration(
                    "inventory",
                    "inventory-1",
                    Endpoint.builder(r1).zone("zone-a").weight(3).metadata("version", "v2").build(),
                    Duration.ofSeconds(5))));
    Hyperlane caller = caller();
    Await.until(Duration.ofSeconds(2), () -> origins(caller).size() == 1, "the instance");
    assertThat(caller.snapshot().service("inventory").endpoints().get(0).weight()).isEqualTo(3);

    String range =
        etcdPost("/v3/kv/range", "{\"key\":\"" + b64(prefix + "inventory/inventory-1") + "\"}");
    String value =
        new String(
            Base64.getDecoder()
                .decode(Registries.JSON.readTree(range).path("kvs").get(0).path("value").asText()),
            StandardCharsets.UTF_8);
    Endpoint read = Registries.instance(Registries.JSON.readTree(value), "test", new ArrayList<>());
    assertThat(read.origin()).isEqualTo(r1);
    assertThat(read.zone()).isEqualTo("zone-a");
    assertThat(read.weight()).isEqualTo(3);
    assertThat(read.metadata()).containsExactly(Map.entry("version", "v2"));
  }
}
