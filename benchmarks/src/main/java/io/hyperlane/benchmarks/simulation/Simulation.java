package io.hyperlane.benchmarks.simulation;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.OutlierDetection;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One run of one scenario with one strategy: Hyperlane's real stages (balancer, outlier detection,
 * circuits, retries, budget, hedging, deadline) on an OkHttp client whose attempts are answered by
 * modelled replicas, all on {@link VirtualTime}. The load is open-loop (Poisson arrivals from their
 * own seeded generator, the same for every strategy) and each request's latency is measured from
 * its arrival, so nothing waits for a slow answer before sending the next.
 *
 * <p>The client is set up as a team would: Hyperlane's defaults, 500 retried as well as 502, 503
 * and 504, a 2 s deadline per call and a 1 s read timeout per attempt.
 */
final class Simulation {

  /** Every chart has this many points. */
  static final int BUCKETS = 60;

  static final Duration CALL_TIMEOUT = Duration.ofSeconds(2);
  static final Duration READ_TIMEOUT = Duration.ofSeconds(1);

  /**
   * Hyperlane's default retry policy, with 500 retried too: the scenarios' replicas fail with 500.
   */
  static final RetryPolicy RETRY = RetryPolicy.builder().retryOnStatus(500, 502, 503, 504).build();

  private Simulation() {}

  /**
   * What the client runs: a strategy, and whether the service-level circuit breaker is on (it is by
   * default; turning it off shows what the retry budget alone does).
   */
  record Setup(Strategy strategy, boolean serviceCircuit, boolean peerRules) {
    Setup(Strategy strategy) {
      this(strategy, true, true);
    }

    String label() {
      return strategy.label
          + (serviceCircuit ? "" : ", no service circuit")
          + (peerRules ? "" : ", consecutive failures only");
    }

    /**
     * Hyperlane's default outlier detection, or without the rules that compare endpoints with each
     * other (what it was before they came).
     */
    OutlierDetection outliers() {
      return peerRules
          ? OutlierDetection.defaults()
          : OutlierDetection.builder().failureRateStdevFactor(0).latencyFactor(0).build();
    }
  }

  /** What one run measured. */
  record Run(
      Scenario scenario,
      Setup setup,
      long[] latencyNanos,
      boolean[] succeeded,
      long[] arrivalNanos,
      long backendAttempts,
      long[] attemptsPerBucket,
      long[] servedByReplica,
      long[][] servedPerBucket,
      long retries,
      long hedges,
      long lengthNanos) {

    int requests() {
      return latencyNanos.length;
    }

    double successRate() {
      int ok = 0;
      for (boolean b : succeeded) {
        ok += b ? 1 : 0;
      }
      return ok / (double) requests();
    }

    double meanMillis() {
      return Arrays.stream(latencyNanos).average().orElse(0) / 1e6;
    }

    double percentileMillis(double p) {
      return percentile(latencyNanos.clone(), p) / 1e6;
    }

    double backendPerRequest() {
      return backendAttempts / (double) requests();
    }

    /** The calls that arrived during the scenario's incident. */
    Run incident() {
      long from = (long) (scenario.incidentFrom() * lengthNanos);
      long to = (long) (scenario.incidentTo() * lengthNanos);
      int first = 0;
      while (first < arrivalNanos.length && arrivalNanos[first] < from) {
        first++;
      }
      int end = first;
      while (end < arrivalNanos.length && arrivalNanos[end] < to) {
        end++;
      }
      long bucket = lengthNanos / BUCKETS;
      long attempts = 0;
      for (int b = 0; b < BUCKETS; b++) {
        if (b * bucket >= from && b * bucket < to) {
          attempts += attemptsPerBucket[b];
        }
      }
      return new Run(
          scenario,
          setup,
          Arrays.copyOfRange(latencyNanos, first, end),
          Arrays.copyOfRange(succeeded, first, end),
          Arrays.copyOfRange(arrivalNanos, first, end),
          attempts,
          attemptsPerBucket,
          servedByReplica,
          servedPerBucket,
          retries,
          hedges,
          lengthNanos);
    }

    /** The share of accepted backend requests that replica 0 (the one that misbehaves) took. */
    double shareOfReplica0() {
      long total = Arrays.stream(servedByReplica).sum();
      return total == 0 ? 0 : servedByReplica[0] / (double) total;
    }

    /** The p99 latency of the requests that arrived in each bucket, in milliseconds. */
    double[] p99PerBucketMillis() {
      long bucket = lengthNanos / BUCKETS;
      long[][] byBucket = new long[BUCKETS][];
      int[] counts = new int[BUCKETS];
      for (long a : arrivalNanos) {
        counts[(int) Math.min(BUCKETS - 1, a / bucket)]++;
      }
      for (int i = 0; i < BUCKETS; i++) {
        byBucket[i] = new long[counts[i]];
        counts[i] = 0;
      }
      for (int r = 0; r < requests(); r++) {
        int b = (int) Math.min(BUCKETS - 1, arrivalNanos[r] / bucket);
        byBucket[b][counts[b]++] = latencyNanos[r];
      }
      double[] out = new double[BUCKETS];
      for (int i = 0; i < BUCKETS; i++) {
        out[i] = byBucket[i].length == 0 ? 0 : percentile(byBucket[i], 0.99) / 1e6;
      }
      return out;
    }

    private static long percentile(long[] values, double p) {
      if (values.length == 0) {
        return 0;
      }
      Arrays.sort(values);
      int rank = (int) Math.ceil(p * values.length) - 1;
      return values[Math.max(0, Math.min(values.length - 1, rank))];
    }
  }

