package io.hyperlane.client;

import io.hyperlane.resilience.UnsentRequestException;

/**
 * Thrown by a call to {@code http://<service>/…} when the service has no endpoint to send it to:
 * its discovery has not delivered any yet, or the {@link Hyperlane} instance is closed. The request
 * never left the process, so a retry stage may retry it whatever its method.
 */
public final class NoEndpointException extends UnsentRequestException {
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
