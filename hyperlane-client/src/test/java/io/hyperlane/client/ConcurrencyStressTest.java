package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.DeadlineExceededException;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.testing.FakeTime;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * Stress tests with invariants, bounded in count and time, each repeated enough to meet a race:
 * endpoint-set updates racing picks and ring builds; {@code close()} racing calls; hedges racing
 * cancellation. The numbers each run reached are printed.
 */
class ConcurrencyStressTest extends LoopbackTest {

  @Test
  void endpointUpdatesRacingPicksNeverGiveAnEndpointThatWasNotInASet() throws Exception {
    FakeTime time = new FakeTime();
    ServiceState service =
        new ServiceState(
            "inventory",
            LoadBalancerPolicy.consistentHash("K"),
            OutlierDetection.defaults(),
            SlowStart.defaults(),
            CircuitBreakerPolicy.disabled(),
            ZonePreference.none(),
            ResilienceListener.noop(),
            time,
            time,
            time,
            CurrentThreadRandom.INSTANCE);
    // Every endpoint any update will hold: a pick must return one of these, and never throw.
    List<Endpoint> universe = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      universe.add(Endpoint.of("http://10.0.0." + i + ":80", 1 + i % 7));
    }
    service.update(universe.subList(0, 10));
    Set<String> allowed = new HashSet<>();
    universe.forEach(e -> allowed.add(e.origin()));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger picks = new AtomicInteger();
    AtomicInteger updates = new AtomicInteger();
    ExecutorService pickers = Executors.newFixedThreadPool(3);
    List<Future<?>> done = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      done.add(
          pickers.submit(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (running.get()) {
                  Request.Builder request = new Request.Builder().url("http://inventory/");
                  if (random.nextBoolean()) {
                    request.header("K", "user-" + random.nextInt(1000));
                  }
                  EndpointState e = service.pick(time.read(), null, request.build(), Map.of());
                  assertThat(allowed).contains(e.endpoint.origin());
                  if (random.nextInt(10) == 0) {
                    service.onIoFailure(e, 0, 1, new IOException("boom")); // ejections race too
                  } else {
                    service.onResponse(e, 0, 1, 200);
                  }
                  picks.incrementAndGet();
                }
                return null;
              }));
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (System.nanoTime() < end && updates.get() < 20_000) {
      int from = random.nextInt(universe.size() - 1);
      int to = from + 1 + random.nextInt(universe.size() - from - 1);
      List<Endpoint> next = new ArrayList<>(universe.subList(from, to));
      if (random.nextInt(5) == 0) {
        next.add(next.get(0)); // a duplicate, as registries send them
      }
      if (random.nextInt(7) == 0) {
        next.add(null);
      }
      service.update(next);
      updates.incrementAndGet();
    }
    running.set(false);
    for (Future<?> f : done) {
      f.get(10, TimeUnit.SECONDS);
    }
    pickers.shutdown();
    System.out.printf(
        "endpoint updates racing picks: %d updates, %d picks%n", updates.get(), picks.get());
    assertThat(picks.get()).isGreaterThan(updates.get());
    assertThat(service.snapshot().discoveryFailures()).isZero();
  }

  @Test
  void callsRacingCloseAllEndByTheirDeadlineAtTheLatest() throws Exception {
    replicas = Replicas.start(2);
    replicas.answer(0, 200, 0);
    replicas.answer(1, 200, 40);
    int rounds = 15;
    int callsPerRound = 24;
    int ended = 0;
    try (BlackHole hole = new BlackHole()) {
      OkHttpClient patient = base.newBuilder().readTimeout(Duration.ZERO).build();
      for (int round = 0; round < rounds; round++) {
        Hyperlane hyperlane =
            Hyperlane.builder()
                .telemetry(false)
                .timeout(Duration.ofMillis(400))
                .hedging(
                    round % 2 == 0
                        ? HedgingPolicy.none()
                        : HedgingPolicy.fixed(Duration.ofMillis(20), 1))
                .service("inventory", replicas.url(0), replicas.url(1), hole.url())
                .build();
        OkHttpClient client = hyperlane.wrap(patient);
        List<CompletableFuture<Long>> calls = new ArrayList<>();
        for (int i = 0; i < callsPerRound; i++) {
          calls.add(i % 2 == 0 ? sync(client) : async(client));
        }
        LockSupport.parkNanos(
            ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(60)));
        hyperlane.close(); // while calls are on their way
        for (CompletableFuture<Long> call : calls) {
          long took = call.get(10, TimeUnit.SECONDS);
          assertThat(took)
              .as("every call ends by its 400 ms deadline, and a margin")
              .isLessThan(TimeUnit.MILLISECONDS.toNanos(2_400));
          ended++;
        }
      }
    }
    System.out.printf("close racing calls: %d rounds, %d calls ended in time%n", rounds, ended);
    assertThat(ended).isEqualTo(rounds * callsPerRound);
  }

  /** A GET with execute() on a thread of its own; completes with how long it took. */
  private static CompletableFuture<Long> sync(OkHttpClient client) {
    long start = System.nanoTime();
    return CompletableFuture.supplyAsync(
        () -> {
          try (Response response =
              client.newCall(new Request.Builder().url("http://inventory/").build()).execute()) {
            response.body().bytes();
          } catch (IOException e) {
            assertThat(e)
                .isInstanceOfAny(
                    DeadlineExceededException.class, NoEndpointException.class, IOException.class);
          }
          return System.nanoTime() - start;
        });
  }

  /** A GET with enqueue(); completes with how long it took. */
  private static CompletableFuture<Long> async(OkHttpClient client) {
    long start = System.nanoTime();
    CompletableFuture<Long> took = new CompletableFuture<>();
    client
        .newCall(new Request.Builder().url("http://inventory/").build())
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, IOException e) {
                took.complete(System.nanoTime() - start);
              }

              @Override
              public void onResponse(Call call, Response response) {
                try (response) {
                  response.body().bytes();
                } catch (IOException e) {
                  // ended all the same
                }
                took.complete(System.nanoTime() - start);
              }
            });
    return took;
  }

  @Test
  void hedgesRacingCancellationEndPromptlyAndLeakNoConnection() throws Exception {
    replicas = Replicas.start(3);
    replicas.answer(0, 200, 0);
    replicas.answer(1, 200, 60);
    replicas.answer(2, 503, 20);
    int calls = 300;
    AtomicInteger promptly = new AtomicInteger();
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .telemetry(false)
            .outlierDetection(OutlierDetection.disabled())
            .endpointCircuitBreaker(CircuitBreakerPolicy.disabled())
            .serviceCircuitBreaker(CircuitBreakerPolicy.disabled())
            .loadBalancer(LoadBalancerPolicy.roundRobin())
            .hedging(HedgingPolicy.fixed(Duration.ofMillis(5), 2))
            .service("inventory", replicas.urls())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Map<Call, CompletableFuture<Boolean>> outcomes = new ConcurrentHashMap<>();
      for (int i = 0; i < calls; i++) {
        Call call = client.newCall(new Request.Builder().url("http://inventory/" + i).build());
        CompletableFuture<Boolean> outcome = new CompletableFuture<>();
        outcomes.put(call, outcome);
        call.enqueue(
            new Callback() {
              @Override
              public void onFailure(Call c, IOException e) {
                outcome.complete(false);
              }

              @Override
              public void onResponse(Call c, Response response) {
                try (response) {
                  response.body().bytes();
                } catch (IOException e) {
                  // a body cut by the cancel
                }
                outcome.complete(true);
              }
            });
        if (i % 3 != 0) { // two calls in three are cancelled, at a random moment
          LockSupport.parkNanos(
              ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(30)));
          long cancelled = System.nanoTime();
          call.cancel();
          outcome.get(10, TimeUnit.SECONDS);
          if (System.nanoTime() - cancelled < TimeUnit.MILLISECONDS.toNanos(500)) {
            promptly.incrementAndGet();
          }
        }
      }
      for (CompletableFuture<Boolean> outcome : outcomes.values()) {
        outcome.get(10, TimeUnit.SECONDS);
      }
    }
    // Every exchange is over: a response nobody closed would keep its connection busy.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (base.connectionPool().idleConnectionCount() < base.connectionPool().connectionCount()
        && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    System.out.printf(
        "hedges racing cancellation: %d calls, %d cancelled ended within 500 ms,"
            + " %d connections, all idle%n",
        calls, promptly.get(), base.connectionPool().connectionCount());
    assertThat(promptly.get()).isEqualTo(calls - (calls + 2) / 3);
    assertThat(base.connectionPool().idleConnectionCount())
        .isEqualTo(base.connectionPool().connectionCount());
  }
}
