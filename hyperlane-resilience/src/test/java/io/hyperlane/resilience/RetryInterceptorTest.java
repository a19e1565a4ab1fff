package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import io.hyperlane.resilience.ScriptedOrigin.Reply;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSink;
import okio.Source;
import okio.Timeout;
import org.junit.jupiter.api.Test;

/**
 * The retry stage on its own, over a scripted origin and fake time: what is retried, what is not
 * and why, how long it waits, what it closes, what each attempt carries.
 */
class RetryInterceptorTest {

  private final FakeTime time = new FakeTime();
  private final RecordingSleeper sleeper = new RecordingSleeper(time);
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();
  private final ScriptedOrigin origin = new ScriptedOrigin();

  /** Draws the largest pause full jitter allows, so that a pause shows its ceiling. */
  private static final RandomGenerator HIGHEST =
      new RandomGenerator() {
        @Override
        public long nextLong() {
          throw new UnsupportedOperationException();
        }

        @Override
        public long nextLong(long bound) {
          return bound - 1;
        }
      };

  private RetryInterceptor.Builder retry(RetryPolicy policy) {
    return RetryInterceptor.builder()
        .policy(policy)
        .ticker(time)
        .sleeper(sleeper)
        .scheduler(time)
        .executor(time)
        .listener(events::add)
        .random(HIGHEST);
  }

  private OkHttpClient client(RetryPolicy policy) {
    return origin.client(retry(policy).build());
  }

  private static Request get() {
    return new Request.Builder().url("http://catalog/items").build();
  }

  private static Request post(RequestBody body) {
    return new Request.Builder().url("http://catalog/orders").post(body).build();
  }

  private static RequestBody json(String text) {
    return RequestBody.create(text, MediaType.get("application/json"));
  }

  private static RequestBody oneShot(String text) {
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("text/plain");
      }

