package io.hyperlane.benchmarks.simulation;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.Locale;
import java.util.Random;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * A modelled server: answers an attempt after a service time drawn from its current {@link
 * Behaviour}, on virtual time. It honours what a socket would: the attempt's read timeout ends a
 * wait with {@link SocketTimeoutException}, a cancelled call ends it with an {@link IOException},
 * and a replica that is down refuses at once with {@link ConnectException}. When asked, it reports
 * its load on every answer in an ORCA {@code endpoint-load-metrics} header, as Hyperlane's
 * server-side helper does.
 */
final class Replica {

  /** Beyond this many requests in progress, each one's service time stretches in proportion. */
  static final int CAPACITY = 8;

  private static final double SPREAD = 0.3; // log-normal sigma: p99 ≈ 2 × median

  final int index;
  final String origin;
  private final Scenario.Timeline timeline;
  private final VirtualTime time;
  private final Random random;
  private final long[] servedPerBucket;
  private final long bucketNanos;
  private final boolean reportsLoad;
  private int inProgress;
  long served;

  Replica(
      int index,
      Scenario.Timeline timeline,
      VirtualTime time,
      Random random,
      int buckets,
      long bucketNanos,
      boolean reportsLoad) {
    this.index = index;
    this.origin = "http://127.0.0.1:" + (9001 + index);
    this.timeline = timeline;
    this.time = time;
    this.random = random;
    this.servedPerBucket = new long[buckets];
    this.bucketNanos = bucketNanos;
    this.reportsLoad = reportsLoad;
  }

  /** Requests this replica accepted in each bucket of the run. */
  long[] servedPerBucket() {
    return servedPerBucket.clone();
  }

  Response serve(Interceptor.Chain chain) throws IOException {
    long start = time.read();
    Behaviour b = timeline.at(start);
    if (b.mode() == Behaviour.Mode.DOWN) {
      throw new ConnectException("connection refused by " + origin + " (simulated)");
    }
    served++;
    int bucket = (int) (start / bucketNanos);
    if (bucket < servedPerBucket.length) {
      servedPerBucket[bucket]++;
    }
    inProgress++;
    // What Hyperlane's server-side filters send: the requests in progress when this one arrived,
    // this one included.
    String report =
        reportsLoad
            ? String.format(
                Locale.ROOT,
                "TEXT named_metrics.requests_in_flight=%d, application_utilization=%.3f",
                inProgress + b.otherCallers(),
                (inProgress + b.otherCallers()) / (CAPACITY * b.capacity()))
            : "";
    try {
      boolean error = b.errorRate() > 0 && random.nextDouble() < b.errorRate();
      long answerAt = Long.MAX_VALUE;
      if (b.mode() == Behaviour.Mode.SERVING) {
        double median = error ? b.errorMillis() : b.medianMillis();
        double millis =
            median
                * Math.exp(SPREAD * random.nextGaussian())
                * Math.max(1.0, (inProgress + b.otherCallers()) / (CAPACITY * b.capacity()));
        answerAt = start + (long) (millis * 1_000_000);
      }
      long timeoutAt =
          chain.readTimeoutMillis() > 0
              ? start + chain.readTimeoutMillis() * 1_000_000L
              : Long.MAX_VALUE;
      time.await(Math.min(answerAt, timeoutAt), () -> chain.call().isCanceled());
      if (chain.call().isCanceled()) {
        throw new IOException("Canceled");
      }
      if (answerAt > timeoutAt) {
        throw new SocketTimeoutException("timeout (simulated read of " + origin + ")");
      }
      Response.Builder response = new Response.Builder();
      if (reportsLoad) {
        response.header("endpoint-load-metrics", report);
      }
      return response
          .request(chain.request())
          .protocol(Protocol.HTTP_1_1)
          .code(error ? 500 : 200)
          .message(error ? "Internal Server Error" : "OK")
          .body(ResponseBody.create("", null))
          .build();
    } finally {
      inProgress--;
    }
  }
}
