package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.ScriptedOrigin.Reply;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import okio.Source;
import okio.Timeout;
import org.junit.jupiter.api.Test;

/**
 * The deadline stage on its own, over a scripted origin on fake time: what it sends down, when it
 * cuts a call, what it throws, and that its timer lives exactly as long as the call and its body.
 */
@SuppressWarnings("try") // scopes are entered for their effect on the thread
class DeadlineInterceptorTest {

  private final FakeTime time = new FakeTime();
  private final ScriptedOrigin origin = new ScriptedOrigin();

  private DeadlineInterceptor.Builder deadline() {
    return DeadlineInterceptor.builder()
        .timeout(Duration.ofSeconds(1))
        .ticker(time)
        .scheduler(time)
        .executor(time);
  }

  private static Request get(String host) {
    return new Request.Builder().url("http://" + host + "/items").build();
  }

  /** An answer that lets {@code elapsed} pass at the origin, then answers 200. */
  private ScriptedOrigin.Answer after(Duration elapsed, Reply reply) {
    return chain -> {
      time.advance(elapsed);
      return ScriptedOrigin.respond(chain.request(), 200, "late", null, reply);
    };
  }

  @Test
  void theRequestCarriesItsDeadlineAsATagAndAsTheHeaderOfTimeLeft() throws Exception {
    OkHttpClient client = origin.client(deadline().timeout("slow", Duration.ofSeconds(3)).build());
    client.newCall(get("catalog")).execute().close();
    client.newCall(get("slow")).execute().close();
    assertThat(origin.request(0).header(Deadline.DEFAULT_HEADER)).isEqualTo("1000");
    assertThat(origin.request(0).tag(Deadline.class).remaining()).isEqualTo(Duration.ofSeconds(1));
    assertThat(origin.request(1).header(Deadline.DEFAULT_HEADER)).isEqualTo("3000");
    assertThat(time.pendingTasks()).as("each timer ended with its body").isZero();
  }

  @Test
  void aHostOutsideTheListOrWithoutATimeoutGoesThroughUntouched() throws Exception {
    OkHttpClient listed = origin.client(deadline().onlyHosts(Set.of("catalog")).build());
    listed.newCall(get("elsewhere")).execute().close();
    OkHttpClient perHost =
        origin.client(
            DeadlineInterceptor.builder()
                .ticker(time)
                .scheduler(time)
                .executor(time)
                .timeout("catalog", Duration.ofSeconds(1))
                .build());
    perHost.newCall(get("elsewhere")).execute().close();
    perHost.newCall(get("catalog")).execute().close();
    assertThat(origin.request(0).header(Deadline.DEFAULT_HEADER)).isNull();
    assertThat(origin.request(0).tag(Deadline.class)).isNull();
    assertThat(origin.request(1).header(Deadline.DEFAULT_HEADER)).isNull();
    assertThat(origin.request(2).header(Deadline.DEFAULT_HEADER)).isEqualTo("1000");
  }

