package io.hyperlane.discovery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Consul's documented health API (blocking queries, {@code X-Consul-Index}) played by WireMock: no
 * Consul server can be installed on the build machines.
 */
class ConsulDiscoveryTest {

  private final WireMockServer consul =
      new WireMockServer(options().bindAddress("127.0.0.1").port(0));
  private Hyperlane hyperlane;

  @BeforeEach
  void start() {
    consul.start();
  }

  @AfterEach
  void stop() {
    if (hyperlane != null) {
      hyperlane.close();
    }
    consul.stop();
  }

  private static String entry(String id, String address, long port, String meta) {
    return "{\"Node\":{\"Node\":\"node-"
        + id
        + "\",\"Address\":\"10.9.9.9\"},"
        + "\"Service\":{\"ID\":\""
        + id
        + "\",\"Service\":\"inventory\",\"Address\":\""
        + address
        + "\",\"Port\":"
        + port
        + ",\"Meta\":"
        + meta
        + ",\"Weights\":{\"Passing\":2,"
        + "\"Warning\":1}},\"Checks\":[]}";
  }

  private void answer(String index, int consulIndex, String body) {
    consul.stubFor(
        get(urlPathEqualTo("/v1/health/service/inventory"))
            .withQueryParam("passing", equalTo("true"))
            .withQueryParam("index", index == null ? absent() : equalTo(index))
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("X-Consul-Index", "" + consulIndex)
                    .withHeader("Content-Type", "application/json")
                    .withBody(body)));
  }

  /** The next blocking query is held by "Consul" until the test ends. */
  private void holdAt(String index) {
    consul.stubFor(
        get(urlPathEqualTo("/v1/health/service/inventory"))
            .withQueryParam("index", equalTo(index))
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withFixedDelay(30_000)
                    .withHeader("X-Consul-Index", index)
                    .withBody("[]")));
  }

  private void start(ConsulDiscovery discovery) {
    hyperlane =
        Hyperlane.builder()
            .telemetry(false)
            .service("inventory", s -> s.discovery(discovery))
            .build();
  }

  private List<String> origins() {
    return hyperlane.snapshot().service("inventory").endpoints().stream()
        .map(EndpointSnapshot::origin)
        .sorted()
        .toList();
  }

  private long failures() {
    return hyperlane.snapshot().service("inventory").discoveryFailures();
  }

  @Test
  void answersAndABlockingQueryEventDriveTheEndpointSet() {
    answer(
        null,
        10,
        "["
            + entry("a", "127.0.0.1", 8081, "{\"zone\":\"z1\"}")
            + ","
            + entry("b", "", 8082, "{}")
            + "]");
    answer(
        "10",
        11,
        "["
            + entry("a", "127.0.0.1", 8081, "{\"zone\":\"z1\"}")
            + ","
            + entry("b", "", 8082, "{}")
            + ","
            + entry("c", "127.0.0.3", 8083, "{\"version\":\"v2\"}")
            + "]");
    holdAt("11");
    start(ConsulDiscovery.builder(consul.baseUrl()).token("acl-secret").build());

    Await.until(Duration.ofSeconds(5), () -> origins().size() == 3, "the watch event");
    assertThat(origins())
        .containsExactly("http://10.9.9.9:8082", "http://127.0.0.1:8081", "http://127.0.0.3:8083");
    assertThat(hyperlane.snapshot().service("inventory").endpoints())
        .allSatisfy(e -> assertThat(e.weight()).isEqualTo(2));
    EndpointSnapshot a =
        hyperlane.snapshot().service("inventory").endpoint("http://127.0.0.1:8081").orElseThrow();
    assertThat(a.zone()).isEqualTo("z1");
    assertThat(
            hyperlane
                .snapshot()
                .service("inventory")
                .endpoint("http://127.0.0.3:8083")
                .orElseThrow()
                .metadata())
        .containsEntry("version", "v2");
    consul.verify(
        getRequestedFor(urlPathEqualTo("/v1/health/service/inventory"))
            .withHeader("X-Consul-Token", equalTo("acl-secret"))
            .withQueryParam("wait", equalTo("60s")));
    assertThat(failures()).isZero();
  }

  @Test
  void garbageKeepsTheLastGoodSetAndARegistryThatComesBackIsUsedAgain() {
    answer(null, 10, "[" + entry("a", "127.0.0.1", 8081, "{}") + "]");
    answer("10", 12, "this is not json");
    start(ConsulDiscovery.builder(consul.baseUrl()).build());
    Await.until(Duration.ofSeconds(5), () -> failures() >= 1, "the garbage to be counted");
    assertThat(origins()).containsExactly("http://127.0.0.1:8081");

    answer(
        "10",
        12,
        "["
            + entry("a", "127.0.0.1", 8081, "{}")
            + ","
            + entry("b", "127.0.0.2", 8082, "{}")
            + "]");
    holdAt("12");
    Await.until(Duration.ofSeconds(10), () -> origins().size() == 2, "the good answer");
  }

  @Test
  void anInstanceWithABadAddressIsLeftOutAndOneWithABadMetadataEntryKeepsTheRest() {
    answer(
        null,
        10,
        "["
            + entry("a", "127.0.0.1", 8081, "{}")
            + ","
            + entry("b", "127.0.0.2", 70000, "{}")
            + ","
            + entry("d", "127.0.0.4", 4294967376L, "{}")
            + ","
            + entry("c", "127.0.0.3", 8083, "{\"bad key!\":\"x\",\"version\":\"v2\"}")
            + "]");
    holdAt("10");
    start(ConsulDiscovery.builder(consul.baseUrl()).build());
    Await.until(Duration.ofSeconds(5), () -> origins().size() == 2, "the good instances");
    assertThat(origins()).containsExactly("http://127.0.0.1:8081", "http://127.0.0.3:8083");
    assertThat(
            hyperlane
                .snapshot()
                .service("inventory")
                .endpoint("http://127.0.0.3:8083")
                .orElseThrow()
                .metadata())
        .containsExactly(Map.entry("version", "v2"));
    assertThat(failures()).as("the instances with a port out of range").isPositive();
  }

  @Test
  void everyMetadataConsulAllowsIsAcceptedAndAnyWeightIsClamped() {
    // Consul: up to 64 pairs, keys up to 128 characters of [A-Za-z0-9_-], values up to 512.
    StringBuilder meta = new StringBuilder("{");
    for (int i = 0; i < 64; i++) {
      meta.append(i == 0 ? "" : ",")
          .append("\"k")
          .append(i)
          .append("_")
          .append("x".repeat(120))
          .append("\":\"")
          .append(i == 0 ? "été ☃ " + "v".repeat(500) : "")
          .append("\"");
    }
    meta.append("}");
    String heavy =
        entry("a", "127.0.0.1", 8081, meta.toString())
            .replace("\"Passing\":2", "\"Passing\":1000000");
    answer(null, 10, "[" + heavy + "]");
    holdAt("10");
    start(ConsulDiscovery.builder(consul.baseUrl()).build());
    Await.until(Duration.ofSeconds(5), () -> origins().size() == 1, "the instance");
    EndpointSnapshot a = hyperlane.snapshot().service("inventory").endpoints().get(0);
    assertThat(a.metadata()).hasSize(64);
    assertThat(a.weight()).isEqualTo(io.hyperlane.client.Endpoint.MAX_WEIGHT);
    assertThat(failures()).isZero();
  }
}
