package io.hyperlane.benchmarks.simulation;

/**
 * How a modelled replica answers during one phase of a scenario.
 *
 * @param medianMillis median service time of an answer; each answer draws from a log-normal
 *     distribution around it (p99 ≈ 2 × the median), stretched by the replica's queue when more
 *     requests are in progress than it has capacity for
 * @param errorRate share of answers that are {@code 500}
 * @param errorMillis service time of a {@code 500}
 * @param mode whether the replica answers at all
 */
record Behaviour(double medianMillis, double errorRate, double errorMillis, Mode mode) {

  /** Whether a replica answers. */
  enum Mode {
    /** Accepts and answers. */
    SERVING,
    /** Accepts and never answers: only the client's timeouts end the attempt. */
    BLACK_HOLE,
    /** Refuses connections: the attempt fails at once, provably unsent. */
    DOWN
  }

  static Behaviour healthy(double medianMillis) {
    return new Behaviour(medianMillis, 0, 0, Mode.SERVING);
  }

  static Behaviour failing(double errorRate, double medianMillis, double errorMillis) {
    return new Behaviour(medianMillis, errorRate, errorMillis, Mode.SERVING);
  }

  static Behaviour blackHole() {
    return new Behaviour(0, 0, 0, Mode.BLACK_HOLE);
  }

  static Behaviour down() {
    return new Behaviour(0, 0, 0, Mode.DOWN);
  }
}
