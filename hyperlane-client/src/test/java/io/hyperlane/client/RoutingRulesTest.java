package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Routing rules, zone preference and sticky routing. The endpoints are answered by a last
 * interceptor that stands in for the network (these tests are about which endpoint the routing
 * stage picks, over thousands of calls), and can make chosen endpoints fail.
 */
class RoutingRulesTest {

  private final FakeTime time = new FakeTime();
  private final Set<String> failing = ConcurrentHashMap.newKeySet();
  private final OkHttpClient base = new OkHttpClient();
  private Hyperlane hyperlane;
  private OkHttpClient client;

  @AfterEach
  void close() {
    if (hyperlane != null) {
      hyperlane.close();
    }
  }

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .telemetry(false)
        .retry(RetryPolicy.none())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
        .slowStart(SlowStart.disabled());
  }

  /** Wraps the base client and answers each routed call itself: 503 from the failing endpoints. */
  private void start(Hyperlane.Builder builder) {
    hyperlane = builder.build();
    client =
        hyperlane
            .wrap(base)
            .newBuilder()
            .addInterceptor(
                chain -> {
                  String origin = Endpoint.origin(chain.request().url());
                  int code = failing.contains(origin) ? 503 : 200;
                  return new Response.Builder()
                      .request(chain.request())
                      .protocol(Protocol.HTTP_1_1)
                      .code(code)
                      .message("-")
                      .header("X-Origin", origin)
                      .body(ResponseBody.create(new byte[0], null))
                      .build();
                })
            .build();
  }

  private String call(Request.Builder request) throws IOException {
    try (Response response = client.newCall(request.build()).execute()) {
      return response.header("X-Origin");
    }
  }

  private String call(String url) throws IOException {
    return call(new Request.Builder().url(url));
  }

  private static Endpoint endpoint(int port, String key, String value, String zone) {
    Endpoint.Builder b = Endpoint.builder("http://127.0.0.1:" + port);
    if (key != null) {
      b.metadata(key, value);
    }
    if (zone != null) {
      b.zone(zone);
    }
    return b.build();
  }

  private Hyperlane.Builder inventoryV1V2() {
    return builder()
        .service(
            "inventory",
            s ->
                s.endpoint(endpoint(1, "version", "v1", null))
                    .endpoint(endpoint(2, "version", "v1", null))
                    .endpoint(endpoint(3, "version", "v2", null)));
  }

  private static final RouteRule CANARY =
      RouteRule.named("canary")
          .service("inventory")
          .to("inventory", Map.of("version", "v1"), 95)
          .to("inventory", Map.of("version", "v2"), 5)
          .build();

  @Test
  void aCanaryOf95To5Over10000CallsLandsWithinOnePoint() throws IOException {
    start(inventoryV1V2().routing(RoutingRules.of(CANARY)));
    int v2 = 0;
    for (int i = 0; i < 10_000; i++) {
      if (call("http://inventory/items").equals("http://127.0.0.1:3")) {
        v2++;
      }
    }
    assertThat(v2 / 100.0).isBetween(4.0, 6.0);
  }

  @Test
  void aHeaderRuleRoutesToVersionV2AndOtherCallsDoNot() throws IOException {
    RouteRule beta =
        RouteRule.named("beta")
            .service("inventory")
            .method("GET")
            .pathPrefix("/items/")
            .header("X-User-Group", "beta")
            .to("inventory", Map.of("version", "v2"), 1)
            .build();
    RouteRule stable =
        RouteRule.named("stable")
            .service("inventory")
            .to("inventory", Map.of("version", "v1"), 1)
            .build();
    start(inventoryV1V2().routing(RoutingRules.of(beta, stable)));
    for (int i = 0; i < 50; i++) {
      assertThat(
              call(
                  new Request.Builder()
                      .url("http://inventory/items/" + i)
                      .header("X-User-Group", "beta")))
          .isEqualTo("http://127.0.0.1:3");
      assertThat(
              call(
                  new Request.Builder()
                      .url("http://inventory/items/" + i)
                      .header("X-User-Group", "alpha")))
          .isNotEqualTo("http://127.0.0.1:3");
      assertThat(
              call(
                  new Request.Builder()
                      .url("http://inventory/orders/" + i)
                      .header("X-User-Group", "beta")))
          .isNotEqualTo("http://127.0.0.1:3");
    }
  }

  @Test
  void aRuleCanSendCallsToAnotherService() throws IOException {
    RouteRule move =
        RouteRule.named("move-reports")
            .service("inventory")
            .pathPrefix("/reports")
            .to("reporting", 1)
            .build();
    start(
        inventoryV1V2().service("reporting", "http://127.0.0.1:9").routing(RoutingRules.of(move)));
    assertThat(call("http://inventory/reports/daily")).isEqualTo("http://127.0.0.1:9");
    assertThat(call("http://inventory/items")).isNotEqualTo("http://127.0.0.1:9");
  }

  @Test
  void aSubsetWithNoEndpointFallsBackToTheWholeService() throws IOException {
    RouteRule v3 =
        RouteRule.named("v3")
            .service("inventory")
            .to("inventory", Map.of("version", "v3"), 1)
            .build();
    start(inventoryV1V2().routing(RoutingRules.of(v3)));
    assertThat(call("http://inventory/items")).startsWith("http://127.0.0.1:");
  }

  @Test
  void rulesAreReplacedAtOnceAndABadSetIsRefusedWholeNamingTheRule() throws IOException {
    start(inventoryV1V2());
    RouteRule allV2 =
        RouteRule.named("all-v2")
            .service("inventory")
            .to("inventory", Map.of("version", "v2"), 1)
            .build();
    hyperlane.replaceRouting(RoutingRules.of(allV2));
    assertThat(call("http://inventory/x")).isEqualTo("http://127.0.0.1:3");

    RouteRule broken = RouteRule.named("typo").service("inventory").to("inventroy", 1).build();
    assertThatThrownBy(() -> hyperlane.replaceRouting(RoutingRules.of(CANARY, broken)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rule \"typo\" sends calls to \"inventroy\"")
        .hasMessageContaining("previous ones stay");
    assertThat(hyperlane.routing().rules()).containsExactly(allV2);
    assertThat(call("http://inventory/x")).isEqualTo("http://127.0.0.1:3");

    assertThatThrownBy(() -> RoutingRules.of(CANARY, CANARY))
        .hasMessageContaining("rule \"canary\" is defined twice");
    assertThatThrownBy(() -> RouteRule.named("w").service("inventory").to("inventory", 0))
        .hasMessageContaining("rule \"w\": weight must be between 1 and 1000000 but was 0");
    assertThatThrownBy(() -> RouteRule.named("p").pathPrefix("items"))
        .hasMessageContaining("rule \"p\": path prefix must start with /");
    assertThatThrownBy(
            () ->
                builder()
                    .service("a", "http://127.0.0.1:1")
                    .routing(
                        RoutingRules.of(RouteRule.named("ghost").service("b").to("a", 1).build()))
                    .build())
        .hasMessageContaining("rule \"ghost\" matches calls to \"b\"");
  }

  @Test
  void zonePreferenceKeepsCallsInZoneUntilThatZonesEndpointsAreEjected() throws IOException {
    start(
        builder()
            .zonePreference(ZonePreference.local("zone-a"))
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service(
                "inventory",
                s ->
                    s.endpoint(endpoint(1, null, null, "zone-a"))
                        .endpoint(endpoint(2, null, null, "zone-a"))
                        .endpoint(endpoint(3, null, null, "zone-b"))
                        .endpoint(endpoint(4, null, null, "zone-b"))));
    Map<String, Integer> served = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      served.merge(call("http://inventory/"), 1, Integer::sum);
    }
    assertThat(served).containsOnlyKeys("http://127.0.0.1:1", "http://127.0.0.1:2");

    failing.add("http://127.0.0.1:1"); // one local endpoint fails: ejected, the other stays local
    for (int i = 0; i < 20; i++) {
      call("http://inventory/");
    }
    assertThat(
            hyperlane
                .snapshot()
                .service("inventory")
                .endpoint("http://127.0.0.1:1")
                .orElseThrow()
                .ejected())
        .isTrue();
    served.clear();
    for (int i = 0; i < 50; i++) {
      served.merge(call("http://inventory/"), 1, Integer::sum);
    }
    assertThat(served).containsOnlyKeys("http://127.0.0.1:2");

    failing.add("http://127.0.0.1:2"); // the whole zone is ejected: calls spill over
    for (int i = 0; i < 10; i++) {
      call("http://inventory/");
    }
    served.clear();
    for (int i = 0; i < 50; i++) {
      served.merge(call("http://inventory/"), 1, Integer::sum);
    }
    assertThat(served).containsOnlyKeys("http://127.0.0.1:3", "http://127.0.0.1:4");
  }

  @Test
  void belowTheHealthyShareCallsSpillOverWhileSomeLocalEndpointsStillWork() throws IOException {
    start(
        builder()
            .zonePreference(ZonePreference.local("zone-a").minHealthyShare(0.75))
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service(
                "inventory",
                s ->
                    s.endpoint(endpoint(1, null, null, "zone-a"))
                        .endpoint(endpoint(2, null, null, "zone-a"))
                        .endpoint(endpoint(3, null, null, "zone-b"))));
    failing.add("http://127.0.0.1:1");
    for (int i = 0; i < 20; i++) {
      call("http://inventory/");
    }
    assertThat(
            hyperlane
                .snapshot()
                .service("inventory")
                .endpoint("http://127.0.0.1:1")
                .orElseThrow()
                .ejected())
        .isTrue();
    Map<String, Integer> served = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      served.merge(call("http://inventory/"), 1, Integer::sum);
    }
    // 1 of 2 local endpoints healthy is below 75%: the remote zone takes calls too.
    assertThat(served).containsOnlyKeys("http://127.0.0.1:2", "http://127.0.0.1:3");
  }

  @Test
  void stickyKeysStayPutWhenOneOfTenEndpointsLeaves() throws IOException {
    List<Endpoint> ten = new ArrayList<>();
    for (int port = 1; port <= 10; port++) {
      ten.add(Endpoint.of("http://127.0.0.1:" + port));
    }
    MutableDiscovery discovery = new MutableDiscovery(ten);
    start(
        builder()
            .service(
                "carts",
                s ->
                    s.discovery(discovery)
                        .loadBalancer(LoadBalancerPolicy.consistentHash("X-User-Id"))));
    Map<String, String> before = new HashMap<>();
    for (int user = 0; user < 2000; user++) {
      String key = "user-" + user;
      String first = call(new Request.Builder().url("http://carts/").header("X-User-Id", key));
      assertThat(call(new Request.Builder().url("http://carts/").header("X-User-Id", key)))
          .as("the same key twice")
          .isEqualTo(first);
      before.put(key, first);
    }
    assertThat(Set.copyOf(before.values())).hasSize(10);

    discovery.push(ten.subList(0, 9)); // port 10 leaves
    int moved = 0;
    for (Map.Entry<String, String> e : before.entrySet()) {
      String now = call(new Request.Builder().url("http://carts/").header("X-User-Id", e.getKey()));
      if (!now.equals(e.getValue())) {
        moved++;
        assertThat(e.getValue())
            .as("only keys of the endpoint that left move")
            .isEqualTo("http://127.0.0.1:10");
      }
    }
    assertThat(moved / 2000.0).isBetween(0.05, 0.15);

    // The tag works as the header does, and a key without either is simply balanced.
    Request.Builder tagged =
        new Request.Builder().url("http://carts/").tag(StickyKey.class, new StickyKey("user-7"));
    assertThat(call(tagged))
        .isEqualTo(call(new Request.Builder().url("http://carts/").header("X-User-Id", "user-7")));
    assertThat(call("http://carts/")).startsWith("http://127.0.0.1:");
  }

  @Test
  void endpointMetadataFromOutsideIsChecked() {
    assertThatThrownBy(() -> Endpoint.builder("http://127.0.0.1:1").zone("eu west").build())
        .hasMessageContaining("zone may hold only letters, digits");
    assertThatThrownBy(
            () -> Endpoint.builder("http://127.0.0.1:1").metadata("version", "v2\u0000").build())
        .hasMessageContaining("metadata value of \"version\" must have no control character")
        .hasMessageContaining("\\u0000");
    assertThatThrownBy(() -> Endpoint.builder("http://127.0.0.1:1").metadata("", "x").build())
        .hasMessageContaining("metadata key must be 1 to 128 characters");
    assertThatThrownBy(
            () -> Endpoint.builder("http://127.0.0.1:1").metadata("k", "v".repeat(513)).build())
        .hasMessageContaining("at most 512 characters but was 513");
    assertThat(
            Endpoint.builder("http://127.0.0.1:1")
                .metadata("k" + "x".repeat(127), "\u00e9t\u00e9 " + "v".repeat(500))
                .build()
                .metadata())
        .hasSize(1);
  }
}
