package io.hyperlane.spring;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.client.ServiceSnapshot;
import io.hyperlane.client.SlowStart;
import io.hyperlane.resilience.CallOptions;
import io.hyperlane.resilience.DeadlineExceededException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.StreamingHttpOutputMessage;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.client.support.RestClientAdapter;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.PostExchange;
import org.springframework.web.service.invoker.HttpServiceProxyFactory;

/**
 * Spring's clients through the factory, against real loopback servers: calls by service name reach
 * every replica, a POST is never sent twice, a body that cannot be written again is resent only
 * when it was never sent, bodies stream both ways, and Hyperlane's errors keep their types.
 */
class HyperlaneClientHttpRequestFactoryTest {

  private final List<WireMockServer> servers = new ArrayList<>();
  private final OkHttpClient base = new OkHttpClient();
  private Hyperlane hyperlane;

  private WireMockServer server() {
    WireMockServer server = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
    server.start();
    servers.add(server);
    return server;
  }

  private static String url(WireMockServer server) {
    return "http://127.0.0.1:" + server.port();
  }

  private RestClient restClient(Hyperlane.Builder builder, String... origins) {
    hyperlane = builder.slowStart(SlowStart.disabled()).service("inventory", origins).build();
    return RestClient.builder()
        .requestFactory(new HyperlaneClientHttpRequestFactory(hyperlane.wrap(base)))
        .baseUrl("http://inventory")
        .build();
  }

  @AfterEach
  void stop() {
    if (hyperlane != null) {
      hyperlane.close();
    }
    servers.forEach(WireMockServer::stop);
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
  }

  @Test
  void restClientCallsAServiceByNameOnEveryReplicaWithItsHeaders() {
    WireMockServer a = server();
    WireMockServer b = server();
    for (WireMockServer s : List.of(a, b)) {
      s.stubFor(get("/items/42").willReturn(aResponse().withStatus(200).withBody("item 42")));
    }
    RestClient rest =
        restClient(
            Hyperlane.builder().loadBalancer(LoadBalancerPolicy.roundRobin()), url(a), url(b));
    for (int i = 0; i < 10; i++) {
      ResponseEntity<String> r =
          rest.get()
              .uri("/items/{id}", 42)
              .header("X-Caller", "tests")
              .retrieve()
              .toEntity(String.class);
      assertThat(r.getBody()).isEqualTo("item 42");
      assertThat(r.getStatusCode().value()).isEqualTo(200);
    }
    for (WireMockServer s : List.of(a, b)) {
      s.verify(
          5, getRequestedFor(urlEqualTo("/items/42")).withHeader("X-Caller", equalTo("tests")));
    }
  }

