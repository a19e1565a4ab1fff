package io.hyperlane.resilience;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The resilience interceptors on a plain OkHttpClient, without Hyperlane: what the README promises
 * a user who only wants retries, deadlines or circuits.
 */
class StandaloneInterceptorsTest {

  private WireMockServer server;
  private final OkHttpClient base = new OkHttpClient();
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();
  private final List<Duration> pauses = new ArrayList<>();

  @BeforeEach
  void start() {
    server = new WireMockServer(options().bindAddress("127.0.0.1").port(0));
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop();
    base.dispatcher().executorService().shutdown();
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  private int status(OkHttpClient client, String path) throws Exception {
    try (Response response =
        client.newCall(new Request.Builder().url(url(path)).build()).execute()) {
      return response.code();
    }
  }

  @Test
  void retryInterceptorRetriesA503OnAnyClient() throws Exception {
    server.stubFor(
        any(anyUrl())
            .inScenario("flaky")
            .whenScenarioStateIs(Scenario.STARTED)
            .willReturn(aResponse().withStatus(503))
            .willSetStateTo("recovered"));
    server.stubFor(
        any(anyUrl())
            .inScenario("flaky")
            .whenScenarioStateIs("recovered")
            .willReturn(aResponse().withStatus(200)));
    OkHttpClient client =
        base.newBuilder()
            .addInterceptor(
                RetryInterceptor.builder()
                    .sleeper(
                        (queue, timeoutNanos) -> {
                          pauses.add(Duration.ofNanos(timeoutNanos));
                          return queue.poll();
                        })
                    .listener(events::add)
                    .build())
            .build();
    assertThat(status(client, "/items")).isEqualTo(200);
    assertThat(server.findAll(anyRequestedFor(anyUrl()))).hasSize(2);
    assertThat(pauses)
        .singleElement()
        .satisfies(p -> assertThat(p).isLessThanOrEqualTo(Duration.ofMillis(25)));
    assertThat(events).singleElement().isInstanceOf(ResilienceEvent.Retry.class);
  }

  @Test
  void aHostGivenNoRetriesIsNotRetried() throws Exception {
    server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
    OkHttpClient client =
        base.newBuilder()
            .addInterceptor(
                RetryInterceptor.builder()
                    .policy("127.0.0.1", RetryPolicy.none())
                    .sleeper(
                        (queue, timeoutNanos) -> {
                          pauses.add(Duration.ofNanos(timeoutNanos));
                          return queue.poll();
                        })
                    .build())
            .build();
    assertThat(status(client, "/items")).isEqualTo(503);
    assertThat(server.findAll(anyRequestedFor(anyUrl()))).hasSize(1);
  }

  @Test
  void circuitBreakerInterceptorOpensPerHostOnAnyClient() throws Exception {
    server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(500)));
    long[] now = {0};
    CircuitBreakerInterceptor circuits =
        CircuitBreakerInterceptor.builder().ticker(() -> now[0]).listener(events::add).build();
    OkHttpClient client = base.newBuilder().addInterceptor(circuits).build();
    for (int i = 0; i < 20; i++) { // the service defaults judge after 20 calls
      assertThat(status(client, "/x")).isEqualTo(500);
    }
    assertThatThrownBy(() -> status(client, "/x"))
        .isInstanceOfSatisfying(
            CircuitOpenException.class, e -> assertThat(e.service()).isEqualTo("127.0.0.1"));
    assertThat(server.findAll(anyRequestedFor(anyUrl()))).hasSize(20);
    assertThat(circuits.circuit("127.0.0.1").getState().name()).isEqualTo("OPEN");
    assertThat(events).filteredOn(ResilienceEvent.CircuitStateChanged.class::isInstance).hasSize(1);
  }

  @Test
  void deadlineInterceptorBoundsACallOnAnyClient() throws Exception {
    server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
    OkHttpClient client =
        base.newBuilder()
            .addInterceptor(DeadlineInterceptor.builder().timeout(Duration.ofMillis(200)).build())
            .build();
    long started = System.nanoTime();
    assertThatThrownBy(() -> status(client, "/slow")).isInstanceOf(DeadlineExceededException.class);
    assertThat(System.nanoTime() - started).isLessThan(Duration.ofSeconds(2).toNanos());
    String left =
        server
            .findAll(anyRequestedFor(anyUrl()))
            .get(0)
            .getHeader(Deadline.DEFAULT_HEADER); // real time: a little has passed already
    assertThat(Integer.parseInt(left)).isBetween(100, 200);
  }

  @Test
  void aStandaloneCircuitStageKeepsABoundedNumberOfCircuits() throws Exception {
    CircuitBreakerInterceptor circuits = CircuitBreakerInterceptor.builder().build();
    okhttp3.OkHttpClient crawler =
        new okhttp3.OkHttpClient.Builder()
            .addInterceptor(circuits)
            .addInterceptor(
                chain ->
                    new okhttp3.Response.Builder()
                        .request(chain.request())
                        .protocol(okhttp3.Protocol.HTTP_1_1)
                        .code(200)
                        .message("OK")
                        .body(okhttp3.ResponseBody.create("", null))
                        .build())
            .build();
    for (int i = 0; i < CircuitBreakerInterceptor.MAX_CIRCUITS + 2_000; i++) {
      crawler
          .newCall(new okhttp3.Request.Builder().url("http://site-" + i + ".example/").build())
          .execute()
          .close();
    }
    assertThat(circuits.size()).isLessThanOrEqualTo(CircuitBreakerInterceptor.MAX_CIRCUITS);
  }
}
