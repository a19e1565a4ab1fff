package io.hyperlane.benchmarks;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The open-loop load of the scenarios: {@code rate × seconds} requests, each sent at its intended
 * time whatever the earlier ones are doing, each outcome reported with that intended time so that
 * latency counts from it (no coordinated omission); returns when every call has ended.
 */
final class FixedRate {

  /** Hears of each call: when it was due, when it ended, whether it succeeded. */
  @FunctionalInterface
  interface Outcomes {
    void record(long intendedNanos, long endedNanos, boolean succeeded);
  }

  private FixedRate() {}

  /** Sends from {@code startNanos} (a {@link System#nanoTime()} value); returns the count sent. */
  static int run(
      OkHttpClient client,
      Request request,
      int rate,
      int seconds,
      long startNanos,
      Outcomes outcomes)
      throws InterruptedException {
    int total = rate * seconds;
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    CountDownLatch done = new CountDownLatch(total);
    for (int i = 0; i < total; i++) {
      long intended = startNanos + i * interval;
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      client
          .newCall(request)
          .enqueue(
              new Callback() {
                @Override
                public void onResponse(Call call, Response response) {
                  boolean ok;
                  try (response) {
                    response.body().string();
                    ok = response.isSuccessful();
                  } catch (IOException e) {
                    ok = false;
                  }
                  outcomes.record(intended, System.nanoTime(), ok);
                  done.countDown();
                }

                @Override
                public void onFailure(Call call, IOException e) {
                  outcomes.record(intended, System.nanoTime(), false);
                  done.countDown();
                }
              });
    }
    if (!done.await(seconds + 60L, TimeUnit.SECONDS)) {
      throw new IllegalStateException("requests still outstanding after the run");
    }
    return total;
  }
}
