package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.resilience.DeadlineExceededException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/**
 * Calls sent with {@code enqueue()}: they reach every endpoint of a service as calls made with
 * {@code execute()} do — OkHttp's per-host limit would count the service's name, 5 at once — and a
 * service's timeout counts from {@code enqueue()}, time queued in the dispatcher included.
 */
class AsyncCallsTest extends LoopbackTest {

  @Test
  void enqueuedCallsReachEveryEndpointNotFiveAtOnce() throws Exception {
    replicas = Replicas.start(3);
    for (int i = 0; i < 3; i++) {
      replicas.answer(i, 200, 200);
    }
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .telemetry(false)
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      List<CompletableFuture<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        calls.add(Replicas.enqueue(client, new Request.Builder().url("http://inventory/").build()));
      }
      int most = 0;
      while (!calls.stream().allMatch(CompletableFuture::isDone)) {
        most =
            Math.max(
                most,
                hyperlane.snapshot().service("inventory").endpoints().stream()
                    .mapToInt(EndpointSnapshot::inFlight)
                    .sum());
      }
      for (CompletableFuture<Integer> call : calls) {
        assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      }
      assertThat(most)
          .as("calls in flight at once over the three endpoints")
          .isGreaterThanOrEqualTo(15);
    }
  }

  @Test
  void aServiceTimeoutCountsFromEnqueueIncludingTimeQueued() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 200);
    Dispatcher one = new Dispatcher();
    one.setMaxRequests(1); // the caller's own setting: one call at a time
    OkHttpClient serial = base.newBuilder().dispatcher(one).build();
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .telemetry(false)
            .service("inventory", s -> s.endpoint(replicas.url(0)).timeout(Duration.ofMillis(500)))
            .build()) {
      OkHttpClient client = hyperlane.wrap(serial);
      List<CompletableFuture<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        calls.add(Replicas.enqueue(client, new Request.Builder().url("http://inventory/").build()));
      }
      assertThat(calls.get(0).get(10, TimeUnit.SECONDS)).isEqualTo(200);
      // The third waited about 400 ms in the queue: with 100 ms left, its 200 ms answer is late.
      assertThatFailsWith(calls.get(2), DeadlineExceededException.class);
    } finally {
      one.executorService().shutdown();
    }
  }

  private static void assertThatFailsWith(
      CompletableFuture<Integer> call, Class<? extends IOException> type) throws Exception {
    try {
      call.get(10, TimeUnit.SECONDS);
      throw new AssertionError("the call succeeded");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(type);
    }
  }
}
