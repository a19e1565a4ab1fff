package io.hyperlane.discovery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The documented EndpointSlice API ({@code discovery.k8s.io/v1}, list then watch) played by
 * WireMock: no Kubernetes API server runs on the build machines.
 */
class KubernetesDiscoveryTest {

  private static final String PATH = "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices";

  private final WireMockServer api = new WireMockServer(options().bindAddress("127.0.0.1").port(0));
  private Hyperlane hyperlane;

  @BeforeEach
  void startApiServer() {
    api.start();
  }

  @AfterEach
  void stop() {
    if (hyperlane != null) {
      hyperlane.close();
    }
    api.stop();
  }

  private static String endpoint(String address, Boolean ready, String zone) {
    return "{\"addresses\":[\""
        + address
        + "\"],\"conditions\":{"
        + (ready == null ? "" : "\"ready\":" + ready)
        + "},\"zone\":\""
        + zone
        + "\",\"nodeName\":\"node-1\"}";
  }

  private static String slice(String name, String version, String... endpoints) {
    return "{\"metadata\":{\"name\":\""
        + name
        + "\",\"resourceVersion\":\""
        + version
        + "\",\"labels\":{\"kubernetes.io/service-name\":\"inventory\"}},"
        + "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"metrics\",\"port\":9090},"
        + "{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],"
        + "\"endpoints\":["
        + String.join(",", endpoints)
        + "]}";
  }

