package io.hyperlane.examples;

import io.hyperlane.resilience.CallFailedException;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleConsumer;
import java.util.function.IntFunction;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Sends requests at a fixed rate, whatever the answers do (open loop), and measures each latency
 * from the moment the request was due — so a server that stalls shows its stall in every request
 * that waited, instead of slowing the sender down and hiding it (coordinated omission). Bounded by
 * a duration and a count; waits a bounded time for the calls still running at the end.
 */
final class OpenLoop {

  /** What a run measured. */
  record Result(
      int sent, int succeeded, Map<String, Integer> errors, Histogram latencies, double seconds) {
    int failed() {
      return sent - succeeded;
    }

    double successRate() {
      return sent == 0 ? 0 : (double) succeeded / sent;
    }

    double ms(double percentile) {
      return latencies.getTotalCount() == 0
          ? 0
          : latencies.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  private final int rate;
  private final int limit;
  private final Duration duration;
  private final Duration drain;

  OpenLoop(int rate, int limit, Duration duration, Duration drain) {
    this.rate = rate;
    this.limit = limit;
    this.duration = duration;
    this.drain = drain;
  }

  /**
   * Sends request {@code i} = {@code requests.apply(i)} at its time; {@code progress} gets 0..1.
   */
  Result run(OkHttpClient client, IntFunction<Request> requests, DoubleConsumer progress) {
    long period = TimeUnit.SECONDS.toNanos(1) / rate;
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    int planned = (int) Math.min(limit, duration.toNanos() / period);
    Recorder recorder = new Recorder(3);
    AtomicInteger succeeded = new AtomicInteger();
    Map<String, Integer> errors = new ConcurrentHashMap<>();
    AtomicInteger running = new AtomicInteger();
    int sent = 0;
    while (sent < limit) {
      long due = start + sent * period;
      if (due >= end) {
        break;
      }
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      running.incrementAndGet();
      client
          .newCall(requests.apply(sent))
          .enqueue(
              new Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                  recorder.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
                  errors.merge(kind(e), 1, Integer::sum);
                  running.decrementAndGet();
                }

                @Override
                public void onResponse(Call call, Response response) {
                  try (response) {
                    response.body().bytes();
                    recorder.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
                    if (response.isSuccessful()) {
                      succeeded.incrementAndGet();
                    } else {
                      errors.merge("HTTP " + response.code(), 1, Integer::sum);
                    }
                  } catch (IOException e) {
                    errors.merge(kind(e), 1, Integer::sum);
                  } finally {
                    running.decrementAndGet();
                  }
                }
              });
      sent++;
      if (sent % Math.max(1, rate / 10) == 0) {
        progress.accept(Math.min(1.0, sent / (double) Math.max(1, planned)));
      }
    }
    long sendEnd = System.nanoTime();
    long deadline = sendEnd + drain.toNanos();
    while (running.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    if (running.get() > 0) {
      errors.merge("unfinished at the end", running.get(), Integer::sum);
    }
    progress.accept(1.0);
    return new Result(
        sent,
        succeeded.get(),
        new TreeMap<>(errors),
        recorder.getIntervalHistogram(),
        (sendEnd - start) / 1e9);
  }

  /** What failed: for a call that gave up, its last attempt's failure. */
  private static String kind(Throwable e) {
    Throwable failure = e instanceof CallFailedException && e.getCause() != null ? e.getCause() : e;
    return failure.getClass().getSimpleName();
  }
}
