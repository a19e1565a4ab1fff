package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.http.Fault;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Retries through Hyperlane, against loopback replicas that fail in the ways real servers do. */
class RetryTest extends LoopbackTest {

  private static final MediaType JSON = MediaType.get("application/json");

  private final FakeTime time = new FakeTime();
  private final FakeTime sleeper = time; // its sleeps move the clock and are recorded
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .sleeper(sleeper)
        .listener(events::add)
        .outlierDetection(OutlierDetection.disabled())
        .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .slowStart(SlowStart.disabled());
  }

  private static Response post(OkHttpClient client, String json) throws IOException {
    return client
        .newCall(
            new Request.Builder()
                .url("http://inventory/orders")
                .post(RequestBody.create(json, JSON))
                .build())
        .execute();
  }

  @ParameterizedTest
  @EnumSource(
      value = Fault.class,
      names = {
        "CONNECTION_RESET_BY_PEER",
        "EMPTY_RESPONSE",
        "MALFORMED_RESPONSE_CHUNK",
        "RANDOM_DATA_THEN_CLOSE"
      })
  void everyGetSucceedsWhenOneOfThreeReplicasFails(Fault fault) throws Exception {
    replicas = Replicas.start(3);
    replicas.answer(1, aResponse().withFault(fault));
    try (Hyperlane hyperlane =
        builder()
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 60; i++) {
        try (Response response =
            client
                .newCall(new Request.Builder().url("http://inventory/items/" + i).build())
                .execute()) {
          assertThat(response.code()).isEqualTo(200);
          assertThat(response.header("X-Replica")).isIn("0", "2");
          assertThat(response.body().string()).startsWith("replica-");
        }
      }
      assertThat(replicas.received(1)).as("the faulty replica was tried").isPositive();
      assertThat(events)
          .filteredOn(ResilienceEvent.Retry.class::isInstance)
          .hasSize(replicas.received(1));
    }
  }

  @Test
  void withBodyBufferingOffABodyThatBreaksReachesTheCallerWhileItReads() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK));
    try (Hyperlane hyperlane =
        builder()
            .retry(RetryPolicy.builder().bufferBodyUpTo(0).build())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      try (Response response =
          client.newCall(new Request.Builder().url("http://inventory/").build()).execute()) {
        assertThat(response.code()).isEqualTo(200);
        assertThatThrownBy(() -> response.body().string()).isInstanceOf(IOException.class);
      }
      assertThat(replicas.received(0)).isEqualTo(1);
    }
  }

  @Test
  void aPostWhoseConnectionResetsAfterItWasSentReachesTheServerOnceAndTheCallerGetsTheError()
      throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      // A first call leaves a pooled connection: a failure on a reused connection is the case in
      // which OkHttp itself would silently send the request again (square/okhttp#2394).
      assertThat(Replicas.get(client, "http://inventory/warm-up")).isZero();
      replicas.answer(0, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
      assertThatThrownBy(() -> post(client, "{\"order\":1}")).isInstanceOf(IOException.class);
      assertThat(
              replicas
                  .server(0)
                  .findAll(
                      com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(anyUrl())))
          .as("POSTs seen by the server")
          .hasSize(1);
      assertThat(events)
          .singleElement()
          .isInstanceOfSatisfying(
              ResilienceEvent.RetryRefused.class,
              e -> assertThat(e.reason()).isEqualTo(RefusalReason.NOT_IDEMPOTENT));
    }
  }

  @Test
  void aPostRefusedAtConnectIsSentToAnotherEndpoint() throws Exception {
    replicas = Replicas.start(2);
    String dead = replicas.url(0);
    replicas.server(0).stop(); // nothing listens there: connection refused
    try (Hyperlane hyperlane =
        builder()
            .loadBalancer(LoadBalancerPolicy.roundRobin()) // the first pick is the dead one
            .service("inventory", dead, replicas.url(1))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      try (Response response = post(client, "{\"order\":2}")) {
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.header("X-Replica")).isEqualTo("1");
      }
      assertThat(replicas.received(1)).isEqualTo(1);
      assertThat(events).singleElement().isInstanceOf(ResilienceEvent.Retry.class);
    }
  }

  @Test
  void aPostWithAnIdempotencyKeyIsRetriedAfterAResponse() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request request =
          new Request.Builder()
              .url("http://inventory/orders")
              .header("Idempotency-Key", "order-3")
              .post(RequestBody.create("{\"order\":3}", JSON))
              .build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.code()).isEqualTo(200);
      }
      assertThat(replicas.received(0) + replicas.received(1)).isEqualTo(2);
    }
  }

  @Test
  void hyperlaneCanAddIdempotencyKeysToPostsItself() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .retry(RetryPolicy.builder().addIdempotencyKey(true).build())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      try (Response response = post(client, "{\"order\":4}")) {
        assertThat(response.code()).isEqualTo(200);
      }
      String first =
          replicas.server(0).findAll(anyRequestedFor(anyUrl())).get(0).getHeader("Idempotency-Key");
      String second =
          replicas.server(1).findAll(anyRequestedFor(anyUrl())).get(0).getHeader("Idempotency-Key");
      assertThat(first).isNotBlank().isEqualTo(second);
    }
  }

  @Test
  void aOneShotBodyIsNeverSentTwice() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    replicas.answer(1, 503, 0);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      RequestBody oneShot =
          new RequestBody() {
            @Override
            public MediaType contentType() {
              return JSON;
            }

            @Override
            public boolean isOneShot() {
              return true;
            }

            @Override
            public void writeTo(BufferedSink sink) throws IOException {
              sink.writeUtf8("{\"stream\":true}");
            }
          };
      Request put = new Request.Builder().url("http://inventory/blob").put(oneShot).build();
      try (Response response = client.newCall(put).execute()) {
        assertThat(response.code()).isEqualTo(503);
      }
      assertThat(replicas.received(0) + replicas.received(1)).isEqualTo(1);
      assertThat(events)
          .singleElement()
          .isInstanceOfSatisfying(
              ResilienceEvent.RetryRefused.class,
              e -> assertThat(e.reason()).isEqualTo(RefusalReason.BODY_ALREADY_SENT));
    }
  }

  @Test
  void aTotalOutageCostsAtMostTwentyPercentMoreAttemptsPlusTheFloor() throws Exception {
    replicas = Replicas.start(3);
    for (int i = 0; i < 3; i++) {
      replicas.answer(i, 503, 0);
    }
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int i = 0; i < 1000; i++) {
        try (Response response =
            client
                .newCall(new Request.Builder().url("http://inventory/items/" + i).build())
                .execute()) {
          assertThat(response.code()).isEqualTo(503);
        }
      }
      int attempts = replicas.received(0) + replicas.received(1) + replicas.received(2);
      // All of it within one 10 s budget window of fake time: floor = 10/s × 10 s = 100.
      assertThat(time.read() - 1_000_000_000L).isLessThan(Duration.ofSeconds(10).toNanos());
      assertThat(attempts).isLessThanOrEqualTo((int) (1.2 * 1000) + 100).isGreaterThan(1000);
      assertThat(events)
          .filteredOn(
              e ->
                  e instanceof ResilienceEvent.RetryRefused r
                      && r.reason() == RefusalReason.BUDGET_EXHAUSTED)
          .isNotEmpty();
    }
  }

  @Test
  void retryAfterIsRespected() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withStatus(503).withHeader("Retry-After", "2"));
    try (Hyperlane hyperlane =
        builder()
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/")).isEqualTo(1);
      assertThat(sleeper.pauses()).containsExactly(Duration.ofSeconds(2));
    }
  }

  @Test
  void aRetryAfterBeyondTheCapEndsTheRetries() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withStatus(503).withHeader("Retry-After", "30"));
    try (Hyperlane hyperlane =
        builder()
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/")).isZero(); // the 503 itself
      assertThat(sleeper.pauses()).isEmpty();
      assertThat(events)
          .singleElement()
          .isInstanceOfSatisfying(
              ResilienceEvent.RetryRefused.class,
              e -> assertThat(e.reason()).isEqualTo(RefusalReason.RETRY_AFTER_BEYOND_CAP));
    }
  }

  @Test
  void a429IsRetriedOnlyWithRetryAfter() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withStatus(429));
    try (Hyperlane hyperlane =
        builder()
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/")).isZero();
      assertThat(replicas.received(1)).isZero();

      replicas.answer(0, aResponse().withStatus(429).withHeader("Retry-After", "1"));
      Replicas.get(client, "http://inventory/"); // round robin: this one goes to replica 1
      assertThat(Replicas.get(client, "http://inventory/")).isEqualTo(1);
      assertThat(sleeper.pauses()).containsExactly(Duration.ofSeconds(1));
    }
  }

  @Test
  void eachRetryGoesToAnEndpointNotYetTriedForTheCall() throws Exception {
    replicas = Replicas.start(3);
    for (int i = 0; i < 3; i++) {
      replicas.answer(i, 503, 0);
    }
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int call = 0; call < 20; call++) {
        Replicas.get(client, "http://inventory/");
      }
      // 3 attempts per call over 3 endpoints, each endpoint once per call.
      assertThat(replicas.received(0)).isEqualTo(20);
      assertThat(replicas.received(1)).isEqualTo(20);
      assertThat(replicas.received(2)).isEqualTo(20);
    }
  }

  @Test
  void backoffPausesGrowWithFullJitterWithinTheCap() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .retry(
                RetryPolicy.builder()
                    .maxAttempts(6)
                    .backoff(Duration.ofMillis(100), Duration.ofMillis(400))
                    .build())
            .retryBudget(RetryBudget.builder().minRetriesPerSecond(100_000).build())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (int call = 0; call < 40; call++) {
        Replicas.get(client, "http://inventory/");
      }
      long[] ceilings = {100, 200, 400, 400, 400};
      for (int i = 0; i < sleeper.pauses().size(); i++) {
        assertThat(sleeper.pauses().get(i)).isLessThanOrEqualTo(Duration.ofMillis(ceilings[i % 5]));
      }
      assertThat(sleeper.pauses()).hasSize(40 * 5);
      assertThat(sleeper.pauses().stream().distinct().count()).as("jittered").isGreaterThan(100);
    }
  }

  @Test
  void retriesCanBeTurnedOffPerService() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    replicas.answer(1, 503, 0);
    try (Hyperlane hyperlane =
        builder()
            .service(
                "inventory",
                s ->
                    s.endpoint(replicas.url(0)).endpoint(replicas.url(1)).retry(RetryPolicy.none()))
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Replicas.get(client, "http://inventory/");
      assertThat(replicas.received(0) + replicas.received(1)).isEqualTo(1);
      assertThat(events).isEmpty();
    }
  }

  @Test
  void aHostThatIsNotAServiceIsNeverRetried() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 503, 0);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.url(1)).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, replicas.url(0) + "/x")).isZero();
      assertThat(replicas.received(0)).isEqualTo(1);
    }
  }
}
