package io.hyperlane.resilience;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A decision taken by a Hyperlane stage. The resilience stages' decisions are the records nested
 * here; the client module adds its routing and discovery decisions ({@code
 * io.hyperlane.client.RoutingEvent}), delivered to the same listener. Listeners ({@link
 * ResilienceListener}) turn events into logs, metrics and span events; tests assert on them.
 */
public interface ResilienceEvent {

  /** The service (or host) of the logical call the decision is about. */
  String service();

  /**
   * Another attempt will be sent.
   *
   * @param service the service or host
   * @param attempt the resend count of the coming attempt: 1 for the first retry
   * @param delay how long the stage waits before sending it
   * @param cause what the previous attempt ended with, such as {@code 503} or {@code
   *     java.net.ConnectException}
   */
  record Retry(String service, int attempt, Duration delay, String cause)
      implements ResilienceEvent {}

  /**
   * A call was slow, and another attempt was sent in parallel.
   *
   * @param service the service or host
   * @param attempt the resend count of the hedge: 1 for the first extra attempt
   * @param delay how long the call had run when the hedge was sent
   */
  record Hedge(String service, int attempt, Duration delay) implements ResilienceEvent {}

  /**
   * A failed attempt was not retried although it could have been, and why.
   *
   * @param service the service or host
   * @param attempts attempts made for the call
   * @param reason why no further attempt is made
   * @param cause what the last attempt ended with
   */
  record RetryRefused(String service, int attempts, RefusalReason reason, String cause)
      implements ResilienceEvent {}

  /**
   * A circuit changed state.
   *
   * @param service the service or host
   * @param endpoint the endpoint whose circuit it is, or null for the service's circuit
   * @param from the state it left
   * @param to the state it entered
   */
  record CircuitStateChanged(
      String service, @Nullable String endpoint, CircuitState from, CircuitState to)
      implements ResilienceEvent {}

  /**
   * A call was refused without being sent because a service-level limit was reached.
   *
   * @param service the service or host
   * @param kind which limit
   * @param limit the limit at that moment
   */
  record LimitReached(String service, LimitExceededException.Kind kind, int limit)
      implements ResilienceEvent {}

  /**
   * A call was refused without being sent because the service's circuit is open.
   *
   * @param service the service or host
   */
  record CallRejected(String service) implements ResilienceEvent {}

  /** Why a retryable failure was not retried. */
  enum RefusalReason {
    /** The service's retry budget is spent: retries would add load to a failing service. */
    BUDGET_EXHAUSTED,
    /** The method is not idempotent and the request may have reached the server. */
    NOT_IDEMPOTENT,
    /** The request body is one-shot and was already sent once. */
    BODY_ALREADY_SENT,
    /** The server asked, through {@code Retry-After}, for a longer pause than the policy allows. */
    RETRY_AFTER_BEYOND_CAP,
    /** The policy's maximum number of attempts was reached. */
    ATTEMPTS_EXHAUSTED,
    /** The call's deadline would pass before the retry could start. */
    DEADLINE,
    /**
     * A hedge of an adaptive policy was not sent: more calls than twice the policy's share (10% for
     * the 95th percentile) were hedged recently, as when the whole service slows down at once and
     * every call outlasts the old percentile.
     */
    HEDGE_RATE
  }
}
