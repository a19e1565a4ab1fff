package io.hyperlane.resilience;

import java.io.IOException;

/**
 * A failure that proves the request never left this process: no endpoint to send it to, an open
 * circuit, a limit reached. Such a call can be retried whatever its method, since no server has
 * seen it.
 */
public abstract class UnsentRequestException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that says what happened. */
  protected UnsentRequestException(String message) {
    super(message);
  }
}