  /** Runs {@code scenario} with {@code strategy} for {@code length} of virtual time. */
  static Run run(Scenario scenario, Setup setup, long seed, Duration length) {
    Strategy strategy = setup.strategy();
    long lengthNanos = length.toNanos();
    long bucketNanos = lengthNanos / BUCKETS;
    long[] arrivals = arrivals(scenario.ratePerSecond(), lengthNanos, new Random(seed));
    int n = arrivals.length;
    long[] latency = new long[n];
    Arrays.fill(latency, -1);
    long[] attemptsPerBucket = new long[BUCKETS];
    boolean[] ok = new boolean[n];
    long[] counts = new long[2]; // retries, hedges

    try (VirtualTime time = new VirtualTime()) {
      Random serverRandom = new Random(seed * 31 + 1);
      Replica[] replicas = new Replica[scenario.replicas()];
      Map<String, Replica> byOrigin = new HashMap<>();
      String[] origins = new String[replicas.length];
      for (int i = 0; i < replicas.length; i++) {
        replicas[i] =
            new Replica(
                i,
                scenario.timeline(i, lengthNanos),
                time,
                serverRandom,
                BUCKETS,
                bucketNanos,
                strategy.reportsLoad);
        origins[i] = replicas[i].origin;
        byOrigin.put(replicas[i].origin.substring("http://".length()), replicas[i]);
      }
      long[] attempts = new long[1];
      Hyperlane hyperlane =
          Hyperlane.builder()
              .ticker(time)
              .sleeper(time)
              .scheduler(time)
              .blockingExecutor(time.executor())
              .random(new Random(seed * 31 + 2))
              .telemetry(false)
              .loadBalancer(strategy.loadBalancer())
              .outlierDetection(setup.outliers())
              .hedging(strategy.hedging())
              .retry(RETRY)
              .serviceCircuitBreaker(
                  setup.serviceCircuit()
                      ? CircuitBreakerPolicy.serviceDefaults()
                      : CircuitBreakerPolicy.disabled())
              .timeout(CALL_TIMEOUT)
              .listener(
                  event -> {
                    if (event instanceof ResilienceEvent.Retry) {
                      counts[0]++;
                    } else if (event instanceof ResilienceEvent.Hedge) {
                      counts[1]++;
                    }
                  })
              .attemptInterceptor(
                  chain -> {
                    attempts[0]++;
                    attemptsPerBucket[(int) Math.min(BUCKETS - 1, time.read() / bucketNanos)]++;
                    var url = chain.request().url();
                    return byOrigin.get(url.host() + ":" + url.port()).serve(chain);
                  })
              .service("backend", origins)
              .build();
      try (hyperlane) {
        OkHttpClient client =
            hyperlane.wrap(
                new OkHttpClient.Builder()
                    .dispatcher(new Dispatcher(time.executor()))
                    .readTimeout(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .build());
        Request request = new Request.Builder().url("http://backend/items").build();
        for (int i = 0; i < n; i++) {
          int index = i;
          time.spawnAt(
              arrivals[i],
              () -> {
                long start = time.read();
                boolean success;
                try (Response response = client.newCall(request).execute()) {
                  success = response.code() == 200;
                } catch (IOException e) {
                  success = false;
                }
                latency[index] = time.read() - start;
                ok[index] = success;
              });
        }
        // Every call ends by its deadline, so this much more time lets the last ones finish.
        time.runUntil(lengthNanos + CALL_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(1));
      }
      long[] served = new long[replicas.length];
      long[][] perBucket = new long[replicas.length][];
      for (int i = 0; i < replicas.length; i++) {
        served[i] = replicas[i].served;
        perBucket[i] = replicas[i].servedPerBucket();
      }
      for (int i = 0; i < n; i++) {
        if (latency[i] < 0) {
          throw new IllegalStateException("call " + i + " of " + scenario.name() + " never ended");
        }
      }
      return new Run(
          scenario,
          setup,
          latency,
          ok,
          arrivals,
          attempts[0],
          attemptsPerBucket,
          served,
          perBucket,
          counts[0],
          counts[1],
          lengthNanos);
    }
  }

  /** Poisson arrivals at {@code rate} per second over {@code lengthNanos}. */
  private static long[] arrivals(double rate, long lengthNanos, Random random) {
    long[] out = new long[(int) (rate * lengthNanos / 1e9 * 1.5) + 16];
    int n = 0;
    double t = 0;
    while (true) {
      t += -Math.log(1 - random.nextDouble()) / rate * 1e9;
      if (t >= lengthNanos) {
        break;
      }
      if (n == out.length) {
        out = Arrays.copyOf(out, n * 2);
      }
      out[n++] = (long) t;
    }
    return Arrays.copyOf(out, n);
  }
}
