package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.hyperlane.resilience.Deadline;
import io.hyperlane.resilience.DeadlineExceededException;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

/** Deadlines across attempts, their propagation downstream, and scopes. */
class DeadlineTest extends LoopbackTest {

  private final FakeTime time = new FakeTime();
  private final FakeTime sleeper = time; // its sleeps move the clock and are recorded
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  private Hyperlane.Builder fakeTime() {
    return FakeTimes.drive(time, Hyperlane.builder())
        .sleeper(sleeper)
        .listener(events::add)
        .outlierDetection(OutlierDetection.disabled())
        .slowStart(SlowStart.disabled())
        .loadBalancer(LoadBalancerPolicy.roundRobin());
  }

  private List<String> headersAt(int replica) {
    return replicas.server(replica).findAll(anyRequestedFor(anyUrl())).stream()
        .map(r -> r.getHeader(Deadline.DEFAULT_HEADER))
        .toList();
  }

  @Test
  void aCallStillRunningAtItsDeadlineIsCancelledThen() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 5_000); // far slower than the deadline
    try (Hyperlane hyperlane =
        fakeTime().timeout(Duration.ofSeconds(1)).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      long started = System.nanoTime();
      CompletableFuture<Throwable> outcome =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  Replicas.get(client, "http://inventory/slow");
                  return null;
                } catch (IOException e) {
                  return e;
                }
              });
      while (time.pendingTasks() == 0 && !outcome.isDone()) { // the deadline timer is armed
        Thread.onSpinWait();
      }
      time.advance(Duration.ofMillis(999));
      assertThat(outcome).isNotDone();
      time.advance(Duration.ofMillis(1)); // the deadline: the timer cancels the call
      Throwable failure = outcome.get(10, TimeUnit.SECONDS);
      assertThat(failure)
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageContaining("inventory");
      assertThat(System.nanoTime() - started)
          .as("did not wait for the slow server")
          .isLessThan(TimeUnit.SECONDS.toNanos(4));
    }
  }

  @Test
  void theDeadlineIsNotOverrunByMoreThanOneSchedulingTick() throws Exception {
    replicas = Replicas.start(1);
    replicas.answer(0, 200, 5_000);
    try (Hyperlane hyperlane =
        Hyperlane.builder() // real time, Hyperlane's own scheduler
            .timeout(Duration.ofMillis(300))
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      long started = System.nanoTime();
      assertThatThrownBy(() -> Replicas.get(client, "http://inventory/slow"))
          .isInstanceOf(DeadlineExceededException.class);
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertThat(elapsedMillis).isBetween(300L, 300L + 250L);
    }
  }

  @Test
  void theRemainingTimeTravelsDownstreamAndShrinksOnEveryAttempt() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withStatus(503).withHeader("Retry-After", "1"));
    try (Hyperlane hyperlane =
        fakeTime().timeout(Duration.ofSeconds(5)).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/")).isEqualTo(1);
      assertThat(headersAt(0)).containsExactly("5000");
      assertThat(headersAt(1)).containsExactly("4000"); // one second later, after Retry-After
    }
  }

  @Test
  void aRetryThatCouldNotStartBeforeTheDeadlineIsNotMade() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, aResponse().withStatus(503).withHeader("Retry-After", "2"));
    try (Hyperlane hyperlane =
        fakeTime().timeout(Duration.ofSeconds(1)).service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThat(Replicas.get(client, "http://inventory/")).isZero(); // the 503 itself
      assertThat(sleeper.pauses()).isEmpty();
      assertThat(headersAt(1)).isEmpty();
      assertThat(events)
          .singleElement()
          .isInstanceOfSatisfying(
              ResilienceEvent.RetryRefused.class,
              e -> assertThat(e.reason()).isEqualTo(RefusalReason.DEADLINE));
    }
  }

  @Test
  @SuppressWarnings("try") // the scope is used by being open
  void everyCallInsideAScopeHonoursItsDeadline() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = fakeTime().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      try (Deadline.Scope scope = Deadline.after(Duration.ofMillis(800), time).enter()) {
        Replicas.get(client, "http://inventory/a");
        time.advance(Duration.ofMillis(300));
        Replicas.get(client, "http://inventory/b");
        time.advance(Duration.ofMillis(500));
        assertThatThrownBy(() -> Replicas.get(client, "http://inventory/c"))
            .isInstanceOf(DeadlineExceededException.class)
            .hasMessageContaining("passed before the call started");
      }
      assertThat(headersAt(0)).containsExactly("800", "500");
      Replicas.get(client, "http://inventory/d"); // outside the scope: no deadline
      assertThat(headersAt(0)).hasSize(3).last().isNull();
    }
  }

  @Test
  @SuppressWarnings("try")
  void anInnerScopeCannotExtendAnOuterOne() throws Exception {
    try (Deadline.Scope outer = Deadline.after(Duration.ofMillis(100), time).enter();
        Deadline.Scope inner = Deadline.after(Duration.ofSeconds(10), time).enter()) {
      assertThat(Deadline.current().orElseThrow().remaining()).isEqualTo(Duration.ofMillis(100));
    }
    assertThat(Deadline.current()).isEmpty();
  }

  @Test
  void anAsynchronousCallHonoursADeadlineAttachedAsATag() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = fakeTime().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request request =
          new Request.Builder()
              .url("http://inventory/async")
              .tag(Deadline.class, Deadline.after(Duration.ofMillis(1500), time))
              .build();
      CompletableFuture<Integer> status = Replicas.enqueue(client, request);
      assertThat(status.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      assertThat(headersAt(0)).containsExactly("1500");
    }
  }

  @Test
  @SuppressWarnings("try") // the scope works by being open
  void anAsynchronousCallMadeInsideAScopeHonoursItsDeadline() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = fakeTime().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      CompletableFuture<Integer> status;
      try (Deadline.Scope scope = Deadline.after(Duration.ofMillis(700), time).enter()) {
        status =
            Replicas.enqueue(client, new Request.Builder().url("http://inventory/async").build());
      }
      assertThat(status.get(10, TimeUnit.SECONDS)).isEqualTo(200);
      assertThat(headersAt(0)).containsExactly("700"); // the scope reached the dispatcher thread
    }
  }

  @Test
  void aHostThatIsNotAServiceGetsNoDeadlineHeader() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane =
        fakeTime()
            .timeout(Duration.ofSeconds(1))
            .service("inventory", "http://127.0.0.1:1")
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Replicas.get(client, replicas.url(0) + "/external");
      LoggedRequest seen = replicas.server(0).findAll(anyRequestedFor(anyUrl())).get(0);
      assertThat(seen.getHeader(Deadline.DEFAULT_HEADER)).isNull();
    }
  }

  @Test
  void hostileInboundHeadersAreIgnored() {
    for (String bad : new String[] {null, "", "-5", "1.5", "abc", " 12 3", "\u0663", "+5"}) {
      assertThat(Deadline.fromHeader(bad, time)).as("\"%s\"", bad).isEmpty();
    }
    // a number beyond range saturates at 999,999,999,999 ms (31 years): in effect, no deadline
    assertThat(Deadline.fromHeader("99999999999999999999999", time).orElseThrow().remaining())
        .isEqualTo(Duration.ofMillis(999_999_999_999L));
    assertThat(Deadline.fromHeader(" 250 ", time).orElseThrow().remaining())
        .isEqualTo(Duration.ofMillis(250));
  }
}
