package io.hyperlane.resilience;

/**
 * A call was refused, without being sent, because a service-level limit was reached: its
 * concurrency limit (the number of calls in flight) or its rate limit.
 */
public final class LimitExceededException extends UnsentRequestException {
  private static final long serialVersionUID = 1L;

  /** Which limit refused the call. */
  public enum Kind {
    /** The adaptive concurrency limit: too many calls in flight. */
    CONCURRENCY,
    /** The rate limit: too many calls in the current period. */
    RATE
  }

  private final String service;
  private final Kind kind;
  private final int limit;

  LimitExceededException(String service, Kind kind, int limit) {
    super(
        (kind == Kind.CONCURRENCY
                ? "concurrency limit of " + limit + " calls in flight"
                : "rate limit of " + limit + " calls per period")
            + " reached for service "
            + service
            + ": the call was not sent");
    this.service = service;
    this.kind = kind;
    this.limit = limit;
  }

  /** The service or host called. */
  public String service() {
    return service;
  }

  /** Which limit refused the call. */
  public Kind kind() {
    return kind;
  }

  /** The limit at the moment of refusal. */
  public int limit() {
    return limit;
  }
}
