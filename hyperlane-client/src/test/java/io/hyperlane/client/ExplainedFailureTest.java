package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.tomakehurst.wiremock.http.Fault;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.hyperlane.resilience.CallFailedException;
import io.hyperlane.resilience.CallOptions;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.DeadlineExceededException;
import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.testing.FakeTime;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.Test;

/**
 * When a call gives up, its exception tells the story: the service, the attempts, why no other was
 * made, and what each attempt met.
 */
class ExplainedFailureTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();

  private Hyperlane.Builder builder() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .sleeper(time)
        .outlierDetection(OutlierDetection.disabled())
        .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
        .loadBalancer(LoadBalancerPolicy.roundRobin());
  }

  @Test
  void threeEndpointsDownNameTheServiceEveryEndpointAndEveryFailure() throws Exception {
    replicas = Replicas.start(3);
    String[] dead = replicas.urls();
    replicas.close(); // nothing listens on any of them any more
    try (Hyperlane hyperlane = builder().service("inventory", dead).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThatThrownBy(() -> Replicas.get(client, "http://inventory/items"))
          .isInstanceOfSatisfying(
              CallFailedException.class,
              e -> {
                assertThat(e.service()).isEqualTo("inventory");
                assertThat(e.reason()).isEqualTo(RefusalReason.ATTEMPTS_EXHAUSTED);
                assertThat(e.attempts())
                    .extracting(CallFailedException.Attempt::endpoint)
                    .as("each retry went to an endpoint not yet tried")
                    .containsExactlyInAnyOrder(dead);
                assertThat(e.attempts())
                    .allSatisfy(a -> assertThat(a.failure()).isInstanceOf(ConnectException.class));
                assertThat(e.getCause()).isSameAs(e.attempts().get(2).failure());
                assertThat(e.getSuppressed())
                    .containsExactly(e.attempts().get(0).failure(), e.attempts().get(1).failure());
                assertThat(e.getMessage())
                    .startsWith("GET inventory failed after 3 attempts in ")
                    .contains("all 3 attempts the retry policy allows were made");
                for (String url : dead) {
                  assertThat(e.getMessage()).contains(url + ": java.net.ConnectException");
                }
                assertThat(e.getMessage())
                    .as("durations as people write them")
                    .containsPattern(" in [0-9.]+ (ms|µs|s): ")
                    .doesNotContain("PT");
              });
    }
  }

  @Test
  void aServiceCircuitsExceptionRulesSeeTheLastAttemptsFailure() throws Exception {
    Replicas gone = Replicas.start(1);
    String dead = gone.url(0);
    gone.close();
    replicas = Replicas.start(1);
    replicas.answer(0, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    List<Throwable> seenByTheCircuit = new CopyOnWriteArrayList<>();
    CircuitBreakerPolicy recording =
        CircuitBreakerPolicy.of(
            CircuitBreakerConfig.custom()
                .recordException(
                    t -> {
                      seenByTheCircuit.add(t);
                      return true;
                    })
                .build());
    try (Hyperlane hyperlane =
        builder()
            .retry(RetryPolicy.builder().maxAttempts(2).build()) // one attempt on each
            .serviceCircuitBreaker(recording)
            .service("inventory", replicas.url(0), dead)
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Throwable thrown = catchThrowable(() -> Replicas.get(client, "http://inventory/"));
      assertThat(thrown).isInstanceOf(CallFailedException.class);
      assertThat(seenByTheCircuit)
          .as("the circuit's rules see the last attempt's failure itself")
          .singleElement()
          .isSameAs(thrown.getCause());
      assertThat(thrown.getSuppressed()[0].getClass()).isNotEqualTo(thrown.getCause().getClass());
    }
  }

  @Test
  void aSpentBudgetSaysSoAfterTheOneAttemptItAllowed() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    replicas.answer(1, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    try (Hyperlane hyperlane =
        builder()
            .retryBudget(RetryBudget.builder().minRetriesPerSecond(0).maxRetryShare(0).build())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThatThrownBy(() -> Replicas.get(client, "http://inventory/items"))
          .isInstanceOfSatisfying(
              CallFailedException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(RefusalReason.BUDGET_EXHAUSTED);
                assertThat(e.attempts()).hasSize(1);
                assertThat(e.getMessage())
                    .contains("failed after 1 attempt in ", "retry budget is spent");
              });
      assertThat(replicas.received(0) + replicas.received(1)).isEqualTo(1);
    }
  }

  @Test
  void aPostThatMayHaveArrivedIsNotSentAgainAndTheExceptionSaysWhy() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    replicas.answer(1, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    try (Hyperlane hyperlane = builder().service("orders", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request post =
          new Request.Builder()
              .url("http://orders/orders")
              .post(RequestBody.create("{}", MediaType.get("application/json")))
              .build();
      assertThatThrownBy(() -> client.newCall(post).execute().close())
          .isInstanceOfSatisfying(
              CallFailedException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(RefusalReason.NOT_IDEMPOTENT);
                assertThat(e.getMessage())
                    .startsWith("POST orders failed after 1 attempt")
                    .contains("POST is not idempotent and the request may have reached the server");
              });
      assertThat(replicas.received(0) + replicas.received(1)).as("sent once").isEqualTo(1);
    }
  }

  @Test
  void aDeadlineThatCutsTheCallListsTheAttemptsBeforeIt() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    replicas.answer(1, 200, 5_000); // answers long after the deadline
    try (Hyperlane hyperlane =
        builder().timeout(Duration.ofMillis(300)).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      CompletableFuture<Integer> call =
          Replicas.enqueue(client, new Request.Builder().url("http://inventory/").build());
      while (replicas.received(1) == 0 && !call.isDone()) { // the retry reached the slow replica
        Thread.onSpinWait();
      }
      time.advance(Duration.ofMillis(300));
      assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageStartingWith("deadline of 300 ms exceeded for inventory: ")
          .hasMessageContaining("after 2 attempts [#1 " + replicas.url(0) + ": ")
          .hasMessageContaining("#2 " + replicas.url(1) + ": ")
          .satisfies(e -> assertThat(e.getSuppressed()).isNotEmpty());
    }
  }

  @Test
  void aHostThatIsNoServiceFailsAsPlainOkHttpWould() throws Exception {
    replicas = Replicas.start(1);
    String dead = replicas.url(0);
    replicas.close();
    try (Hyperlane hyperlane = builder().service("inventory", "http://127.0.0.1:1").build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThatThrownBy(() -> Replicas.get(client, dead + "/x"))
          .isInstanceOf(ConnectException.class);
      Request withOptions =
          new Request.Builder()
              .url(dead + "/x")
              .tag(
                  CallOptions.class,
                  CallOptions.builder().retry(RetryPolicy.builder().maxAttempts(3).build()).build())
              .build();
      assertThatThrownBy(() -> Replicas.get(client, withOptions))
          .as("options are for service calls: another host is called as without Hyperlane")
          .isInstanceOf(ConnectException.class);
    }
  }
}
