package io.hyperlane.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs JMH with the given command-line options and prints every benchmark named {@code
 * <x>Hyperlane} (or {@code <x>Handwired}) as a ratio of {@code <x>Raw} — or of the {@code <y>Raw}
 * whose {@code <y>} begins {@code <x>} — measured in the same run, with the allocation per call
 * when {@code -prof gc} is on.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.Report RoutingOverhead -prof gc
 * </pre>
 */
public final class Report {

  private Report() {}

  public static void main(String[] args) throws Exception {
    Collection<RunResult> results = new Runner(new CommandLineOptions(args)).run();
    Map<String, RunResult> byName = new LinkedHashMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      String threads = String.valueOf(r.getParams().getThreads());
      byName.put(name.substring(name.lastIndexOf('.') + 1) + "@" + threads, r);
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            "%-24s %7s %12s %12s %12s %10s %12s",
            "benchmark",
            "threads",
            "score",
            "baseline",
            "added",
            "ratio",
            "B/op added"));
    for (Map.Entry<String, RunResult> e : byName.entrySet()) {
      String key = e.getKey();
      String name = key.substring(0, key.indexOf('@'));
      String threads = key.substring(key.indexOf('@') + 1);
      String prefix = name.replaceAll("(Hyperlane|Handwired)$", "");
      if (prefix.equals(name)) {
        continue;
      }
      RunResult baseline = byName.get(prefix + "Raw@" + threads);
      for (String other : byName.keySet()) { // or the *Raw whose stem begins this name
        String stem = other.substring(0, other.indexOf('@'));
        if (baseline == null
            && stem.endsWith("Raw")
            && other.endsWith("@" + threads)
            && prefix.startsWith(stem.substring(0, stem.length() - 3))) {
          baseline = byName.get(other);
        }
      }
      if (baseline == null) {
        continue;
      }
      Result<?> score = e.getValue().getPrimaryResult();
      Result<?> base = baseline.getPrimaryResult();
      lines.add(
          String.format(
              Locale.ROOT,
              "%-24s %7s %9.3f %s %9.3f %s %9.3f %s %9.3fx %12s",
              name,
              threads,
              score.getScore(),
              score.getScoreUnit(),
              base.getScore(),
              base.getScoreUnit(),
              score.getScore() - base.getScore(),
              score.getScoreUnit(),
              score.getScore() / base.getScore(),
              allocationDelta(e.getValue(), baseline)));
    }
    System.out.println();
    System.out.println("Ratios against the raw OkHttp baseline of the same run:");
    lines.forEach(System.out::println);
  }

  private static String allocationDelta(RunResult run, RunResult baseline) {
    Result<?> a = run.getSecondaryResults().get("gc.alloc.rate.norm");
    Result<?> b = baseline.getSecondaryResults().get("gc.alloc.rate.norm");
    if (a == null || b == null) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%.0f", a.getScore() - b.getScore());
  }
}
