package io.hyperlane.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import io.hyperlane.client.Endpoint;
import io.hyperlane.client.ServiceDiscovery;
import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Ticker;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;

/**
 * A registry scripted in process, and the service context its discovery delivers to: each request
 * takes the next scripted answer (a whole body, a watch's messages one after another), waiting up
 * to 10 s for one (an answer may start with header lines of the form {@code @Name: value});
 * requests, updates, failures and the pauses asked for are recorded, and a pause runs only when the
 * test runs it.
 */
final class ScriptedRegistry implements AutoCloseable {

  private static final String END = "\u0000end";

  /** A pause the loop asked for: it runs when the test runs it. */
  static final class Pause implements Runnable, Scheduler.Cancellable {
    final Duration delay;
    private final Runnable task;
    volatile boolean cancelled;

    Pause(Duration delay, Runnable task) {
      this.delay = delay;
      this.task = task;
    }

    @Override
    public void run() {
      task.run();
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  final List<HttpUrl> urls = new CopyOnWriteArrayList<>();
  final List<okhttp3.Headers> headers = new CopyOnWriteArrayList<>();
  final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  final List<Pause> pauses = new CopyOnWriteArrayList<>();
  final List<Throwable> failures = new CopyOnWriteArrayList<>();
  final List<List<String>> updates = new CopyOnWriteArrayList<>();

  final OkHttpClient client =
      new OkHttpClient.Builder()
          .addInterceptor(
              chain -> {
                urls.add(chain.request().url());
                headers.add(chain.request().headers());
                if (chain.request().body() != null) {
                  Buffer body = new Buffer();
                  chain.request().body().writeTo(body);
                  bodies.add(Registries.JSON.readTree(body.readUtf8()));
                }
                String answer;
                try {
                  answer = answers.poll(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  throw new IOException(e);
                }
                if (answer == null || answer.equals(END)) {
                  throw new IOException("the test is over");
                }
                Response.Builder response =
                    new Response.Builder()
                        .request(chain.request())
                        .protocol(Protocol.HTTP_1_1)
                        .code(200)
                        .message("OK");
                while (answer.startsWith("@")) {
                  int colon = answer.indexOf(':');
                  int end = answer.indexOf('\n');
                  response.addHeader(
                      answer.substring(1, colon), answer.substring(colon + 1, end).trim());
                  answer = answer.substring(end + 1);
                }
                return response
                    .body(ResponseBody.create(answer, MediaType.get("application/json")))
                    .build();
              })
          .build();

  final ServiceDiscovery.Context context =
      new ServiceDiscovery.Context() {
        @Override
        public String serviceName() {
          return "inventory";
        }

        @Override
        public Ticker ticker() {
          return System::nanoTime;
        }

        @Override
        public Scheduler scheduler() {
          return (delay, task) -> {
            Pause pause = new Pause(delay, task);
            pauses.add(pause);
            return pause;
          };
        }

        @Override
        public Executor blockingExecutor() {
          return Runnable::run;
        }

        @Override
        public void update(List<Endpoint> endpoints) {
          updates.add(endpoints.stream().map(Endpoint::origin).toList());
        }

        @Override
        public void failed(Throwable cause) {
          failures.add(cause);
        }
      };

  void awaitUpdates(int count) {
    Await.until(Duration.ofSeconds(10), () -> updates.size() >= count, count + " updates");
  }

  void awaitRequests(int count) {
    Await.until(Duration.ofSeconds(10), () -> urls.size() >= count, count + " requests");
  }

  void awaitFailures(int count) {
    Await.until(Duration.ofSeconds(10), () -> failures.size() >= count, count + " failures");
  }

  void awaitPauses(int count) {
    Await.until(Duration.ofSeconds(10), () -> pauses.size() >= count, count + " pauses");
  }

  /** Whether pause {@code i} was the first of a run of failures (50 to 100 ms), not a later one. */
  boolean firstPause(int i) {
    long millis = pauses.get(i).delay.toMillis();
    return millis >= 50 && millis <= 100;
  }

  private volatile ServiceDiscovery.Subscription subscription;

  /** Subscribes {@code discovery} to this registry's service; {@link #close()} cancels it. */
  void subscribe(ServiceDiscovery discovery) {
    subscription = discovery.subscribe(context);
  }

  /** Cancels the subscription and ends the request waiting for an answer, if any. */
  @Override
  public void close() {
    ServiceDiscovery.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    answers.add(END);
  }
}