      @Override
      public boolean isOneShot() {
        return true;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        sink.writeUtf8(text);
      }
    };
  }

  /** An answer that sends the request's body, then fails as a broken connection would. */
  private static ScriptedOrigin.Answer writesThenFails() {
    return chain -> {
      chain.request().body().writeTo(new Buffer());
      throw new IOException("unexpected end of stream");
    };
  }

  private static UnsentRequestException unsent(String message) {
    return new UnsentRequestException(message) {
      private static final long serialVersionUID = 1L;
    };
  }

  private String body(Response response) throws IOException {
    return response.body().string();
  }

  @Test
  void aRetriableStatusIsRetriedAndTheFailedResponseClosedFirst() throws Exception {
    Reply failed = origin.thenStatus(503);
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(body(response)).isEqualTo("ok");
    }
    assertThat(origin.count()).isEqualTo(2);
    assertThat(failed.closed()).isTrue();
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.Retry.class,
            r -> {
              assertThat(r.attempt()).isEqualTo(1);
              assertThat(r.cause()).isEqualTo("503");
              assertThat(r.delay())
                  .isEqualTo(Duration.ofMillis(25)); // base × 2^0, the highest draw
            });
    assertThat(sleeper.pauses).containsExactly(Duration.ofMillis(25));
  }

  @Test
  void afterTheLastAttemptTheCallerGetsTheLastResponseOpen() throws Exception {
    Reply first = origin.thenStatus(502);
    Reply second = origin.thenStatus(504);
    Reply third = origin.thenStatus(503);
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(body(response)).isEqualTo("body 503");
    }
    assertThat(first.closed()).isTrue();
    assertThat(second.closed()).isTrue();
    assertThat(origin.count()).isEqualTo(3);
    assertThat(sleeper.pauses).containsExactly(Duration.ofMillis(25), Duration.ofMillis(50));
    assertThat(events).hasSize(3);
    assertThat(events.get(2))
        .isInstanceOfSatisfying(
            ResilienceEvent.RetryRefused.class,
            r -> {
              assertThat(r.attempts()).isEqualTo(3);
              assertThat(r.reason()).isEqualTo(RefusalReason.ATTEMPTS_EXHAUSTED);
              assertThat(r.cause()).isEqualTo("503");
            });
  }

  @Test
  void aStatusThePolicyDoesNotNameIsReturnedAsItIs() throws Exception {
    origin.thenStatus(500);
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(500);
    }
    assertThat(origin.count()).isEqualTo(1);
    assertThat(events).isEmpty();
  }

  @Test
  void anIoFailureIsRetriedAndTheCallFailsTellingEveryAttempt() throws Exception {
    origin
        .thenFail(new IOException("reset 1"))
        .thenFail(new IOException("reset 2"))
        .thenFail(new IOException("reset 3"));
    assertThatThrownBy(() -> client(RetryPolicy.ofDefaults()).newCall(get()).execute())
        .isInstanceOfSatisfying(
            CallFailedException.class,
            e -> {
              assertThat(e.service()).isEqualTo("catalog");
              assertThat(e.reason()).isEqualTo(RefusalReason.ATTEMPTS_EXHAUSTED);
              assertThat(e.attempts())
                  .extracting(a -> a.number() + " " + a.failure().getMessage())
                  .containsExactly("1 reset 1", "2 reset 2", "3 reset 3");
              assertThat(e.getCause()).hasMessage("reset 3");
              assertThat(e.getSuppressed())
                  .extracting(Throwable::getMessage)
                  .containsExactly("reset 1", "reset 2");
              assertThat(e.getMessage())
                  .startsWith("GET catalog failed after 3 attempts in ")
                  .contains(": all 3 attempts the retry policy allows were made [#1: ")
                  .contains("#2: java.io.IOException: reset 2 (")
                  .endsWith(" ms)]");
            });
    assertThat(origin.count()).isEqualTo(3);
    assertThat(events.get(0))
        .isInstanceOfSatisfying(
            ResilienceEvent.Retry.class,
            r -> assertThat(r.cause()).isEqualTo("java.io.IOException"));
  }

  /** A routing stage's word on whether endpoints this call has not tried are left. */
  private static Interceptor untriedLeft(boolean left) {
    return chain -> {
      AttemptContext.of(chain).untriedEndpointsLeft(left);
      return chain.proceed(chain.request());
    };
  }

  @Test
  void withFailoverAnAttemptThatNeverReachedAServerIsRetriedElsewhereWithoutAPause()
      throws Exception {
    origin.thenFail(new IOException("reset after sending"));
    origin.thenFail(new ConnectException("refused"));
    origin.thenStatus(200);
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults()).failoverAtOnce(true).build(), untriedLeft(true));
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    // The first retry goes at once; the refused attempt added load nowhere: no pause either.
    assertThat(sleeper.pauses).containsExactly(Duration.ZERO, Duration.ZERO);
  }

  @Test
  void aRetryThatCanOnlyGoBackToATriedServerBacksOffEvenWithFailover() throws Exception {
    origin.thenFail(new ConnectException("refused")).thenFail(new IOException("reset"));
    origin.thenStatus(200);
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults()).failoverAtOnce(true).build(), untriedLeft(false));
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(sleeper.pauses).containsExactly(Duration.ofMillis(25), Duration.ofMillis(50));

    // Standalone (no failover): the same server again, refused or not, after the backoff.
    sleeper.pauses.clear();
    origin.thenFail(new ConnectException("refused"));
    origin.thenStatus(200);
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(sleeper.pauses).containsExactly(Duration.ofMillis(25));
  }

  @Test
  void withFailoverTheFirstRetryGoesAtOnceAndTheBackoffStartsWithTheSecond() throws Exception {
    origin.thenFail(new IOException("reset 1")).thenFail(new IOException("reset 2"));
    origin.thenStatus(200);
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults()).failoverAtOnce(true).build(), untriedLeft(true));
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(sleeper.pauses).containsExactly(Duration.ZERO, Duration.ofMillis(25));

    // Without failover (the default, for a retry that goes back to the same server): 25, then 50.
    sleeper.pauses.clear();
    origin.thenFail(new IOException("reset 1")).thenFail(new IOException("reset 2"));
    origin.thenStatus(200);
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(sleeper.pauses).containsExactly(Duration.ofMillis(25), Duration.ofMillis(50));
  }

  @Test
  void backoffDoublesUpToItsCapAndFullJitterDrawsFromZeroToTheCeiling() {
    RetryPolicy policy =
        RetryPolicy.builder()
            .maxAttempts(10)
            .backoff(Duration.ofMillis(10), Duration.ofMillis(45))
            .build();
    assertThat(RetryInterceptor.backoff(policy, 1, HIGHEST)).isEqualTo(10_000_000);
    assertThat(RetryInterceptor.backoff(policy, 2, HIGHEST)).isEqualTo(20_000_000);
    assertThat(RetryInterceptor.backoff(policy, 3, HIGHEST)).isEqualTo(40_000_000);
    assertThat(RetryInterceptor.backoff(policy, 4, HIGHEST)).isEqualTo(45_000_000);
    assertThat(RetryInterceptor.backoff(policy, 64, HIGHEST))
        .as("no overflow")
        .isEqualTo(45_000_000);
    RandomGenerator lowest =
        new RandomGenerator() {
          @Override
          public long nextLong() {
            return 0;
          }

          @Override
          public long nextLong(long bound) {
            assertThat(bound).isEqualTo(10_000_001); // the ceiling itself can be drawn
            return 0;
          }
        };
    assertThat(RetryInterceptor.backoff(policy, 1, lowest)).isZero();
    RetryPolicy none = RetryPolicy.builder().backoff(Duration.ZERO, Duration.ZERO).build();
    assertThat(RetryInterceptor.backoff(none, 1, HIGHEST)).isZero();
    RetryPolicy noBase =
        RetryPolicy.builder().backoff(Duration.ZERO, Duration.ofMillis(100)).build();
    assertThat(RetryInterceptor.backoff(noBase, 3, HIGHEST)).as("no base: no pause").isZero();
    RetryPolicy huge =
        RetryPolicy.builder()
            .maxAttempts(10)
            .backoff(Duration.ofSeconds(40), Duration.ofMinutes(1))
            .build();
    assertThat(RetryInterceptor.backoff(huge, 40, HIGHEST))
        .as("a shifted-out ceiling is capped")
        .isEqualTo(Duration.ofMinutes(1).toNanos());
    for (int i = 0; i < 1_000; i++) {
      assertThat(RetryInterceptor.backoff(policy, 3, null)).isBetween(0L, 40_000_000L);
    }
  }

  @Test
  void a429IsRetriedOnlyWhenItSaysWhenAndThenAfterExactlyThat() throws Exception {
    origin.thenStatus(429);
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(response.code()).as("no Retry-After: returned").isEqualTo(429);
    }
    assertThat(origin.count()).isEqualTo(1);

    Reply limited = origin.thenStatus(429, "Retry-After", "2");
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(limited.closed()).isTrue();
    assertThat(sleeper.pauses).containsExactly(Duration.ofSeconds(2));
  }

  @Test
  void aRetryAfterOnARetriableStatusReplacesTheBackoff() throws Exception {
    origin.thenStatus(503, "Retry-After", "3");
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(sleeper.pauses).containsExactly(Duration.ofSeconds(3));
  }

  @Test
  void aRetryAfterDateIsMeasuredAgainstTheInjectedClock() throws Exception {
    Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    origin.thenStatus(503, "Retry-After", "Thu, 01 Jan 2026 00:00:04 GMT");
    OkHttpClient client = origin.client(retry(RetryPolicy.ofDefaults()).clock(clock).build());
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(sleeper.pauses).containsExactly(Duration.ofSeconds(4));
  }

  @Test
  void aRetryAfterBeyondTheCapIsNotWaitedFor() throws Exception {
    RetryPolicy policy = RetryPolicy.builder().retryAfterCap(Duration.ofSeconds(5)).build();
    origin.thenStatus(503, "Retry-After", "6");
    try (Response response = client(policy).newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(503);
    }
    assertThat(origin.count()).isEqualTo(1);
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.RetryRefused.class,
            r -> assertThat(r.reason()).isEqualTo(RefusalReason.RETRY_AFTER_BEYOND_CAP));

    origin.thenStatus(503, "Retry-After", "5");
    try (Response response = client(policy).newCall(get()).execute()) {
      assertThat(response.code()).as("exactly the cap is still waited for").isEqualTo(200);
    }
  }

  @Test
  void aPostThatMayHaveBeenSentIsNeverRetried() throws Exception {
    Reply failed = origin.thenStatus(503);
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(post(json("{}"))).execute()) {
      assertThat(response.code()).isEqualTo(503);
      assertThat(failed.closed()).as("the caller's to read").isFalse();
    }
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.RetryRefused.class,
            r -> assertThat(r.reason()).isEqualTo(RefusalReason.NOT_IDEMPOTENT));

    origin.then(writesThenFails());
    assertThatThrownBy(() -> client(RetryPolicy.ofDefaults()).newCall(post(json("{}"))).execute())
        .isInstanceOfSatisfying(
            CallFailedException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(RefusalReason.NOT_IDEMPOTENT);
              assertThat(e.attempts()).hasSize(1);
              assertThat(e.getMessage())
                  .contains(
                      "POST catalog failed after 1 attempt in ",
                      "POST is not idempotent and the request may have reached the server");
            })
        .cause()
        .hasMessage("unexpected end of stream");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void aPostThatProvablyNeverLeftIsRetried() throws Exception {
    origin.thenFail(new ConnectException("refused"));
    origin.thenFail(unsent("no endpoint"));
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(post(json("{}"))).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(origin.count()).isEqualTo(3);
    assertThat(origin.arrivals)
        .allSatisfy(
            a ->
                assertThat(a.bodyOneShot())
                    .as("a body that must not be sent twice is one-shot on every attempt")
                    .isTrue());
  }

  @Test
  void aPostWithoutABodyIsNotResentByOkHttpEitherAndAnIdempotentOneIs() throws Exception {
    Request bodyless =
        new Request.Builder().url("http://catalog/ping").method("LOCK", null).build();
    client(RetryPolicy.ofDefaults()).newCall(bodyless).execute().close();
    client(RetryPolicy.ofDefaults()).newCall(get()).execute().close();
    assertThat(origin.arrivals.get(0).retryOnConnectionFailure()).isFalse();
    assertThat(origin.arrivals.get(1).retryOnConnectionFailure()).isTrue();
  }

  @Test
  void whatProvesARequestNeverLeft() throws Exception {
    assertThat(RetryInterceptor.neverSent(new ConnectException("refused"), null)).isTrue();
    assertThat(RetryInterceptor.neverSent(new NoRouteToHostException(), null)).isTrue();
    assertThat(RetryInterceptor.neverSent(new UnknownHostException("x"), null)).isTrue();
    assertThat(RetryInterceptor.neverSent(unsent("x"), null)).isTrue();
    assertThat(RetryInterceptor.neverSent(new IOException("wrapped", unsent("x")), null)).isTrue();
    assertThat(RetryInterceptor.neverSent(new SocketTimeoutException("Connect timed out"), null))
        .isTrue();
    assertThat(RetryInterceptor.neverSent(new IOException("x", new ConnectException()), null))
        .isTrue();
    assertThat(RetryInterceptor.neverSent(new SocketTimeoutException("Read timed out"), null))
        .isFalse();
    assertThat(RetryInterceptor.neverSent(new SocketTimeoutException(), null)).isFalse();
    assertThat(RetryInterceptor.neverSent(new IOException("reset"), null)).isFalse();

    TrackedBody written = new TrackedBody(json("{}"), true);
    TrackedBody unwritten = new TrackedBody(json("{}"), true);
    written.writeTo(new Buffer());
    assertThat(RetryInterceptor.neverSent(new ConnectException("refused"), written))
        .as("once its body started, a refused connection proves nothing")
        .isFalse();
    assertThat(RetryInterceptor.neverSent(unsent("x"), written)).isTrue();
    assertThat(RetryInterceptor.neverSent(new ConnectException("refused"), unwritten)).isTrue();
  }

  @Test
  void anIdempotentOneShotBodyIsNotRetriedOnceItsWritingStarted() throws Exception {
    Request put = new Request.Builder().url("http://catalog/items/1").put(oneShot("v")).build();
    origin.then(writesThenFails());
    assertThatThrownBy(() -> client(RetryPolicy.ofDefaults()).newCall(put).execute())
        .isInstanceOf(IOException.class);
    assertThat(origin.count()).isEqualTo(1);
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.RetryRefused.class,
            r -> assertThat(r.reason()).isEqualTo(RefusalReason.BODY_ALREADY_SENT));

    origin.thenFail(new ConnectException("refused")); // written by nobody: retried
    client(RetryPolicy.ofDefaults())
        .newCall(new Request.Builder().url("http://catalog/items/1").put(oneShot("v")).build())
        .execute()
        .close();
    assertThat(origin.count()).isEqualTo(3);
  }

  @Test
  void anIdempotentBodyThatCanBeWrittenTwiceIsRetriedAfterItWasSent() throws Exception {
    Request put = new Request.Builder().url("http://catalog/items/1").put(json("{}")).build();
    origin.then(writesThenFails());
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(put).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(origin.count()).isEqualTo(2);
    assertThat(origin.arrivals).allSatisfy(a -> assertThat(a.bodyOneShot()).isFalse());
  }

  @Test
  void anIdempotencyKeyMakesAPostRetriableAndIsAddedWhenThePolicySaysSo() throws Exception {
    RetryPolicy keyed = RetryPolicy.builder().addIdempotencyKey(true).build();
    origin.thenStatus(503);
    try (Response response = client(keyed).newCall(post(json("{}"))).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    String key = origin.request(0).header(RetryPolicy.IDEMPOTENCY_KEY);
    assertThat(key).hasSize(36);
    assertThat(origin.request(1).header(RetryPolicy.IDEMPOTENCY_KEY))
        .as("the same on the retry")
        .isEqualTo(key);

    Request own =
        new Request.Builder()
            .url("http://catalog/orders")
            .post(json("{}"))
            .header(RetryPolicy.IDEMPOTENCY_KEY, "mine")
            .build();
    client(keyed).newCall(own).execute().close();
    assertThat(origin.request(2).header(RetryPolicy.IDEMPOTENCY_KEY)).isEqualTo("mine");

    Request patch = new Request.Builder().url("http://catalog/orders/1").patch(json("{}")).build();
    client(keyed).newCall(patch).execute().close();
    assertThat(origin.request(3).header(RetryPolicy.IDEMPOTENCY_KEY)).isNotNull();

    client(keyed).newCall(get()).execute().close();
    Request delete = new Request.Builder().url("http://catalog/orders/1").delete().build();
    client(keyed).newCall(delete).execute().close();
    client(RetryPolicy.ofDefaults()).newCall(post(json("{}"))).execute().close();
    assertThat(origin.request(4).header(RetryPolicy.IDEMPOTENCY_KEY)).isNull();
    assertThat(origin.request(5).header(RetryPolicy.IDEMPOTENCY_KEY)).isNull();
    assertThat(origin.request(6).header(RetryPolicy.IDEMPOTENCY_KEY)).as("not asked for").isNull();
  }

  @Test
  void aRetryThatCouldNotStartBeforeTheDeadlineIsNotMade() throws Exception {
    origin.thenStatus(503, "Retry-After", "2");
    Deadline deadline = Deadline.after(Duration.ofSeconds(2), time);
    Request request = get().newBuilder().tag(Deadline.class, deadline).build();
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(503);
    }
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.RetryRefused.class,
            r -> assertThat(r.reason()).isEqualTo(RefusalReason.DEADLINE));

    origin.thenStatus(503, "Retry-After", "1");
    Request roomy =
        get()
            .newBuilder()
            .tag(Deadline.class, Deadline.after(Duration.ofMillis(1001), time))
            .build();
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(roomy).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
  }

  @Test
  void eachRetryCarriesTheTimeThenLeftInTheDeadlineHeader() throws Exception {
    DeadlineInterceptor deadline =
        DeadlineInterceptor.builder()
            .timeout(Duration.ofSeconds(1))
            .ticker(time)
            .scheduler(time)
            .executor(time)
            .build();
    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(300));
          return ScriptedOrigin.respond(chain.request(), 503, "", null, new Reply());
        });
    OkHttpClient client = origin.client(deadline, retry(RetryPolicy.ofDefaults()).build());
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    assertThat(origin.request(0).header(Deadline.DEFAULT_HEADER)).isEqualTo("1000");
    assertThat(origin.request(1).header(Deadline.DEFAULT_HEADER)).isEqualTo("675"); // 300 + 25
  }

  @Test
  void anEmptyBudgetRefusesTheRetryAndOnlyTheLastCheckCostsAToken() throws Exception {
    RetryBudget empty = RetryBudget.builder().minRetriesPerSecond(0).maxRetryShare(0).build();
    OkHttpClient client = origin.client(retry(RetryPolicy.ofDefaults()).budget(empty).build());
    origin.thenStatus(503);
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.code()).isEqualTo(503);
    }
    assertThat(events)
        .singleElement()
        .isInstanceOfSatisfying(
            ResilienceEvent.RetryRefused.class,
            r -> assertThat(r.reason()).isEqualTo(RefusalReason.BUDGET_EXHAUSTED));

    // One retry's worth: 1 retry per second over 1 s; refusals for other reasons cost nothing.
    RetryBudget one =
        RetryBudget.builder()
            .minRetriesPerSecond(1)
            .maxRetryShare(0)
            .ttl(Duration.ofSeconds(1))
            .build();
    RetryPolicy policy = RetryPolicy.builder().retryAfterCap(Duration.ofSeconds(1)).build();
    OkHttpClient budgeted = origin.client(retry(policy).budget(one).build());
    origin.thenStatus(503, "Retry-After", "9"); // beyond the cap: refused before the budget
    budgeted.newCall(get()).execute().close();
    origin.thenStatus(503);
    origin.thenStatus(503);
    try (Response response = budgeted.newCall(get()).execute()) {
      assertThat(response.code()).as("one retry, then the budget is empty").isEqualTo(503);
    }
    assertThat(events.subList(1, events.size()))
        .extracting(Object::getClass)
        .containsExactly(
            ResilienceEvent.RetryRefused.class,
            ResilienceEvent.Retry.class,
            ResilienceEvent.RetryRefused.class);
    assertThat(((ResilienceEvent.RetryRefused) events.get(3)).reason())
        .isEqualTo(RefusalReason.BUDGET_EXHAUSTED);
  }

  @Test
  void eachCallDepositsIntoTheBudgetOfItsOwnHost() throws Exception {
    RetryBudget earned = RetryBudget.builder().minRetriesPerSecond(0).maxRetryShare(1.0).build();
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults())
                .budget(earned)
                .policy("other", RetryPolicy.ofDefaults())
                .build());
    for (int i = 0; i < 3; i++) { // three retries' worth, in other's budget
      client.newCall(get().newBuilder().url("http://other/x").build()).execute().close();
    }
    origin.thenStatus(503);
    origin.thenStatus(503);
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.code())
          .as("catalog's one call paid for one retry, not two")
          .isEqualTo(503);
    }
    assertThat(origin.count()).isEqualTo(5);
    origin.thenStatus(503);
    origin.thenStatus(503);
    try (Response response =
        client.newCall(get().newBuilder().url("http://other/x").build()).execute()) {
      assertThat(response.code()).as("other's four calls pay for both retries").isEqualTo(200);
    }
  }

  @Test
  void aHostWithItsOwnPolicyFollowsIt() throws Exception {
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults()).policy("payments", RetryPolicy.none()).build());
    origin.thenStatus(503);
    try (Response response =
        client.newCall(new Request.Builder().url("http://payments/x").build()).execute()) {
      assertThat(response.code()).isEqualTo(503);
    }
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void aCallCancelledWhileItFailsIsNotRetried() throws Exception {
    OkHttpClient client = client(RetryPolicy.ofDefaults());
    okhttp3.Call call = client.newCall(get());
    origin.then(
        chain -> {
          chain.call().cancel();
          throw new IOException("Canceled");
        });
    assertThatThrownBy(call::execute).hasMessage("Canceled");
    assertThat(origin.count()).isEqualTo(1);
    assertThat(events).isEmpty();
  }

  @Test
  void aCallCancelledDuringThePauseEndsWithTheFailureAttached() throws Exception {
    Sleeper cancelling = (queue, nanos) -> CallSignal.CANCELLED; // what a cancel wakes it with
    OkHttpClient client =
        origin.client(retry(RetryPolicy.ofDefaults()).sleeper(cancelling).build());
    origin.thenFail(new IOException("reset"));
    assertThatThrownBy(() -> client.newCall(get()).execute())
        .hasMessage("Canceled")
        .satisfies(
            e ->
                assertThat(e.getSuppressed())
                    .singleElement()
                    .satisfies(s -> assertThat(s).hasMessage("reset")));
  }

  @Test
  void anInterruptDuringThePauseEndsTheCallAndKeepsTheFlag() throws Exception {
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults())
                .sleeper(
                    (queue, nanos) -> {
                      throw new InterruptedException();
                    })
                .build());
    origin.thenStatus(503);
    try {
      assertThatThrownBy(() -> client.newCall(get()).execute())
          .isInstanceOf(InterruptedIOException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void aGoodBodyThatBreaksMidWayIsAFailedAttemptAndRetried() throws Exception {
    Reply broken = new Reply();
    origin.then(
        chain ->
            ScriptedOrigin.respond(
                chain.request(), 200, "", breaking(), broken, "Content-Type", "application/json"));
    try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
      assertThat(body(response)).isEqualTo("ok");
    }
    assertThat(broken.closed()).isTrue();
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void aBodyIsNotReadAheadWhenNoOtherAttemptCouldFollow() throws Exception {
    origin.then(chain -> ScriptedOrigin.respond(chain.request(), 200, "", breaking(), new Reply()));
    try (Response response =
        client(RetryPolicy.builder().maxAttempts(2).build()).newCall(post(json("{}"))).execute()) {
      assertThat(response.code())
          .as("a POST gets no other attempt: handed up unread")
          .isEqualTo(200);
      assertThatThrownBy(() -> response.body().string()).hasMessage("broken");
    }
  }

  @Test
  void theLastAttemptsBodyIsNotReadAhead() throws Exception {
    origin.thenStatus(503);
    origin.then(
        chain ->
            ScriptedOrigin.respond(
                chain.request(),
                200,
                "",
                breaking(),
                new Reply(),
                "Content-Type",
                "application/json"));
    try (Response response =
        client(RetryPolicy.builder().maxAttempts(2).build()).newCall(get()).execute()) {
      assertThat(response.code()).as("no attempt could follow: handed up unread").isEqualTo(200);
      assertThatThrownBy(() -> response.body().string()).hasMessage("broken");
    }
  }

  @Test
  void aHostWithItsOwnBudgetDrawsOnItAlone() throws Exception {
    RetryBudget empty = RetryBudget.builder().minRetriesPerSecond(0).maxRetryShare(0).build();
    OkHttpClient client =
        origin.client(
            retry(RetryPolicy.ofDefaults())
                .policy("payments", RetryPolicy.ofDefaults())
                .budget("payments", empty)
                .build());
    origin.thenStatus(503);
    try (Response response =
        client.newCall(new Request.Builder().url("http://payments/x").build()).execute()) {
      assertThat(response.code()).isEqualTo(503);
    }
    origin.thenStatus(503);
    try (Response response = client.newCall(get()).execute()) {
      assertThat(response.code()).as("catalog keeps the default budget").isEqualTo(200);
    }
    assertThat(events.get(0))
        .isInstanceOfSatisfying(
            ResilienceEvent.RetryRefused.class,
            r -> {
              assertThat(r.service()).isEqualTo("payments");
              assertThat(r.reason()).isEqualTo(RefusalReason.BUDGET_EXHAUSTED);
            });
  }

  @Test
  void streamsAndBodiesLargerThanTheBoundAreNotReadAhead() throws Exception {
    for (String type :
        List.of(
            "text/event-stream",
            "application/x-ndjson",
            "application/x-jsonlines",
            "application/jsonl",
            "application/stream+json",
            "multipart/x-mixed-replace; boundary=x")) {
      origin.then(
          chain ->
              ScriptedOrigin.respond(
                  chain.request(), 200, "", breaking(), new Reply(), "Content-Type", type));
      try (Response response = client(RetryPolicy.ofDefaults()).newCall(get()).execute()) {
        assertThat(response.code()).as(type).isEqualTo(200);
        assertThatThrownBy(() -> response.body().string()).as(type).hasMessage("broken");
      }
    }
    RetryPolicy small = RetryPolicy.builder().bufferBodyUpTo(3).build();
    Reply large = new Reply();
    origin.then(chain -> ScriptedOrigin.respond(chain.request(), 200, "four", null, large));
    try (Response response = client(small).newCall(get()).execute()) {
      assertThat(large.closed()).isFalse();
      assertThat(response.body().source().getBuffer().size()).as("not read ahead").isZero();
    }
    origin.then(chain -> ScriptedOrigin.respond(chain.request(), 200, "abc", null, new Reply()));
    try (Response response = client(small).newCall(get()).execute()) {
      assertThat(response.body().source().getBuffer().size()).as("read ahead").isEqualTo(3);
    }
    RetryPolicy off = RetryPolicy.builder().bufferBodyUpTo(0).build();
    origin.then(chain -> ScriptedOrigin.respond(chain.request(), 200, "abc", null, new Reply()));
    try (Response response = client(off).newCall(get()).execute()) {
      assertThat(response.body().source().getBuffer().size()).isZero();
    }
    origin.then(
        chain ->
            ScriptedOrigin.respond(
                chain.request(),
                200,
                "",
                breaking(),
                new Reply(),
                "Content-Type",
                "application/json"));
    try (Response response = client(off).newCall(get()).execute()) {
      assertThatThrownBy(() -> response.body().string()).hasMessage("broken");
    }
  }

  @Test
  void aStatusBodyIsNeverReadAhead() throws Exception {
    RetryPolicy policy = RetryPolicy.ofDefaults();
    Response failed = ScriptedOrigin.respond(get(), 503, "abc", null, new Reply());
    RetryInterceptor.preloadBody(failed, policy);
    assertThat(failed.body().source().getBuffer().size()).isZero();
    Response limited = ScriptedOrigin.respond(get(), 429, "abc", null, new Reply());
    RetryInterceptor.preloadBody(limited, policy);
    assertThat(limited.body().source().getBuffer().size()).isZero();
    Response unknown =
        ScriptedOrigin.respond(get(), 200, "", new Buffer().writeUtf8("xyz"), new Reply());
    RetryInterceptor.preloadBody(unknown, policy);
    assertThat(unknown.body().source().getBuffer().size())
        .as("unknown length: up to the bound")
        .isEqualTo(3);
  }

  @Test
  void theAttemptTimeoutBoundsEachAttemptsReads() throws Exception {
    RetryPolicy bounded = RetryPolicy.builder().attemptTimeout(Duration.ofMillis(700)).build();
    client(bounded).newCall(get()).execute().close();
    client(RetryPolicy.ofDefaults()).newCall(get()).execute().close();
    RetryPolicy boundedOnce =
        RetryPolicy.builder().maxAttempts(1).attemptTimeout(Duration.ofMillis(300)).build();
    client(boundedOnce).newCall(get()).execute().close();
    assertThat(origin.arrivals)
        .extracting(ScriptedOrigin.Arrival::readTimeoutMillis)
        .containsExactly(700, 10_000, 300);
  }

  @Test
  void withOneAttemptABodyThatMustNotBeRepeatedGoesDownOneShot() throws Exception {
    OkHttpClient once = client(RetryPolicy.none());
    once.newCall(post(json("{}"))).execute().close();
    once.newCall(new Request.Builder().url("http://catalog/x").put(json("{}")).build())
        .execute()
        .close();
    once.newCall(new Request.Builder().url("http://catalog/x").method("LOCK", null).build())
        .execute()
        .close();
    once.newCall(get()).execute().close();
    assertThat(origin.arrivals)
        .extracting(ScriptedOrigin.Arrival::bodyOneShot)
        .containsExactly(true, false, false, false);
    assertThat(origin.arrivals)
        .extracting(ScriptedOrigin.Arrival::retryOnConnectionFailure)
        .containsExactly(true, true, false, true);
  }

  /** A source that fails on its first read. */
  private static Source breaking() {
    return new Source() {
      @Override
      public long read(Buffer sink, long byteCount) throws IOException {
        throw new IOException("broken");
      }

      @Override
      public Timeout timeout() {
        return Timeout.NONE;
      }

      @Override
      public void close() {}
    };
  }
}
