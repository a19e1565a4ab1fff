package io.hyperlane.client;

/**
 * Receives {@link Alert}s: once when a threshold is crossed, once when the service recovers. Called
 * on the thread of the call that completed the evaluation; it must be fast and never throw (an
 * exception is caught and ignored). Hand slow work (paging, webhooks) to an executor.
 */
@FunctionalInterface
public interface AlertListener {

  /** Receives one alert. */
  void onAlert(Alert alert);
}
