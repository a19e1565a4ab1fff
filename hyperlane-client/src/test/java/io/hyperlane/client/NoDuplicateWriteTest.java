package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.RequestMethod;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The promise "a write is never sent twice", through every configuration of the retry stage, sync
 * and async, with and without a body, and every way OkHttp itself would send a request again: a
 * connection that breaks after the request went out on a reused connection (square/okhttp#2394), a
 * {@code 408}, a {@code 503} with {@code Retry-After: 0}. Each case counts the POSTs the server
 * saw.
 */
class NoDuplicateWriteTest extends LoopbackTest {

  private static final MediaType JSON = MediaType.get("application/json");

  /** Configurations of the stage, each a different path through it. */
  static Stream<Arguments> configurations() {
    return Stream.of(
        Arguments.of("defaults", (UnaryOperator<Hyperlane.Builder>) b -> b),
        Arguments.of(
            "RetryPolicy.none()",
            (UnaryOperator<Hyperlane.Builder>) b -> b.retry(RetryPolicy.none())),
        Arguments.of(
            "maxAttempts(1) and an attempt timeout",
            (UnaryOperator<Hyperlane.Builder>)
                b ->
                    b.retry(
                        RetryPolicy.builder()
                            .maxAttempts(1)
                            .attemptTimeout(Duration.ofSeconds(5))
                            .build())),
        Arguments.of(
            "RetryPolicy.none() with hedging",
            (UnaryOperator<Hyperlane.Builder>)
                b ->
                    b.retry(RetryPolicy.none())
                        .hedging(HedgingPolicy.fixed(Duration.ofSeconds(5), 1))),
        Arguments.of(
            "the service's own RetryPolicy.none()",
            (UnaryOperator<Hyperlane.Builder>) b -> b.retry(RetryPolicy.ofDefaults())));
  }

  private static int execute(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.code();
    }
  }

  private static final class Faults {
    static ResponseDefinitionBuilder of(String name) {
      return switch (name) {
        case "reset after the request was read" ->
            aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER);
        case "408" -> aResponse().withStatus(408);
        case "503 Retry-After: 0" -> aResponse().withStatus(503).withHeader("Retry-After", "0");
        default -> throw new AssertionError(name);
      };
    }
  }

  /**
   * Every configuration, fault and shape of request, but one: a request with no body answered
   * {@code 503} with {@code Retry-After: 0}, which OkHttp sends once more because the server said
   * it did not handle it and asked for it again at once (RFC 9110 §15.6.4); only a one-shot body
   * stops that, and a request with no body has none to mark.
   */
  static Stream<Arguments> cases() {
    return configurations()
        .flatMap(
            c ->
                Stream.of("reset after the request was read", "408", "503 Retry-After: 0")
                    .flatMap(
                        f ->
                            Stream.of("POST", "POST enqueued", "LOCK, no body")
                                .filter(shape -> !(f.startsWith("503") && shape.startsWith("LOCK")))
                                .map(shape -> Arguments.of(c.get()[0], c.get()[1], f, shape))));
  }

  @ParameterizedTest(name = "{0}, {2}, {3}")
  @MethodSource("cases")
  void aWriteReachesTheServerOnce(
      String name, UnaryOperator<Hyperlane.Builder> configuration, String fault, String shape)
      throws Exception {
    replicas = Replicas.start(1);
    Hyperlane.Builder builder =
        configuration.apply(
            Hyperlane.builder()
                .telemetry(false)
                .outlierDetection(OutlierDetection.disabled())
                .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
                .endpointCircuitBreaker(CircuitBreakerPolicy.disabled()));
    if (name.startsWith("the service's own")) {
      builder.service("inventory", s -> s.endpoint(replicas.url(0)).retry(RetryPolicy.none()));
    } else {
      builder.service("inventory", replicas.urls());
    }
    try (Hyperlane hyperlane = builder.build()) {
      OkHttpClient client = hyperlane.wrap(base);
      // A first call leaves a pooled connection: a failure on a reused connection is when OkHttp
      // itself would send the request again.
      assertThat(Replicas.get(client, "http://inventory/warm-up")).isZero();
      replicas.answer(0, Faults.of(fault));
      Request write =
          shape.startsWith("LOCK")
              ? new Request.Builder().url("http://inventory/orders/1").method("LOCK", null).build()
              : new Request.Builder()
                  .url("http://inventory/orders")
                  .post(RequestBody.create("{\"order\":1}", JSON))
                  .build();
      try {
        int code =
            shape.endsWith("enqueued")
                ? Replicas.enqueue(client, write).get(10, TimeUnit.SECONDS)
                : execute(client, write);
        assertThat(code).as("the caller gets the server's answer").isIn(408, 503);
      } catch (IOException | ExecutionException expected) {
        assertThat(fault).isEqualTo("reset after the request was read");
      }
      assertThat(
              replicas
                  .server(0)
                  .findAll(
                      RequestPatternBuilder.newRequestPattern(
                          RequestMethod.fromString(write.method()), anyUrl())))
          .as("writes seen by the server")
          .hasSize(1);
    }
  }
}
