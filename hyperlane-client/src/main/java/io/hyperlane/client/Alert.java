package io.hyperlane.client;

/**
 * A service crossed one of its {@link AlertPolicy} thresholds, or came back under it.
 *
 * @param service the service
 * @param kind what was measured
 * @param firing true when the threshold was crossed, false when the service recovered
 * @param value the measured value: seconds for {@link Kind#P99_LATENCY}, a share from 0 to 1 for
 *     {@link Kind#ERROR_RATE}
 * @param threshold the threshold it was compared with, in the same unit
 */
public record Alert(String service, Kind kind, boolean firing, double value, double threshold) {

  /** What an alert measures. */
  public enum Kind {
    /** The 99th percentile of logical call latency over the window. */
    P99_LATENCY,
    /** The share of logical calls that failed (I/O error or 5xx) over the window. */
    ERROR_RATE
  }
}
