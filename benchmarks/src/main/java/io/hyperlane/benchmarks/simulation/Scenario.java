package io.hyperlane.benchmarks.simulation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A story told to the modelled replicas: who changes how, and when. Times are fractions of the run,
 * so a short smoke run and the full report tell the same story.
 *
 * @param name file-name friendly identifier
 * @param title one line for the report
 * @param story what happens, in a sentence or two
 * @param replicas how many replicas the service has
 * @param ratePerSecond mean arrival rate of the open-loop load (Poisson arrivals)
 * @param changes changes in the order they happen; before the first, every replica is healthy. The
 *     incident lasts from the first change to the last when that one restores health, else to the
 *     end of the run
 */
record Scenario(
    String name,
    String title,
    String story,
    int replicas,
    double ratePerSecond,
    List<Change> changes) {

  /** Where the first change starts (0 when the scenario is one state for the whole run). */
  double incidentFrom() {
    return changes.get(0).from();
  }

  /** Where the last change that restores health starts, or the end of the run. */
  double incidentTo() {
    Change last = changes.get(changes.size() - 1);
    return changes.size() > 1 && last.behaviour().equals(Behaviour.healthy(BASE_MILLIS))
        ? last.from()
        : 1.0;
  }

  /** The healthy replica's median service time. */
  static final double BASE_MILLIS = 10;

  /**
   * From {@code from} (fraction of the run) on, {@code replica} (or every replica, when -1) behaves
   * as {@code behaviour}.
   */
  record Change(double from, int replica, Behaviour behaviour) {}

  /** A replica's behaviour over the run. */
  static final class Timeline {
    private final long[] fromNanos;
    private final Behaviour[] behaviours;

    private Timeline(long[] fromNanos, Behaviour[] behaviours) {
      this.fromNanos = fromNanos;
      this.behaviours = behaviours;
    }

    Behaviour at(long nanos) {
      Behaviour b = behaviours[0];
      for (int i = 1; i < fromNanos.length && fromNanos[i] <= nanos; i++) {
        b = behaviours[i];
      }
      return b;
    }
  }

  /** The timeline of {@code replica} in a run of {@code lengthNanos}. */
  Timeline timeline(int replica, long lengthNanos) {
    List<Change> mine = new ArrayList<>();
    mine.add(new Change(0, replica, Behaviour.healthy(BASE_MILLIS)));
    changes.stream()
        .filter(c -> c.replica() == replica || c.replica() == -1)
        .sorted(Comparator.comparingDouble(Change::from))
        .forEach(mine::add);
    long[] from = new long[mine.size()];
    Behaviour[] behaviours = new Behaviour[mine.size()];
    for (int i = 0; i < mine.size(); i++) {
      from[i] = (long) (mine.get(i).from() * lengthNanos);
      behaviours[i] = mine.get(i).behaviour();
    }
    return new Timeline(from, behaviours);
  }

  /** The scenarios of the report, in its order. */
  static List<Scenario> all() {
    Behaviour healthy = Behaviour.healthy(BASE_MILLIS);
    return List.of(
        new Scenario(
            "slow-replica",
            "One slow replica",
            "Replica 0 of five answers in 50 ms instead of 10 ms for the whole run.",
            5,
            200,
            List.of(new Change(0, 0, Behaviour.healthy(50)))),
        new Scenario(
            "black-hole",
            "A black-hole replica",
            "From 1/6 of the run, replica 0 accepts requests and never answers: only the client's"
                + " 1 s read timeout ends an attempt there.",
            5,
            200,
            List.of(new Change(1 / 6.0, 0, Behaviour.blackHole()))),
        new Scenario(
            "all-fail",
            "Every replica failing",
            "From 1/6 to 2/3 of the run every replica answers 500 in 1 ms; then all recover.",
            5,
            200,
            List.of(
                new Change(1 / 6.0, -1, Behaviour.failing(1.0, BASE_MILLIS, 1)),
                new Change(2 / 3.0, -1, healthy))),
        new Scenario(
            "slowdown",
            "A drastic slowdown",
            "From 1/3 to 2/3 of the run replica 0 takes 1 s instead of 10 ms (the client's read"
                + " timeout is 1 s).",
            5,
            200,
            List.of(
                new Change(1 / 3.0, 0, Behaviour.healthy(1_000)), new Change(2 / 3.0, 0, healthy))),
        new Scenario(
            "restart",
            "A replica restarting",
            "From 1/3 to 1/2 of the run replica 0 refuses connections, then serves again.",
            5,
            200,
            List.of(new Change(1 / 3.0, 0, Behaviour.down()), new Change(1 / 2.0, 0, healthy))),
        new Scenario(
            "fast-failures",
            "Fast failures attract traffic",
            "Replica 0 answers half its requests with a 500 in 1 ms for the whole run: to a"
                + " balancer that only looks at latency or load it looks like the best replica.",
            5,
            200,
            List.of(new Change(0, 0, Behaviour.failing(0.5, BASE_MILLIS, 1)))),
        new Scenario(
            "brownout",
            "A brownout of the whole service",
            "From 1/3 to 2/3 of the run every replica is five times slower (50 ms) and answers"
                + " 10% of requests with a 500.",
            5,
            200,
            List.of(
                new Change(1 / 3.0, -1, Behaviour.failing(0.1, 5 * BASE_MILLIS, 5 * BASE_MILLIS)),
                new Change(2 / 3.0, -1, healthy))),
        new Scenario(
            "demo",
            "The demo's replicas",
            "Four replicas that answer in about 1 ms, as in ./scripts/demo: replica 0 is 20 ms"
                + " slower for the whole run, replica 1 fails 15% of its requests (500 in 1 ms),"
                + " replica 2 refuses connections from 30% to 65% of the run, replica 3 is"
                + " healthy.",
            4,
            200,
            List.of(
                new Change(0, -1, Behaviour.healthy(1)),
                new Change(0, 0, Behaviour.healthy(21)),
                new Change(0.3, 2, Behaviour.down()),
                new Change(0.65, 2, Behaviour.healthy(1)),
                new Change(0, 1, Behaviour.failing(0.15, 1, 1)))),
        new Scenario(
            "half-capacity",
            "One replica on half the CPU",
            "Replica 0 has half the capacity of the others for the whole run: it takes twice as"
                + " long (20 ms) and slows down with half as many requests in progress.",
            5,
            200,
            List.of(new Change(0, 0, Behaviour.healthy(2 * BASE_MILLIS).withCapacity(0.5)))),
        new Scenario(
            "noisy-neighbour",
            "A noisy neighbour",
            "From 1/3 to 2/3 of the run (20 s of a 60 s run) replica 0 shares its machine with a"
                + " noisy neighbour and answers three times slower (30 ms).",
            5,
            200,
            List.of(
                new Change(1 / 3.0, 0, Behaviour.healthy(3 * BASE_MILLIS)),
                new Change(2 / 3.0, 0, healthy))),
        new Scenario(
            "errors-and-slow",
            "Errors everywhere, one replica slower",
            "Every replica answers 2% of its requests with a 500 in 1 ms, and replica 0 is 20 ms"
                + " slower (30 ms) for the whole run: the failure penalty must not swamp the"
                + " latency signal.",
            5,
            200,
            List.of(
                new Change(0, -1, Behaviour.failing(0.02, BASE_MILLIS, 1)),
                new Change(0, 0, Behaviour.failing(0.02, BASE_MILLIS + 20, 1)))),
        new Scenario(
            "high-utilization",
            "High utilization",
            "Five single-core replicas (one request at a time at full speed, so about 100"
                + " requests/s each) under 425 requests/s, 85% of what they can serve; replica 0"
                + " is 20% slower.",
            5,
            425,
            List.of(
                new Change(0, -1, Behaviour.healthy(BASE_MILLIS).withCapacity(1.0 / CAPACITY)),
                new Change(
                    0, 0, Behaviour.healthy(1.2 * BASE_MILLIS).withCapacity(1.0 / CAPACITY)))),
        new Scenario(
            "hidden-load",
            "Load from callers the client cannot see",
            "Other services share the replicas: each sixth of the run from the second on, one"
                + " replica in turn (0, 1, 2, 3, then none) carries 24 requests in progress from"
                + " other callers, three times its capacity, so it answers about four times"
                + " slower; only the replica knows why.",
            5,
            200,
            List.of(
                new Change(1 / 6.0, 0, healthy.withOtherCallers(24)),
                new Change(2 / 6.0, 0, healthy),
                new Change(2 / 6.0, 1, healthy.withOtherCallers(24)),
                new Change(3 / 6.0, 1, healthy),
                new Change(3 / 6.0, 2, healthy.withOtherCallers(24)),
                new Change(4 / 6.0, 2, healthy),
                new Change(4 / 6.0, 3, healthy.withOtherCallers(24)),
                new Change(5 / 6.0, 3, healthy))));
  }

  private static final int CAPACITY = Replica.CAPACITY;

  static Scenario named(String name) {
    return all().stream()
        .filter(s -> s.name.equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no scenario named " + name));
  }
}
