package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.http.Fault;
import io.hyperlane.cache.HttpCache;
import io.hyperlane.resilience.CallFailedException;
import io.hyperlane.resilience.CallOptions;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.Deadline;
import io.hyperlane.resilience.DeadlineExceededException;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One call's own timeout, retry policy, hedging and cache bypass, through execute and enqueue. */
class CallOptionsTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .sleeper(time)
        .outlierDetection(OutlierDetection.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
        .loadBalancer(LoadBalancerPolicy.roundRobin());
  }

  private static Request get(String url, CallOptions options) {
    return new Request.Builder().url(url).tag(CallOptions.class, options).build();
  }

  private int received() {
    int total = 0;
    for (int i = 0; i < replicas.size(); i++) {
      total += replicas.received(i);
    }
    return total;
  }

  /** Runs {@code request} by {@code execute()} on another thread, or by {@code enqueue()}. */
  private static CompletableFuture<Integer> call(
      OkHttpClient client, Request request, boolean enqueue) {
    if (enqueue) {
      return Replicas.enqueue(client, request);
    }
    return CompletableFuture.supplyAsync(
        () -> {
          try (okhttp3.Response response = client.newCall(request).execute()) {
            return response.code();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private static Throwable failure(CompletableFuture<Integer> call) {
    try {
      call.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      return cause instanceof UncheckedIOException unchecked ? unchecked.getCause() : cause;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the call did not fail");
  }

  @ParameterizedTest(name = "enqueue: {0}")
  @ValueSource(booleans = {false, true})
  void aCallCanTurnRetriesOff(boolean enqueue) throws Exception {
    replicas = Replicas.start(3);
    for (int i = 0; i < 3; i++) {
      replicas.answer(i, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    }
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request once =
          get("http://inventory/", CallOptions.builder().retry(RetryPolicy.none()).build());
      assertThat(failure(call(client, once, enqueue)))
          .isInstanceOf(CallFailedException.class)
          .hasMessageContaining("failed after 1 attempt")
          .hasMessageContaining("retries are off");
      assertThat(received()).isEqualTo(1);
      assertThat(
              failure(
                  call(client, new Request.Builder().url("http://inventory/").build(), enqueue)))
          .as("the service's policy for a call without options")
          .hasMessageContaining("failed after 3 attempts");
      assertThat(received()).isEqualTo(4);
    }
  }

  @ParameterizedTest(name = "enqueue: {0}")
  @ValueSource(booleans = {false, true})
  void aCallCanRetryWhereItsServiceDoesNot(boolean enqueue) throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    replicas.answer(1, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    try (Hyperlane hyperlane =
        builder().retry(RetryPolicy.none()).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request retried =
          get(
              "http://inventory/",
              CallOptions.builder().retry(RetryPolicy.builder().maxAttempts(2).build()).build());
      assertThat(failure(call(client, retried, enqueue)))
          .hasMessageContaining("failed after 2 attempts")
          .hasMessageContaining("all 2 attempts the retry policy allows were made");
      assertThat(received()).isEqualTo(2);
    }
  }

  @ParameterizedTest(name = "enqueue: {0}")
  @ValueSource(booleans = {false, true})
  void aPerCallRetryPolicyStillNeverSendsAPostTwice(boolean enqueue) throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    replicas.answer(1, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    try (Hyperlane hyperlane = builder().service("orders", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request post =
          new Request.Builder()
              .url("http://orders/")
              .post(RequestBody.create("{}", MediaType.get("application/json")))
              .tag(
                  CallOptions.class,
                  CallOptions.builder().retry(RetryPolicy.builder().maxAttempts(5).build()).build())
              .build();
      assertThat(failure(call(client, post, enqueue)))
          .hasMessageContaining("POST is not idempotent");
      assertThat(received()).isEqualTo(1);
    }
  }

  @ParameterizedTest(name = "enqueue: {0}")
  @ValueSource(booleans = {false, true})
  void aPerCallHedgeIsNeverSentForAPost(boolean enqueue) throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 300);
    replicas.answer(1, 200, 300);
    try (Hyperlane hyperlane = builder().service("orders", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request post =
          new Request.Builder()
              .url("http://orders/")
              .post(RequestBody.create("{}", MediaType.get("application/json")))
              .tag(CallOptions.class, CallOptions.builder().hedging(fixed50ms()).build())
              .build();
      CompletableFuture<Integer> call = call(client, post, enqueue);
      while (received() == 0) {
        Thread.onSpinWait();
      }
      time.advance(Duration.ofMillis(100)); // past the hedging delay: a GET would be hedged now
      assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      assertThat(received()).as("the POST went out once").isEqualTo(1);
    }
  }

  @Test
  void aDeadlineTagStillBoundsALongerPerCallTimeout() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 5_000);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request request =
          new Request.Builder()
              .url("http://inventory/")
              .tag(CallOptions.class, CallOptions.builder().timeout(Duration.ofSeconds(1)).build())
              .tag(Deadline.class, Deadline.after(Duration.ofMillis(200), time))
              .build();
      CompletableFuture<Integer> call = call(client, request, true);
      while (time.pendingTasks() == 0 && !call.isDone()) {
        Thread.onSpinWait();
      }
      time.advance(Duration.ofMillis(200));
      assertThat(failure(call)).isInstanceOf(DeadlineExceededException.class);
    }
  }

  @ParameterizedTest(name = "enqueue: {0}")
  @ValueSource(booleans = {false, true})
  void aCallsOwnTimeoutReplacesItsServicesShorterOrLonger(boolean enqueue) throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 5_000); // far slower than either timeout
    try (Hyperlane hyperlane =
        builder().timeout(Duration.ofMillis(100)).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request longer =
          get("http://inventory/", CallOptions.builder().timeout(Duration.ofSeconds(1)).build());
      CompletableFuture<Integer> call = call(client, longer, enqueue);
      while (time.pendingTasks() == 0 && !call.isDone()) { // its deadline timer is armed
        Thread.onSpinWait();
      }
      time.advance(Duration.ofMillis(999));
      assertThat(call).as("the service's 100 ms no longer apply").isNotDone();
      time.advance(Duration.ofMillis(1));
      assertThat(failure(call))
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageStartingWith("deadline of 1 s exceeded for inventory");
    }
  }

  @ParameterizedTest(name = "enqueue: {0}")
  @ValueSource(booleans = {false, true})
  void aCallCanHaveATimeoutItsServiceHasNot(boolean enqueue) throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 5_000);
    try (Hyperlane hyperlane = builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request bounded =
          get("http://inventory/", CallOptions.builder().timeout(Duration.ofMillis(200)).build());
      CompletableFuture<Integer> call = call(client, bounded, enqueue);
      while (time.pendingTasks() == 0 && !call.isDone()) {
        Thread.onSpinWait();
      }
      time.advance(Duration.ofMillis(200));
      assertThat(failure(call))
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageStartingWith("deadline of 200 ms exceeded for inventory");
    }
  }

  @ParameterizedTest(name = "enqueue: {0}")
  @ValueSource(booleans = {false, true})
  void aCallCanTurnHedgingOffOrOn(boolean enqueue) throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 300);
    replicas.answer(1, 200, 300);
    try (Hyperlane hyperlane =
        builder()
            .service(
                "hedged",
                s -> s.endpoint(replicas.url(0)).endpoint(replicas.url(1)).hedging(fixed50ms()))
            .service("plain", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);

      Request once =
          get("http://hedged/", CallOptions.builder().hedging(HedgingPolicy.none()).build());
      CompletableFuture<Integer> unhedged = call(client, once, enqueue);
      while (received() == 0) {
        Thread.onSpinWait();
      }
      time.advance(Duration.ofMillis(100)); // past the service's hedging delay
      assertThat(unhedged.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      assertThat(received()).as("no hedge").isEqualTo(1);

      Request hedged = get("http://plain/", CallOptions.builder().hedging(fixed50ms()).build());
      CompletableFuture<Integer> twice = call(client, hedged, enqueue);
      while (received() == 1) {
        Thread.onSpinWait();
      }
      time.advance(Duration.ofMillis(50));
      assertThat(twice.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      while (received() < 3) { // the hedge reached the other replica
        Thread.onSpinWait();
      }
      assertThat(received()).isEqualTo(3);
    }
  }

  private static HedgingPolicy fixed50ms() {
    return HedgingPolicy.fixed(Duration.ofMillis(50), 1);
  }

  @Test
  void aCallCanBypassTheCacheWhichKeepsWhatItHadAndAWriteStillInvalidates() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(
        0, aResponse().withStatus(200).withBody("v").withHeader("Cache-Control", "max-age=60"));
    try (HttpCache cache = HttpCache.builder().clock(time.wallClock()).build();
        Hyperlane hyperlane = builder().cache(cache).service("catalog", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      CallOptions bypass = CallOptions.builder().bypassCache().build();
      Replicas.get(client, "http://catalog/items");
      Replicas.get(client, "http://catalog/items");
      assertThat(received()).as("the second from the cache").isEqualTo(1);
      Replicas.get(client, get("http://catalog/items", bypass));
      assertThat(received()).as("bypassed").isEqualTo(2);
      Replicas.get(client, "http://catalog/items");
      assertThat(received()).as("the cache still answers").isEqualTo(2);

      Request write =
          new Request.Builder()
              .url("http://catalog/items")
              .post(RequestBody.create("x", MediaType.get("text/plain")))
              .tag(CallOptions.class, bypass)
              .build();
      client.newCall(write).execute().close();
      assertThat(received()).isEqualTo(3);
      Replicas.get(client, "http://catalog/items");
      assertThat(received()).as("the write invalidated the entry").isEqualTo(4);
    }
  }

  @Test
  void optionsAreCheckedWhenMade() {
    assertThatThrownBy(() -> CallOptions.builder().timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be between 1 ms and 1 h but was 0 ms");
    assertThatThrownBy(() -> CallOptions.builder().timeout(Duration.ofMillis(-5)))
        .hasMessageContaining("-5 ms");
    assertThatThrownBy(() -> CallOptions.builder().timeout(Duration.ofHours(2)))
        .hasMessageContaining("2 h");
    assertThatThrownBy(() -> CallOptions.builder().timeout(Duration.ofNanos(1)))
        .hasMessageContaining("1 ns");
    assertThat(
            CallOptions.builder().timeout(Duration.ofMillis(250)).bypassCache().build().toString())
        .isEqualTo("CallOptions{timeout=250 ms, bypassCache}");
  }
}
