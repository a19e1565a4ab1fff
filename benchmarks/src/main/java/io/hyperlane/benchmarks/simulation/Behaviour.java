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
 * @param capacity the share of a full replica's capacity it has (0.5: half the CPU): fewer requests
 *     in progress before each one slows down
 * @param otherCallers requests in progress from callers the client does not see (other services,
 *     other instances): they slow the replica as its own requests do, and its load reports count
 *     them
 */
record Behaviour(
    double medianMillis,
    double errorRate,
    double errorMillis,
    Mode mode,
    double capacity,
    int otherCallers) {

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
    return new Behaviour(medianMillis, 0, 0, Mode.SERVING, 1, 0);
  }

  static Behaviour failing(double errorRate, double medianMillis, double errorMillis) {
    return new Behaviour(medianMillis, errorRate, errorMillis, Mode.SERVING, 1, 0);
  }

  static Behaviour blackHole() {
    return new Behaviour(0, 0, 0, Mode.BLACK_HOLE, 1, 0);
  }

  static Behaviour down() {
    return new Behaviour(0, 0, 0, Mode.DOWN, 1, 0);
  }

  /** The same behaviour on {@code share} of a full replica's capacity. */
  Behaviour withCapacity(double share) {
    return new Behaviour(medianMillis, errorRate, errorMillis, mode, share, otherCallers);
  }

  /** The same behaviour with {@code requests} in progress from other callers all along. */
  Behaviour withOtherCallers(int requests) {
    return new Behaviour(medianMillis, errorRate, errorMillis, mode, capacity, requests);
  }
}
