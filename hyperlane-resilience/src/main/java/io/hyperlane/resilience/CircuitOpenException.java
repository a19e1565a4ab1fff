package io.hyperlane.resilience;

import org.jspecify.annotations.Nullable;

/**
 * A call was refused because a circuit is open: the service's (every endpoint is failing) or, when
 * a routing stage raises it, one endpoint's. The request never left the process.
 */
public final class CircuitOpenException extends UnsentRequestException {
  private static final long serialVersionUID = 1L;

  private final String service;
  private final @Nullable String endpoint;
  private final float failureRate;

  /**
   * Creates the exception.
   *
   * @param service the service or host called
   * @param endpoint the endpoint whose circuit is open, or null for the service's circuit
   * @param failureRate the failure rate, in percent, that opened the circuit; negative if unknown
   */
  public CircuitOpenException(String service, @Nullable String endpoint, float failureRate) {
    super(
        "circuit open for "
            + (endpoint == null
                ? "service " + service
                : "endpoint " + endpoint + " of service " + service)
            + (failureRate >= 0 ? " (failure rate " + failureRate + "%)" : "")
            + ": the call was not sent");
    this.service = service;
    this.endpoint = endpoint;
    this.failureRate = failureRate;
  }

  /** The service or host called. */
  public String service() {
    return service;
  }

  /** The endpoint whose circuit is open, or null when it is the service's circuit. */
  public @Nullable String endpoint() {
    return endpoint;
  }

  /** The failure rate in percent that opened the circuit, or a negative number if unknown. */
  public float failureRate() {
    return failureRate;
  }
}
