package io.hyperlane.benchmarks.simulation;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The report's strategies averaged over several seeds, so that a difference between two rows can be
 * told from the luck of one seed: success, p99, p99.9 and backend requests per call, each the mean
 * over seeds 1000, 1001, …
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar
 * io.hyperlane.benchmarks.simulation.SeedComparison [seeds] [seconds] [strategies] [scenarios]},
 * for example {@code 5 60 PEAK_EWMA,PEAK_EWMA_3,PEAK_EWMA_HEDGED,PEAK_EWMA_3_HEDGED} (the default
 * strategies; every scenario by default, else the names given, such as {@code demo,hidden-load}).
 */
public final class SeedComparison {

  private SeedComparison() {}

  public static void main(String[] args) {
    int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    List<Strategy> strategies =
        Arrays.stream(
                (args.length > 2
                        ? args[2]
                        : "PEAK_EWMA,PEAK_EWMA_3,PEAK_EWMA_HEDGED,PEAK_EWMA_3_HEDGED")
                    .split(","))
            .map(Strategy::valueOf)
            .toList();
    System.out.printf(
        Locale.ROOT,
        "| scenario | strategy | success | p99 | p99.9 | backend/req |%n|---|---|---:|---:|---:|---:|%n");
    List<Scenario> scenarios =
        args.length > 3
            ? Arrays.stream(args[3].split(",")).map(Scenario::named).toList()
            : Scenario.all();
    for (Scenario scenario : scenarios) {
      for (Strategy strategy : strategies) {
        double success = 0;
        double p99 = 0;
        double p999 = 0;
        double backend = 0;
        for (int s = 0; s < seeds; s++) {
          Simulation.Run run =
              Simulation.run(
                  scenario, new Simulation.Setup(strategy), 1000 + s, Duration.ofSeconds(seconds));
          success += run.successRate();
          p99 += run.percentileMillis(0.99);
          p999 += run.percentileMillis(0.999);
          backend += run.backendPerRequest();
        }
        System.out.printf(
            Locale.ROOT,
            "| %s | %s | %.3f%% | %.1f ms | %.1f ms | %.3f |%n",
            scenario.name(),
            strategy.label,
            100 * success / seeds,
            p99 / seeds,
            p999 / seeds,
            backend / seeds);
      }
    }
  }
}
