package io.hyperlane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.client.Endpoint;
import io.hyperlane.client.ServiceDiscovery;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * The loop every registry watch runs: pauses that grow with failures in a row and start again after
 * a success, answers that are not 2xx counted as failures, and {@code cancel()} stopping the pause
 * and the request in flight, after which nothing is reported. The registry is an in-process
 * interceptor; the pauses are recorded, not waited for.
 */
class WatchTest {

  private final ScriptedRegistry registry = new ScriptedRegistry();
  private final List<ScriptedRegistry.Pause> timers = registry.pauses;
  private final List<Throwable> failures = registry.failures;
  private final List<List<String>> updates = registry.updates;
  private final ServiceDiscovery.Context context = registry.context;

  /** A watch whose every step is one call of {@code step}. */
  private static final class TestWatch extends Watch {
    final AtomicInteger steps = new AtomicInteger();
    Runnable onStep = () -> {};

    TestWatch(ServiceDiscovery.Context context, OkHttpClient http) {
      super(context, http);
    }

    @Override
    void step() {
      steps.incrementAndGet();
      onStep.run();
    }
  }

  private final List<Boolean> cancelledWhenAnswered = new CopyOnWriteArrayList<>();

  private OkHttpClient answering(int code, CountDownLatch hold) {
    return new OkHttpClient.Builder()
        .addInterceptor(
            chain -> {
              if (hold != null) {
                try {
                  hold.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  throw new IOException(e);
                }
              }
              cancelledWhenAnswered.add(chain.call().isCanceled());
              return new Response.Builder()
                  .request(chain.request())
                  .protocol(Protocol.HTTP_1_1)
                  .code(code)
                  .message("m")
                  .body(ResponseBody.create("{}", MediaType.get("a/b")))
                  .build();
            })
        .build();
  }

  private static final Request LIST =
      new Request.Builder().url("http://127.0.0.1:1/v1/list").build();

  @Test
  void pausesGrowWithFailuresInARowAndStartAgainAfterASuccess() {
    TestWatch watch = new TestWatch(context, answering(200, null));
    watch.retryAfter(new IOException("one"));
    watch.retryAfter(new IOException("two"));
    watch.retryAfter(new IOException("three"));
    watch.succeeded();
    watch.retryAfter(new IOException("four"));
    assertThat(timers)
        .extracting(t -> t.delay.toMillis())
        .satisfiesExactly(
            d -> assertThat(d).isBetween(50L, 100L),
            d -> assertThat(d).isBetween(100L, 200L),
            d -> assertThat(d).isBetween(200L, 400L),
            d -> assertThat(d).isBetween(50L, 100L));
    assertThat(failures)
        .extracting(Throwable::getMessage)
        .containsExactly("one", "two", "three", "four");
    timers.get(0).run();
    assertThat(watch.steps).hasValue(1);
  }

  @Test
  void againRunsTheNextStepAtOnceOnlyWhenThereIsNoPause() {
    TestWatch watch = new TestWatch(context, answering(200, null));
    watch.again(Duration.ZERO);
    assertThat(watch.steps).hasValue(1);
    assertThat(timers).isEmpty();
    watch.again(Duration.ofSeconds(1));
    assertThat(watch.steps).hasValue(1);
    assertThat(timers)
        .singleElement()
        .satisfies(t -> assertThat(t.delay).isEqualTo(Duration.ofSeconds(1)));
  }

  @Test
  void anAnswerThatIsNotASuccessIsAFailureNamingTheRequest() throws Exception {
    TestWatch watch = new TestWatch(context, answering(503, null));
    CountDownLatch handled = new CountDownLatch(1);
    watch.send(LIST, false, response -> handled.countDown());
    awaitFailures(1);
    assertThat(handled.getCount()).isEqualTo(1);
    assertThat(failures.get(0)).hasMessage("registry answered HTTP 503 to GET /v1/list");
    assertThat(timers).hasSize(1);
  }

  @Test
  void aSuccessfulAnswerGoesToTheHandlerAndAHandlerThatThrowsIsAFailure() throws Exception {
    TestWatch watch = new TestWatch(context, answering(200, null));
    CountDownLatch handled = new CountDownLatch(1);
    watch.send(
        LIST,
        false,
        response -> {
          assertThat(response.body().string()).isEqualTo("{}");
          watch.deliver(List.of(Endpoint.of("http://127.0.0.1:8081")));
          watch.deliver(List.of()); // none listed: the last set stays, and it is no failure
          watch.reportGarbage(List.of("/services/x: a bad url"));
          handled.countDown();
        });
    assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(updates).singleElement().satisfies(u -> assertThat(u).hasSize(1));
    awaitFailures(1);
    assertThat(failures.get(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("/services/x: a bad url");

    watch.send(
        LIST,
        false,
        response -> {
          throw new IllegalStateException("bad answer");
        });
    awaitFailures(2);
    assertThat(failures.get(1)).hasMessage("bad answer");
  }

  @Test
  void cancelStopsThePauseAndTheRequestInFlightAndNothingIsReportedAfter() throws Exception {
    CountDownLatch hold = new CountDownLatch(1);
    OkHttpClient http = answering(503, hold);
    TestWatch watch = new TestWatch(context, http);
    watch.retryAfter(new IOException("before"));
    assertThat(watch.cancelled()).isFalse();
    watch.send(LIST, true, response -> {});
    watch.cancel();
    assertThat(watch.cancelled()).isTrue();
    assertThat(timers.get(0).cancelled).as("the pause").isTrue();
    hold.countDown(); // the registry answers 503 after the cancel: not reported
    awaitIdle(http);
    assertThat(cancelledWhenAnswered).as("the request in flight").containsExactly(true);
    watch.retryAfter(new IOException("after"));
    watch.again(Duration.ZERO);
    watch.again(Duration.ofSeconds(1));
    watch.send(LIST, false, response -> {});
    awaitIdle(http);
    assertThat(cancelledWhenAnswered).as("nothing sent after cancel()").hasSize(1);
    assertThat(failures).extracting(Throwable::getMessage).containsExactly("before");
    assertThat(timers).hasSize(1);
    assertThat(watch.steps).hasValue(0);
  }

  @Test
  void aWatchCancelledBeforeItsFirstRequestSendsNothing() {
    AtomicInteger sent = new AtomicInteger();
    OkHttpClient http =
        answering(200, null)
            .newBuilder()
            .addInterceptor(
                chain -> {
                  sent.incrementAndGet();
                  return chain.proceed(chain.request());
                })
            .build();
    TestWatch watch = new TestWatch(context, http);
    watch.cancel();
    watch.send(LIST, false, response -> {});
    awaitIdle(http);
    assertThat(sent).hasValue(0);
  }

  /** Waits until every call {@code http} started has ended; a call is counted from enqueue(). */
  private static void awaitIdle(OkHttpClient http) {
    Await.until(
        Duration.ofSeconds(10),
        () ->
            http.dispatcher().runningCallsCount() == 0 && http.dispatcher().queuedCallsCount() == 0,
        "the calls to end");
  }

  private void awaitFailures(int count) {
    registry.awaitFailures(count);
  }
}
