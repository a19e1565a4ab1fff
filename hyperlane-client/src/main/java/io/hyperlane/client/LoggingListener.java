package io.hyperlane.client;

import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.ResilienceListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs every decision at DEBUG, on logger {@code io.hyperlane.decisions}. Events carry services,
 * endpoints, counts and causes, never a header or a body, so no credential can reach a log this
 * way; the state changes worth a warning (an ejection, a circuit opening, a registry outage) are
 * logged once each by the code that decides them.
 */
final class LoggingListener implements ResilienceListener {

  private static final Logger log = LoggerFactory.getLogger("io.hyperlane.decisions");

  @Override
  public void onEvent(ResilienceEvent event) {
    if (log.isDebugEnabled()) {
      log.debug("{}", event);
    }
  }
}
