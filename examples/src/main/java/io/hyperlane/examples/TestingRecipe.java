package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import io.hyperlane.client.OutlierDetection;
import io.hyperlane.testing.FakeTime;
import io.hyperlane.testing.Fault;
import io.hyperlane.testing.LocalReplicas;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Testing your own service's resilience with {@code hyperlane-testing}: three local replicas, one
 * that resets every connection and one that answers 503; the calls still succeed (retries on the
 * healthy replica), and outlier ejection — driven on fake time — takes the failing replicas out of
 * rotation and lets them back when their ejection ends. In a JUnit 5 test, register the replicas
 * with {@code @RegisterExtension final LocalReplicas replicas = LocalReplicas.start(3);}.
 */
public final class TestingRecipe {

  /** What the recipe saw: successes, and each replica's requests, before and after the return. */
  public record Outcome(
      int succeeded, int[] received, int ejectedAfterFailures, int ejectedLater) {}

  public static void main(String[] args) throws IOException {
    Outcome outcome = run(20);
    System.out.println(
        outcome.succeeded()
            + " of 20 calls succeeded; ejected after the failures: "
            + outcome.ejectedAfterFailures()
            + ", a minute later: "
            + outcome.ejectedLater());
  }

  public static Outcome run(int calls) throws IOException {
    FakeTime time = new FakeTime();
    try (LocalReplicas replicas = LocalReplicas.start(3);
        Hyperlane hyperlane =
            Hyperlane.builder()
                .ticker(time) // ejections, backoffs and ramps run on the test's clock
                .sleeper(time) // a retry's pause moves the clock instead of waiting
                .scheduler(time)
                .blockingExecutor(time)
                .outlierDetection(OutlierDetection.builder().consecutiveFailures(2).build())
                // Round robin keeps calling every replica, so ejection is what takes the failing
                // ones out (the default balancer would mostly steer around them on its own).
                .loadBalancer(LoadBalancerPolicy.roundRobin())
                .service("inventory", replicas.urls())
                .build()) {
      replicas.get(0).always(Fault.reset());
      replicas.get(1).always(Fault.status(503));
      OkHttpClient client = hyperlane.wrap(new OkHttpClient());
      int succeeded = 0;
      for (int i = 0; i < calls; i++) {
        Request request = new Request.Builder().url("http://inventory/items/" + i).build();
        try (Response response = client.newCall(request).execute()) {
          succeeded += response.code() == 200 ? 1 : 0;
        }
      }
      int ejected = ejected(hyperlane);
      replicas.get(0).always(Fault.none());
      replicas.get(1).always(Fault.none());
      time.advance(Duration.ofMinutes(1)); // past every ejection
      int later = ejected(hyperlane);
      int[] received = new int[replicas.size()];
      for (int r = 0; r < received.length; r++) {
        received[r] = replicas.get(r).received();
      }
      return new Outcome(succeeded, received, ejected, later);
    }
  }

  private static int ejected(Hyperlane hyperlane) {
    return (int)
        hyperlane.snapshot().service("inventory").endpoints().stream()
            .filter(e -> e.ejected())
            .count();
  }
}