  private void list(String version, String... slices) {
    api.stubFor(
        get(urlPathEqualTo(PATH))
            .withQueryParam("watch", absent())
            .withQueryParam("labelSelector", equalTo("kubernetes.io/service-name=inventory"))
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withBody(
                        "{\"kind\":\"EndpointSliceList\","
                            + "\"metadata\":{\"resourceVersion\":\""
                            + version
                            + "\"},\"items\":["
                            + String.join(",", slices)
                            + "]}")));
  }

  /** A watch from {@code version} that streams {@code events} then ends. */
  private void watch(String version, String... events) {
    api.stubFor(
        get(urlPathEqualTo(PATH))
            .withQueryParam("watch", equalTo("true"))
            .withQueryParam("resourceVersion", equalTo(version))
            .willReturn(aResponse().withStatus(200).withBody(String.join("\n", events) + "\n")));
  }

  /** A watch from {@code version} that stays open, quiet, until the test ends. */
  private void quietFrom(String version) {
    api.stubFor(
        get(urlPathEqualTo(PATH))
            .withQueryParam("watch", equalTo("true"))
            .withQueryParam("resourceVersion", equalTo(version))
            .willReturn(aResponse().withStatus(200).withFixedDelay(30_000).withBody("")));
  }

  private void start() {
    hyperlane =
        Hyperlane.builder()
            .telemetry(false)
            .service(
                "inventory",
                s ->
                    s.discovery(
                        KubernetesDiscovery.builder(api.baseUrl())
                            .namespace("shop")
                            .portName("http")
                            .token(() -> "service-account-token")
                            .build()))
            .build();
  }

  private List<String> origins() {
    return hyperlane.snapshot().service("inventory").endpoints().stream()
        .map(EndpointSnapshot::origin)
        .sorted()
        .toList();
  }

  @Test
  void listThenWatchKeepsOnlyReadyEndpointsOnTheNamedPort() {
    list(
        "100",
        slice(
            "inventory-abc",
            "99",
            endpoint("10.0.0.1", true, "zone-a"),
            endpoint("10.0.0.2", false, "zone-a"),
            endpoint("10.0.0.3", null, "zone-b")));
    watch(
        "100",
        "{\"type\":\"MODIFIED\",\"object\":"
            + slice(
                "inventory-abc",
                "101",
                endpoint("10.0.0.1", true, "zone-a"),
                endpoint("10.0.0.2", true, "zone-a"),
                endpoint("10.0.0.3", null, "zone-b"))
            + "}",
        "{\"type\":\"ADDED\",\"object\":"
            + slice("inventory-def", "102", endpoint("10.0.1.1", true, "zone-b"))
            + "}",
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"103\"}}}");
    quietFrom("103");
    start();

    Await.until(Duration.ofSeconds(5), () -> origins().size() == 4, "the watch events");
    assertThat(origins())
        .containsExactly(
            "http://10.0.0.1:8080",
            "http://10.0.0.2:8080",
            "http://10.0.0.3:8080",
            "http://10.0.1.1:8080");
    api.verify(
        getRequestedFor(urlPathEqualTo(PATH))
            .withHeader("Authorization", equalTo("Bearer service-account-token")));
    assertThat(
            hyperlane
                .snapshot()
                .service("inventory")
                .endpoint("http://10.0.1.1:8080")
                .orElseThrow())
        .satisfies(
            e -> {
              assertThat(e.zone()).isEqualTo("zone-b");
              assertThat(e.metadata()).containsEntry("node", "node-1");
            });
  }

  @Test
  void endpointsThatAreNotReadyAreLeftOut() {
    list(
        "100",
        slice(
            "inventory-abc",
            "99",
            endpoint("10.0.0.1", true, "zone-a"),
            endpoint("10.0.0.2", false, "zone-a"),
            endpoint("10.0.0.3", null, "zone-b")));
    quietFrom("100");
    start();
    Await.until(Duration.ofSeconds(5), () -> !origins().isEmpty(), "the list");
    assertThat(origins()).containsExactly("http://10.0.0.1:8080", "http://10.0.0.3:8080");
  }

  @Test
  void aDeletedSliceTakesItsEndpointsOutAndGoneListsAgain() {
    list(
        "100",
        slice("inventory-abc", "99", endpoint("10.0.0.1", true, "zone-a")),
        slice("inventory-def", "98", endpoint("10.0.1.1", true, "zone-b")));
    watch(
        "100",
        "{\"type\":\"DELETED\",\"object\":" + slice("inventory-def", "101") + "}",
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
            + "\"message\":\"too old resource version\"}}");
    start();
    Await.until(
        Duration.ofSeconds(5),
        () -> origins().equals(List.of("http://10.0.0.1:8080")),
        "the deleted slice to go");
    // 410 Gone makes it list again: the list now says something else
    list("200", slice("inventory-abc", "199", endpoint("10.0.0.7", true, "zone-a")));
    quietFrom("200");
    Await.until(
        Duration.ofSeconds(5),
        () -> origins().equals(List.of("http://10.0.0.7:8080")),
        "the new list after 410 Gone");
  }

  @Test
  void garbageKeepsTheLastGoodSet() {
    list("100", slice("inventory-abc", "99", endpoint("10.0.0.1", true, "zone-a")));
    watch(
        "100",
        "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"inventory-abc\"},"
            + "\"ports\":[{\"name\":\"http\",\"port\":8080}],\"endpoints\":[{\"addresses\":[]}]}}",
        "{{{ not json");
    start();
    Await.until(
        Duration.ofSeconds(5),
        () -> hyperlane.snapshot().service("inventory").discoveryFailures() >= 2,
        "the garbage to be counted");
    assertThat(origins()).containsExactly("http://10.0.0.1:8080");
  }

  @Test
  void oneUnusableEndpointOfASliceIsLeftOutAndTheRestOfTheSliceIsUsed() {
    list(
        "100",
        slice(
            "inventory-abc",
            "99",
            endpoint("10.0.0.1", true, "zone-a"),
            endpoint("not an address", true, "zone-a"),
            endpoint("10.0.0.3", true, "zone b!")));
    quietFrom("100");
    start();
    Await.until(Duration.ofSeconds(5), () -> !origins().isEmpty(), "the list");
    assertThat(origins()).containsExactly("http://10.0.0.1:8080");
    Await.until(
        Duration.ofSeconds(5),
        () -> hyperlane.snapshot().service("inventory").discoveryFailures() >= 1,
        "the left-out endpoints to be counted");
  }

  @Test
  void aWatchMessageLargerThanAWholeListIsRefusedAndTheWatchStartsOver() {
    list("100", slice("inventory-abc", "99", endpoint("10.0.0.1", true, "zone-a")));
    String huge =
        "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"x\","
            + "\"annotations\":{\"a\":\""
            + "x".repeat(17 << 20)
            + "\"}}}}";
    watch("100", huge);
    start();
    Await.until(
        Duration.ofSeconds(10),
        () -> hyperlane.snapshot().service("inventory").discoveryFailures() >= 1,
        "the oversized message to be refused");
    assertThat(origins()).containsExactly("http://10.0.0.1:8080");
  }

  @Test
  void outsideAClusterInClusterSaysSo() {
    assertThatThrownBy(KubernetesDiscovery::inCluster)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not in a Kubernetes pod");
  }
}
