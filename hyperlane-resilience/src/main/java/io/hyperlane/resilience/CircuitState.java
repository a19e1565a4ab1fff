package io.hyperlane.resilience;

/**
 * The state of a circuit, as Hyperlane's events and snapshots report it. Hyperlane's own type, so
 * that a Resilience4j upgrade changes nothing a user sees.
 */
public enum CircuitState {
  /** Calls go through; failures are counted. */
  CLOSED,
  /** Calls are refused without being sent, until the circuit's wait is over. */
  OPEN,
  /** A few probe calls go through; their outcome closes the circuit or opens it again. */
  HALF_OPEN
}
