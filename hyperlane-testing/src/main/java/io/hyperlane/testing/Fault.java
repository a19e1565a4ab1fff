package io.hyperlane.testing;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link LocalReplicas.Replica} answers a request: normally, or with one of the failures a
 * service mesh must survive. Immutable.
 *
 * <pre>{@code
 * replicas.get(0).always(Fault.delay(Duration.ofMillis(200)));  // a slow replica
 * replicas.get(1).next(Fault.reset(), Fault.status(503));       // two failures, then normal
 * replicas.get(2).always(Fault.blackHole());                    // accepts, never answers
 * }</pre>
 */
public final class Fault {

  enum Kind {
    NONE,
    STATUS,
    DELAY,
    RESET,
    BLACK_HOLE,
    SLOW_BODY
  }

  private static final Fault NONE = new Fault(Kind.NONE, 200, Duration.ZERO, 0);

  final Kind kind;
  final int status;
  final Duration delay;
  final int chunks;

  private Fault(Kind kind, int status, Duration delay, int chunks) {
    this.kind = kind;
    this.status = status;
    this.delay = delay;
    this.chunks = chunks;
  }

  /**
   * No fault: 200, with the replica's name as the body and its index in {@code X-Replica}.
   *
   * @return the normal answer
   */
  public static Fault none() {
    return NONE;
  }

  /**
   * Answers with {@code status} (and the replica's name as the body) at once.
   *
   * @param status from 100 to 599, such as 503
   * @return the fault
   * @throws IllegalArgumentException if {@code status} is not an HTTP status
   */
  public static Fault status(int status) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status must be from 100 to 599 but was " + status);
    }
    return new Fault(Kind.STATUS, status, Duration.ZERO, 0);
  }

  /**
   * Answers normally after {@code delay}, as a slow replica does.
   *
   * @param delay from 0 to 1 minute
   * @return the fault
   * @throws IllegalArgumentException if {@code delay} is negative or longer than a minute
   */
  public static Fault delay(Duration delay) {
    return new Fault(Kind.DELAY, 200, checked(delay, "delay"), 0);
  }

  /**
   * Closes the connection without answering, as a replica that crashes mid-request does.
   *
   * @return the fault
   */
  public static Fault reset() {
    return new Fault(Kind.RESET, 0, Duration.ZERO, 0);
  }

  /**
   * Accepts the request and never answers (until the replicas are closed), as a replica behind a
   * dead load balancer or a full GC does: only a timeout or a deadline ends such a call.
   *
   * @return the fault
   */
  public static Fault blackHole() {
    return new Fault(Kind.BLACK_HOLE, 0, Duration.ZERO, 0);
  }

  /**
   * Sends the headers of a 200 at once, then the body in {@code chunks} pieces with {@code pause}
   * before each.
   *
   * @param chunks from 1 to 1,000
   * @param pause from 0 to 1 minute
   * @return the fault
   * @throws IllegalArgumentException if either is out of range
   */
  public static Fault slowBody(int chunks, Duration pause) {
    if (chunks < 1 || chunks > 1_000) {
      throw new IllegalArgumentException("chunks must be from 1 to 1000 but was " + chunks);
    }
    return new Fault(Kind.SLOW_BODY, 200, checked(pause, "pause"), chunks);
  }

  private static Duration checked(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException(name + " must be from 0 to 1 minute but was " + d);
    }
    return d;
  }

  @Override
  public String toString() {
    switch (kind) {
      case STATUS:
        return "Fault.status(" + status + ")";
      case DELAY:
        return "Fault.delay(" + delay + ")";
      case SLOW_BODY:
        return "Fault.slowBody(" + chunks + ", " + delay + ")";
      case RESET:
        return "Fault.reset()";
      case BLACK_HOLE:
        return "Fault.blackHole()";
      default:
        return "Fault.none()";
    }
  }
}
