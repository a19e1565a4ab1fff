package io.hyperlane.discovery;

import io.hyperlane.client.Endpoint;
import io.hyperlane.client.ServiceDiscovery;
import io.hyperlane.resilience.Scheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop of one service's subscription to a registry: one request at a time (a list, a watch, a
 * blocking query), each answer handled on the registry client's thread, failures reported to
 * Hyperlane and followed by a growing pause, everything stopped by {@link #cancel()}.
 */
abstract class Watch implements ServiceDiscovery.Subscription {

  private static final Logger log = LoggerFactory.getLogger(Watch.class);

  /** Handles one answer; throws to count it as a failure. */
  @FunctionalInterface
  interface Handler {
    void handle(Response response) throws Exception;
  }

  final ServiceDiscovery.Context context;
  private final OkHttpClient http;
  private volatile boolean cancelled;
  private volatile @Nullable Call inFlight;
  private volatile Scheduler.@Nullable Cancellable timer;
  private int failures; // the loop runs one step at a time

  Watch(ServiceDiscovery.Context context, OkHttpClient http) {
    this.context = context;
    this.http = http;
  }

  /** Sends the next request of the loop. */
  abstract void step();

  final void start() {
    step();
  }

  /** Sends {@code request}; a watch may stream for minutes, anything else has 10 s. */
  final void send(Request request, boolean streaming, Handler handler) {
    if (cancelled) {
      return;
    }
    Call call = http.newCall(request);
    if (!streaming) {
      call.timeout().timeout(Registries.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
    inFlight = call;
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            retryAfter(e);
          }

          @Override
          public void onResponse(Call c, Response response) {
            try (response) {
              if (!response.isSuccessful()) {
                throw new IOException(
                    "registry answered HTTP "
                        + response.code()
                        + " to "
                        + request.method()
                        + " "
                        + request.url().encodedPath());
              }
              handler.handle(response);
            } catch (Exception e) {
              retryAfter(e);
            }
          }
        });
    if (cancelled) {
      call.cancel();
    }
  }

  /**
   * Hands the registry's current instances to Hyperlane. None at all is normal for a registry (no
   * instance has registered yet, or all have left): the last set stays, as Hyperlane never empties
   * a service, but it is not counted as a failure.
   */
  final void deliver(List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      log.debug(
          "registry lists no instance of {}; keeping the last endpoints", context.serviceName());
      return;
    }
    context.update(endpoints);
  }

  /**
   * Reports each part of an answer that was left out (an instance with a bad URL, a metadata entry
   * Hyperlane cannot use) as a failure: counted, and logged as failures are; the rest of the answer
   * is used.
   */
  final void reportGarbage(List<String> problems) {
    for (String problem : problems) {
      context.failed(new IllegalArgumentException(problem));
    }
  }

  /** The loop made progress: the next failure starts the pauses from the shortest again. */
  final void succeeded() {
    failures = 0;
  }

  /** Reports {@code cause} (the last good endpoints stay) and tries again after a pause. */
  final void retryAfter(Throwable cause) {
    if (cancelled) {
      return;
    }
    failures++;
    context.failed(cause);
    again(Registries.backoff(failures));
  }

  /** Runs {@link #step()} again after {@code delay} (at once when zero). */
  final void again(Duration delay) {
    if (cancelled) {
      return;
    }
    if (delay.isZero()) {
      step();
    } else {
      timer = context.scheduler().schedule(delay, this::step);
    }
  }

  final boolean cancelled() {
    return cancelled;
  }

  @Override
  public final void cancel() {
    cancelled = true;
    Scheduler.Cancellable t = timer;
    if (t != null) {
      t.cancel();
    }
    Call c = inFlight;
    if (c != null) {
      c.cancel();
    }
  }
}
