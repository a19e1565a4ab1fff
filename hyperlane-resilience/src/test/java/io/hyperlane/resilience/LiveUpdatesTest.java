package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The standalone stages' live updates: the next call follows the new policy, a host the builder did
 * not name is refused, and what the update says stays (a budget, a circuit's reset, a deadline's
 * absence).
 */
class LiveUpdatesTest {

  private final FakeTime time = new FakeTime();
  private final RecordingSleeper sleeper = new RecordingSleeper(time);
  private final ScriptedOrigin origin = new ScriptedOrigin();

  private static Request get(String host) {
    return new Request.Builder().url("http://" + host + "/items").build();
  }

  private static int status(OkHttpClient client, String host) throws IOException {
    try (Response response = client.newCall(get(host)).execute()) {
      return response.code();
    }
  }

  @Test
  void aRetryPolicyUpdatedIsFollowedByTheNextCallAndTheBudgetStays() throws Exception {
    RetryInterceptor retries =
        RetryInterceptor.builder()
            .policy(RetryPolicy.none())
            .policy("catalog", RetryPolicy.none())
            .ticker(time)
            .sleeper(sleeper)
            .scheduler(time)
            .executor(time)
            .build();
    OkHttpClient client = origin.client(retries);
    origin.thenStatus(503);
    assertThat(status(client, "catalog")).isEqualTo(503);
    assertThat(origin.count()).isEqualTo(1);
    double budget = retries.retriesAvailable("catalog");

    retries.update(
        "catalog",
        RetryPolicy.builder().backoff(Duration.ZERO, Duration.ZERO).build(),
        HedgingPolicy.fixed(Duration.ofSeconds(1), 1));
    assertThat(retries.retriesAvailable("catalog")).as("the same budget").isEqualTo(budget);
    assertThat(retries.hedgeDelay("catalog")).contains(Duration.ofSeconds(1));
    origin.thenStatus(503);
    origin.thenStatus(200);
    assertThat(status(client, "catalog")).isEqualTo(200);
    assertThat(origin.count()).as("retried under the new policy").isEqualTo(3);

    assertThatThrownBy(() -> retries.update("elsewhere", RetryPolicy.none(), HedgingPolicy.none()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("elsewhere");
  }

  @Test
  void aTimeoutUpdatedHoldsTheNextCallAndNoneRemovesIt() throws Exception {
    DeadlineInterceptor deadlines =
        DeadlineInterceptor.builder()
            .onlyHosts(Set.of("catalog"))
            .ticker(time)
            .scheduler(time)
            .executor(time)
            .build();
    OkHttpClient client = origin.client(deadlines);
    status(client, "catalog");
    assertThat(origin.request(0).header(Deadline.DEFAULT_HEADER)).isNull();

    deadlines.updateTimeout("catalog", Duration.ofMillis(750));
    status(client, "catalog");
    assertThat(origin.request(1).header(Deadline.DEFAULT_HEADER)).isEqualTo("750");

    deadlines.updateTimeout("catalog", null);
    status(client, "catalog");
    assertThat(origin.request(2).header(Deadline.DEFAULT_HEADER)).isNull();

    assertThatThrownBy(() -> deadlines.updateTimeout("catalog", Duration.ofHours(2)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> deadlines.updateTimeout("elsewhere", Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("elsewhere");
  }

  @Test
  void aCircuitPolicyUpdatedStartsItsCircuitAgainClosedAndDisabledHasNone() throws Exception {
    CircuitBreakerPolicy touchy =
        CircuitBreakerPolicy.serviceDefaults().toBuilder().minimumCalls(2).window(2).build();
    CircuitBreakerInterceptor circuits =
        CircuitBreakerInterceptor.builder().policy("catalog", touchy).ticker(time).build();
    OkHttpClient client = origin.client(circuits);
    origin.thenStatus(500);
    origin.thenStatus(500);
    status(client, "catalog");
    status(client, "catalog");
    assertThat(circuits.state("catalog")).contains(CircuitState.OPEN);

    circuits.update("catalog", touchy);
    assertThat(circuits.state("catalog")).as("a new circuit").contains(CircuitState.CLOSED);
    assertThat(status(client, "catalog")).isEqualTo(200);

    circuits.update("catalog", CircuitBreakerPolicy.disabled());
    assertThat(circuits.state("catalog")).isEmpty();

    assertThatThrownBy(() -> circuits.update("elsewhere", touchy))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("elsewhere");
  }
}
