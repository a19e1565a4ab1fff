package io.hyperlane.client;

import java.io.IOException;

/**
 * Thrown by a call to {@code http://<service>/…} when the service has no endpoint to send it to: its
 * discovery has not delivered any yet, or the {@link Hyperlane} instance is closed.
 */
public final class NoEndpointException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String service;

  NoEndpointException(String service, String reason) {
    super("no endpoint for service \"" + service + "\": " + reason);
    this.service = service;
  }

  /** The service the call was addressed to. */
  public String service() {
    return service;
  }
}