  @Test
  void aBodyWrittenToGetBodyIsSentWithItsOwnLengthAndMayBeResent() throws IOException {
    WireMockServer a = server();
    a.stubFor(
        put("/items/3")
            .inScenario("flaky")
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("recovered")
            .willReturn(aResponse().withStatus(503)));
    a.stubFor(
        put("/items/3")
            .inScenario("flaky")
            .whenScenarioStateIs("recovered")
            .willReturn(aResponse().withStatus(200).withBody("stored")));
    a.stubFor(get("/items/3").willReturn(aResponse().withStatus(200).withBody("three")));
    restClient(Hyperlane.builder(), url(a));
    HyperlaneClientHttpRequestFactory factory =
        new HyperlaneClientHttpRequestFactory(hyperlane.wrap(base));

    // Code that writes to getBody() (not streaming): buffered, so a retry may resend it whole,
    // with the length of what was written even when the caller's header says otherwise.
    org.springframework.http.client.ClientHttpRequest put =
        factory.createRequest(
            java.net.URI.create("http://inventory/items/3"),
            org.springframework.http.HttpMethod.PUT);
    put.getHeaders().setContentLength(3);
    put.getBody().write("three two".getBytes(StandardCharsets.UTF_8));
    try (org.springframework.http.client.ClientHttpResponse r = put.execute()) {
      assertThat(r.getStatusCode().value()).isEqualTo(200);
    }
    a.verify(2, putRequestedFor(urlEqualTo("/items/3")).withRequestBody(equalTo("three two")));

    // A GET whose body stream was asked for but never written carries no body.
    org.springframework.http.client.ClientHttpRequest get =
        factory.createRequest(
            java.net.URI.create("http://inventory/items/3"),
            org.springframework.http.HttpMethod.GET);
    get.getBody();
    try (org.springframework.http.client.ClientHttpResponse r = get.execute()) {
      assertThat(new String(r.getBody().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("three");
    }
    assertThatThrownBy(get::execute).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void restTemplateNeverSendsAPostTwice() {
    WireMockServer a = server();
    WireMockServer b = server();
    for (WireMockServer s : List.of(a, b)) {
      s.stubFor(post("/orders").willReturn(aResponse().withStatus(503)));
    }
    restClient(Hyperlane.builder(), url(a), url(b));
    RestTemplate template =
        new RestTemplate(new HyperlaneClientHttpRequestFactory(hyperlane.wrap(base)));
    assertThatThrownBy(
            () -> template.postForEntity("http://inventory/orders", "one order", String.class))
        .isInstanceOf(HttpServerErrorException.class);
    int posts =
        a.findAll(postRequestedFor(urlEqualTo("/orders"))).size()
            + b.findAll(postRequestedFor(urlEqualTo("/orders"))).size();
    assertThat(posts).isEqualTo(1);
  }

  @Test
  void anIdempotentGetIsRetriedOnAnotherReplica() {
    WireMockServer failing = server();
    WireMockServer healthy = server();
    failing.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
    healthy.stubFor(get("/items/1").willReturn(aResponse().withStatus(200).withBody("one")));
    RestClient rest =
        restClient(
            Hyperlane.builder().loadBalancer(LoadBalancerPolicy.roundRobin()),
            url(failing),
            url(healthy));
    for (int i = 0; i < 6; i++) {
      assertThat(rest.get().uri("/items/1").retrieve().body(String.class)).isEqualTo("one");
    }
    assertThat(failing.findAll(anyRequestedFor(anyUrl()))).isNotEmpty();
  }

  /** The service's interface, as an application declares it. */
  interface Inventory {
    @GetExchange("/items/{id}")
    String item(@PathVariable("id") String id);

    @PostExchange(url = "/orders", contentType = MediaType.TEXT_PLAIN_VALUE)
    String order(@RequestBody String order);
  }

  @Test
  void anHttpExchangeInterfaceCallsTheServiceByName() {
    WireMockServer a = server();
    a.stubFor(get("/items/7").willReturn(aResponse().withStatus(200).withBody("seven")));
    a.stubFor(
        post("/orders")
            .withRequestBody(equalTo("two of seven"))
            .willReturn(aResponse().withStatus(201).withBody("order 1")));
    RestClient rest = restClient(Hyperlane.builder(), url(a));
    Inventory inventory =
        HttpServiceProxyFactory.builderFor(RestClientAdapter.create(rest))
            .build()
            .createClient(Inventory.class);
    assertThat(inventory.item("7")).isEqualTo("seven");
    assertThat(inventory.order("two of seven")).isEqualTo("order 1");
  }

  @Test
  void aBodyThatCannotBeWrittenAgainIsNotResentOnceSent() {
    WireMockServer a = server();
    a.stubFor(
        put("/items/9")
            .inScenario("flaky")
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("recovered")
            .willReturn(aResponse().withStatus(503)));
    a.stubFor(
        put("/items/9")
            .inScenario("flaky")
            .whenScenarioStateIs("recovered")
            .willReturn(aResponse().withStatus(200).withBody("stored")));
    RestClient rest = restClient(Hyperlane.builder(), url(a));
    byte[] payload = "nine".getBytes(StandardCharsets.UTF_8);

    // A stream (not repeatable): the 503 came after the body was sent, so it is the answer.
    assertThatThrownBy(
            () ->
                rest.put()
                    .uri("/items/9")
                    .body(out -> out.write(payload))
                    .retrieve()
                    .toBodilessEntity())
        .isInstanceOf(HttpServerErrorException.class);
    a.verify(1, putRequestedFor(urlEqualTo("/items/9")));

    // A string (repeatable): the same 503 is retried, and the retry carries the whole body.
    a.resetScenarios();
    assertThat(rest.put().uri("/items/9").body("nine").retrieve().body(String.class))
        .isEqualTo("stored");
    a.verify(3, putRequestedFor(urlEqualTo("/items/9")).withRequestBody(equalTo("nine")));
  }

  @Test
  void aBodyThatCannotBeWrittenAgainIsSentElsewhereWhenItWasNeverSent() throws IOException {
    int refused;
    try (ServerSocket s = new ServerSocket(0)) {
      refused = s.getLocalPort(); // closed again: connections to it are refused
    }
    WireMockServer live = server();
    live.stubFor(put("/items/5").willReturn(aResponse().withStatus(200).withBody("stored")));
    RestClient rest =
        restClient(
            Hyperlane.builder().loadBalancer(LoadBalancerPolicy.roundRobin()),
            "http://127.0.0.1:" + refused,
            url(live));
    byte[] item = new byte[256 * 1024];
    Arrays.fill(item, (byte) 'x');
    for (int i = 0; i < 2; i++) { // round robin: one of the two calls tries the refused port first
      // A PUT, idempotent, so that only the body's being one-shot could stop the retry.
      assertThat(
              rest.put().uri("/items/5").body(out -> out.write(item)).retrieve().body(String.class))
          .isEqualTo("stored");
    }
    assertThat(hyperlane.snapshot().service("inventory").endpoints().get(0).failures())
        .as("the refused endpoint was tried")
        .isPositive();
    assertThat(live.findAll(putRequestedFor(urlEqualTo("/items/5"))))
        .hasSize(2)
        .allSatisfy(r -> assertThat(r.getBody()).hasSize(item.length));
  }

  @Test
  void aFailureOfSpringsOwnBodyCodeIsNotTheEndpointsAndReachesTheCallerAsThrown() {
    WireMockServer a = server();
    WireMockServer b = server();
    WireMockServer c = server();
    for (WireMockServer s : List.of(a, b, c)) {
      s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fine")));
    }
    RestClient rest = restClient(Hyperlane.builder(), url(a), url(b), url(c));
    for (int i = 0; i < 25; i++) { // a converter that cannot serialise: 25 times, on every replica
      assertThatThrownBy(
              () ->
                  rest.post()
                      .uri("/orders")
                      .body(
                          out -> {
                            out.write('{');
                            throw new IllegalStateException("no serializer for Order");
                          })
                      .retrieve()
                      .toBodilessEntity())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("no serializer for Order");
    }
    // A repeatable body whose own source fails: not retried, not counted, its IOException kept.
    StreamingHttpOutputMessage.Body unreadable =
        new StreamingHttpOutputMessage.Body() {
          @Override
          public void writeTo(java.io.OutputStream out) throws IOException {
            throw new java.io.FileNotFoundException("orders.csv");
          }

          @Override
          public boolean repeatable() {
            return true;
          }
        };
    assertThatThrownBy(
            () -> rest.put().uri("/orders/1").body(unreadable).retrieve().toBodilessEntity())
        .isInstanceOf(ResourceAccessException.class)
        .hasCauseInstanceOf(java.io.FileNotFoundException.class);
    ServiceSnapshot service = hyperlane.snapshot().service("inventory");
    assertThat(service.circuit()).isEqualTo("CLOSED");
    for (EndpointSnapshot e : service.endpoints()) {
      assertThat(e.failures()).isZero();
      assertThat(e.ejected()).isFalse();
    }
    assertThat(rest.get().uri("/items/1").retrieve().body(String.class)).isEqualTo("fine");
  }

  @Test
  void callOptionsAndStickyKeysGoInAsRequestAttributes() {
    WireMockServer slow = server();
    slow.stubFor(get("/slow").willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
    RestClient rest = restClient(Hyperlane.builder().timeout(Duration.ofSeconds(30)), url(slow));
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                rest.get()
                    .uri("/slow")
                    .attribute(
                        "hyperlane", CallOptions.builder().timeout(Duration.ofMillis(200)).build())
                    .retrieve()
                    .body(String.class))
        .isInstanceOf(ResourceAccessException.class)
        .hasCauseInstanceOf(DeadlineExceededException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aHeaderHttpCannotCarryIsAnIoErrorNamingIt() {
    WireMockServer a = server();
    RestClient rest = restClient(Hyperlane.builder(), url(a));
    assertThatThrownBy(
            () -> rest.get().uri("/x").header("X-Name", "Jos\u00e9").retrieve().toBodilessEntity())
        .isInstanceOf(ResourceAccessException.class)
        .hasMessageContaining("cannot send header X-Name");
    assertThatThrownBy(
            () -> rest.get().uri("/x").header("X Bad", "v").retrieve().toBodilessEntity())
        .isInstanceOf(ResourceAccessException.class)
        .hasMessageContaining("cannot send header X Bad");
    assertThat(a.findAll(anyRequestedFor(anyUrl()))).isEmpty();
  }

  @Test
  void largeBodiesStreamBothWays() throws IOException {
    WireMockServer a = server();
    byte[] big = new byte[4 * 1024 * 1024];
    Arrays.fill(big, (byte) 'b');
    a.stubFor(get("/export").willReturn(aResponse().withStatus(200).withBody(big)));
    a.stubFor(post("/import").willReturn(aResponse().withStatus(204)));
    RestClient rest = restClient(Hyperlane.builder(), url(a));
    long read =
        rest.get()
            .uri("/export")
            .exchange(
                (request, response) -> {
                  long n = 0;
                  try (InputStream in = response.getBody()) {
                    byte[] chunk = new byte[8192];
                    for (int r = in.read(chunk); r >= 0; r = in.read(chunk)) {
                      n += r;
                    }
                  }
                  return n;
                });
    assertThat(read).isEqualTo(big.length);
    rest.post()
        .uri("/import")
        .body(
            out -> {
              // Handed the connection's stream, not a buffer to be sent afterwards.
              assertThat(out).isNotInstanceOf(java.io.ByteArrayOutputStream.class);
              for (int i = 0; i < 64; i++) {
                out.write(big, 0, 128 * 1024); // 8 MiB in chunks, never held whole
              }
            })
        .retrieve()
        .toBodilessEntity();
    assertThat(a.findAll(postRequestedFor(urlEqualTo("/import"))).get(0).getBody())
        .hasSize(64 * 128 * 1024);
  }

  @Test
  void hyperlanesErrorsReachTheCallerAsTheCauseOfResourceAccessException() {
    WireMockServer slow = server();
    slow.stubFor(get("/slow").willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
    RestClient rest = restClient(Hyperlane.builder().timeout(Duration.ofMillis(200)), url(slow));
    assertThatThrownBy(() -> rest.get().uri("/slow").retrieve().body(String.class))
        .isInstanceOf(ResourceAccessException.class)
        .hasCauseInstanceOf(DeadlineExceededException.class);
  }

  @Test
  void refusesABodyOnAGetAndANonHttpUrlWithAnIoError() {
    WireMockServer a = server();
    RestClient rest = restClient(Hyperlane.builder(), url(a));
    assertThatThrownBy(
            () ->
                rest.method(org.springframework.http.HttpMethod.GET)
                    .uri("/x")
                    .body("b")
                    .retrieve()
                    .toBodilessEntity())
        .isInstanceOf(ResourceAccessException.class)
        .hasMessageContaining("cannot carry a request body");
    assertThatThrownBy(
            () ->
                new HyperlaneClientHttpRequestFactory(base)
                    .createRequest(
                        java.net.URI.create("ftp://example.test/x"),
                        org.springframework.http.HttpMethod.GET)
                    .execute())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not an http or https URL");
  }
}