  @Test
  void theHeaderCanBeRenamedOrTurnedOffAndABadNameIsRefused() throws Exception {
    origin.client(deadline().header("X-Budget").build()).newCall(get("catalog")).execute().close();
    origin.client(deadline().header(null).build()).newCall(get("catalog")).execute().close();
    assertThat(origin.request(0).header("X-Budget")).isEqualTo("1000");
    assertThat(origin.request(0).header(Deadline.DEFAULT_HEADER)).isNull();
    assertThat(origin.request(1).headers().size()).isZero();
    assertThat(origin.request(1).tag(Deadline.class)).as("the deadline still holds").isNotNull();
    for (String bad : new String[] {"", "X Budget", "X:Budget", "Ünï", "X\tB", "(x", "X\u007f"}) {
      assertThatThrownBy(() -> DeadlineInterceptor.builder().header(bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
    DeadlineInterceptor.builder().header("x-a!#$%&'*+-.^_`|~9");
  }

  @Test
  void timeoutsOutsideOneMillisecondToOneHourAreRefused() {
    for (Duration bad :
        new Duration[] {
          Duration.ZERO,
          Duration.ofNanos(999_999),
          Duration.ofHours(1).plusNanos(1),
          Duration.ofSeconds(-1)
        }) {
      assertThatThrownBy(() -> DeadlineInterceptor.builder().timeout(bad))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> DeadlineInterceptor.builder().timeout("h", bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
    DeadlineInterceptor.builder().timeout(Duration.ofMillis(1)).timeout(Duration.ofHours(1));
  }

  @Test
  void theCallersEarlierDeadlineWinsAndALaterOneDoesNot() throws Exception {
    OkHttpClient client = origin.client(deadline().build());
    try (Deadline.Scope scope = Deadline.after(Duration.ofMillis(400), time).enter()) {
      client.newCall(get("catalog")).execute().close();
    }
    try (Deadline.Scope scope = Deadline.after(Duration.ofSeconds(5), time).enter()) {
      client.newCall(get("catalog")).execute().close();
    }
    assertThat(origin.request(0).header(Deadline.DEFAULT_HEADER)).isEqualTo("400");
    assertThat(origin.request(1).header(Deadline.DEFAULT_HEADER)).isEqualTo("1000");
    OkHttpClient noTimeout =
        origin.client(
            DeadlineInterceptor.builder().ticker(time).scheduler(time).executor(time).build());
    try (Deadline.Scope scope = Deadline.after(Duration.ofMillis(250), time).enter()) {
      noTimeout.newCall(get("catalog")).execute().close();
    }
    assertThat(origin.request(2).header(Deadline.DEFAULT_HEADER)).isEqualTo("250");
  }

  @Test
  void aDeadlineThatPassedBeforeTheCallStartedFailsItUnsent() throws Exception {
    OkHttpClient client = origin.client(deadline().build());
    Deadline passed = Deadline.after(Duration.ofMillis(5), time);
    time.advance(Duration.ofMillis(5));
    try (Deadline.Scope scope = passed.enter()) {
      assertThatThrownBy(() -> client.newCall(get("catalog")).execute())
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessageContaining("it passed before the call started");
    }
    assertThat(origin.count()).isZero();

    OkHttpClient scopeOnly =
        origin.client(
            DeadlineInterceptor.builder().ticker(time).scheduler(time).executor(time).build());
    try (Deadline.Scope scope = passed.enter()) {
      assertThatThrownBy(() -> scopeOnly.newCall(get("catalog")).execute())
          .isInstanceOfSatisfying(
              DeadlineExceededException.class,
              e -> {
                assertThat(e.service()).isEqualTo("catalog");
                assertThat(e.timeout()).isNull();
                assertThat(e)
                    .hasMessage(
                        "deadline of the enclosing scope exceeded for catalog: "
                            + "it passed before the call started");
              });
    }
    assertThatThrownBy(
            () -> {
              try (Deadline.Scope scope = passed.enter()) {
                client.newCall(get("catalog")).execute();
              }
            })
        .isInstanceOfSatisfying(
            DeadlineExceededException.class,
            e -> assertThat(e.timeout()).isEqualTo(Duration.ofSeconds(1)));
  }

  @Test
  void aDeadlineThatPassesDuringTheCallCancelsItAndSaysSo() throws Exception {
    Reply late = new Reply();
    origin.then(after(Duration.ofMillis(1500), late));
    okhttp3.Call call = origin.client(deadline().build()).newCall(get("catalog"));
    assertThatThrownBy(call::execute)
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("catalog")
        .hasMessageContaining("the call was cancelled");
    assertThat(call.isCanceled()).isTrue();
    assertThat(late.closed()).as("the response that came too late").isTrue();
  }

  @Test
  void aFailureAfterTheDeadlineIsTheDeadlinesEvenIfItsTimerHasNotRun() throws Exception {
    Scheduler never = (delay, task) -> () -> {};
    OkHttpClient client = origin.client(deadline().scheduler(never).build());
    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(1000));
          throw new IOException("read timed out");
        });
    assertThatThrownBy(() -> client.newCall(get("catalog")).execute())
        .isInstanceOf(DeadlineExceededException.class)
        .cause()
        .hasMessage("read timed out");
    origin.then(
        chain -> {
          time.advance(Duration.ofMillis(999));
          throw new IOException("reset");
        });
    assertThatThrownBy(() -> client.newCall(get("catalog")).execute())
        .isNotInstanceOf(DeadlineExceededException.class)
        .hasMessage("reset");
  }

  @Test
  void aCallItsCallerCancelledIsNotBlamedOnTheDeadline() throws Exception {
    origin.then(
        chain -> {
          chain.call().cancel();
          time.advance(Duration.ofMillis(1500)); // the timer runs, and finds the call cancelled
          throw new IOException("Canceled");
        });
    assertThatThrownBy(() -> origin.client(deadline().build()).newCall(get("catalog")).execute())
        .isNotInstanceOf(DeadlineExceededException.class)
        .hasMessage("Canceled");
    Scheduler never = (delay, task) -> () -> {};
    origin.then(
        chain -> {
          chain.call().cancel();
          time.advance(Duration.ofMillis(1500));
          throw new IOException("Canceled");
        });
    assertThatThrownBy(
            () ->
                origin
                    .client(deadline().scheduler(never).build())
                    .newCall(get("catalog"))
                    .execute())
        .isNotInstanceOf(DeadlineExceededException.class)
        .hasMessage("Canceled");
  }

  @Test
  void anEarlierDeadlineBelowIsPassedOnAndEveryFailureEndsTheTimer() throws Exception {
    OkHttpClient client = origin.client(deadline().build());
    DeadlineExceededException below =
        new DeadlineExceededException("catalog", Duration.ofMillis(5), "below");
    origin.then(
        chain -> {
          throw below;
        });
    assertThatThrownBy(() -> client.newCall(get("catalog")).execute()).isSameAs(below);
    assertThat(time.pendingTasks()).isZero();
    origin.then(
        chain -> {
          throw new IllegalStateException("bug");
        });
    assertThatThrownBy(() -> client.newCall(get("catalog")).execute())
        .isInstanceOf(IllegalStateException.class);
    assertThat(time.pendingTasks()).isZero();
    origin.thenFail(new IOException("reset"));
    assertThatThrownBy(() -> client.newCall(get("catalog")).execute()).hasMessage("reset");
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void theDeadlineCoversTheBodyAndItsTimerEndsWhenTheBodyCloses() throws Exception {
    OkHttpClient client = origin.client(deadline().build());
    Reply first = new Reply();
    origin.then(chain -> ScriptedOrigin.respond(chain.request(), 200, "ok", null, first));
    Response response = client.newCall(get("catalog")).execute();
    assertThat(time.pendingTasks()).as("armed while the body is open").isEqualTo(1);
    assertThat(response.body().contentLength()).isEqualTo(2);
    response.body().source().close();
    assertThat(time.pendingTasks()).isZero();
    assertThat(first.closed()).as("closing the source closes the body below").isTrue();

    Reply second = new Reply();
    origin.then(chain -> ScriptedOrigin.respond(chain.request(), 200, "ok", null, second));
    client.newCall(get("catalog")).execute().close();
    assertThat(second.closed()).as("closing the response closes the body below").isTrue();
    assertThat(time.pendingTasks()).isZero();

    Response unread = client.newCall(get("catalog")).execute();
    time.advance(Duration.ofMillis(1000));
    assertThatThrownBy(() -> unread.body().source().readByte()) // one read: the first is refused
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("while its body was read");
    unread.close();

    Response read = client.newCall(get("catalog")).execute();
    assertThat(read.body().string()).isEqualTo("ok");
    assertThat(time.pendingTasks()).as("reading to the end closed the body").isZero();
  }

  @Test
  void aDeadlineThatPassesWhileTheBodyIsReadCutsTheRead() throws Exception {
    origin.then(
        chain ->
            ScriptedOrigin.respond(
                chain.request(),
                200,
                "",
                new Source() {
                  @Override
                  public long read(Buffer sink, long byteCount) throws IOException {
                    time.advance(Duration.ofMillis(1000)); // the timer cancels the call mid-read
                    throw new IOException("Canceled");
                  }

                  @Override
                  public Timeout timeout() {
                    return Timeout.NONE;
                  }

                  @Override
                  public void close() {}
                },
                new Reply(),
                "Content-Type",
                "text/plain"));
    okhttp3.Call call = origin.client(deadline().build()).newCall(get("catalog"));
    try (Response response = call.execute()) {
      assertThat(response.body().contentType().toString()).startsWith("text/plain");
      assertThatThrownBy(() -> response.body().string())
          .isInstanceOf(DeadlineExceededException.class)
          .cause()
          .hasMessage("Canceled");
    }
    assertThat(call.isCanceled()).isTrue();
  }

  @Test
  void aReadThatFailsForItsOwnReasonsKeepsItsFailure() throws Exception {
    origin.then(
        chain ->
            ScriptedOrigin.respond(
                chain.request(),
                200,
                "",
                new Source() {
                  @Override
                  public long read(Buffer sink, long byteCount) throws IOException {
                    throw new IOException("reset");
                  }

                  @Override
                  public Timeout timeout() {
                    return Timeout.NONE;
                  }

                  @Override
                  public void close() {}
                },
                new Reply()));
    try (Response response = origin.client(deadline().build()).newCall(get("catalog")).execute()) {
      assertThatThrownBy(() -> response.body().string())
          .hasMessage("reset")
          .isNotInstanceOf(DeadlineExceededException.class);
    }
  }

  @Test
  void aTimerWhosePoolRefusesWorkStillCancelsTheCall() throws Exception {
    Executor refusing =
        task -> {
          throw new RejectedExecutionException("shut down");
        };
    origin.then(after(Duration.ofMillis(1500), new Reply()));
    okhttp3.Call call =
        origin.client(deadline().executor(refusing).build()).newCall(get("catalog"));
    assertThatThrownBy(call::execute).isInstanceOf(DeadlineExceededException.class);
    assertThat(call.isCanceled()).isTrue();
  }

  @Test
  void withTheStartListenerTheDeadlineCountsFromWhenTheCallStarted() throws Exception {
    DeadlineInterceptor stage = deadline().build();
    Interceptor queued =
        chain -> {
          time.advance(Duration.ofMillis(300)); // time spent before the stage: a queue, a limit
          return chain.proceed(chain.request());
        };
    OkHttpClient counted =
        new OkHttpClient.Builder()
            .eventListener(stage.startListener())
            .addInterceptor(queued)
            .addInterceptor(stage)
            .addInterceptor(origin)
            .build();
    counted.newCall(get("catalog")).execute().close();
    counted.newCall(get("other")).execute().close();
    origin.client(queued, stage).newCall(get("catalog")).execute().close();
    assertThat(origin.request(0).header(Deadline.DEFAULT_HEADER)).isEqualTo("700");
    assertThat(origin.request(1).header(Deadline.DEFAULT_HEADER)).isEqualTo("700");
    assertThat(origin.request(2).header(Deadline.DEFAULT_HEADER)).isEqualTo("1000");

    DeadlineInterceptor perHost =
        DeadlineInterceptor.builder()
            .ticker(time)
            .scheduler(time)
            .executor(time)
            .timeout("catalog", Duration.ofSeconds(1))
            .build();
    OkHttpClient perHostClient =
        new OkHttpClient.Builder()
            .eventListener(perHost.startListener())
            .addInterceptor(queued)
            .addInterceptor(perHost)
            .addInterceptor(origin)
            .build();
    perHostClient.newCall(get("catalog")).execute().close();
    assertThat(origin.request(3).header(Deadline.DEFAULT_HEADER)).isEqualTo("700");
  }
}
