package io.hyperlane.resilience;

import java.util.Objects;

/**
 * Observes every decision of the resilience stages. Called synchronously on the thread that made
 * the decision, so it <b>must be fast and never throw</b>; an exception it throws anyway is caught
 * and ignored.
 *
 * <pre>{@code
 * ResilienceListener log = event -> {
 *   if (event instanceof ResilienceEvent.RetryRefused refused) {
 *     logger.debug("not retried: {}", refused);
 *   }
 * };
 * }</pre>
 */
@FunctionalInterface
public interface ResilienceListener {

  /** Receives one event. */
  void onEvent(ResilienceEvent event);

  /** A listener that ignores every event. */
  static ResilienceListener noop() {
    return event -> {};
  }

  /** Returns a listener that calls this one, then {@code next}, each shielded from the other. */
  default ResilienceListener andThen(ResilienceListener next) {
    Objects.requireNonNull(next, "next");
    ResilienceListener first = this;
    return event -> {
      notify(first, event);
      notify(next, event);
    };
  }

  /** Delivers {@code event} to {@code listener}, swallowing anything it throws. */
  static void notify(ResilienceListener listener, ResilienceEvent event) {
    try {
      listener.onEvent(event);
    } catch (RuntimeException ignored) {
      // A listener must not break a call; the contract says it never throws.
    }
  }
}
