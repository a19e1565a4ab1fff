package io.hyperlane.cache;

import java.util.Objects;

/**
 * Observes the decisions of an {@link HttpCache}. Called synchronously on the thread that made the
 * decision, so it <b>must be fast and never throw</b>; an exception it throws anyway is caught and
 * ignored.
 */
@FunctionalInterface
public interface CacheListener {

  /** Receives one event. */
  void onEvent(CacheEvent event);

  /** A listener that ignores every event. */
  static CacheListener noop() {
    return event -> {};
  }

  /** Returns a listener that calls this one, then {@code next}, each shielded from the other. */
  default CacheListener andThen(CacheListener next) {
    Objects.requireNonNull(next, "next");
    CacheListener first = this;
    return event -> {
      notify(first, event);
      notify(next, event);
    };
  }

  /** Delivers {@code event} to {@code listener}, swallowing anything it throws. */
  static void notify(CacheListener listener, CacheEvent event) {
    try {
      listener.onEvent(event);
    } catch (RuntimeException ignored) {
      // A listener must not break a call; the contract says it never throws.
    }
  }
}
