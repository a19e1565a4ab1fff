package io.hyperlane.resilience.internal;

import io.hyperlane.resilience.CallFailedException;

/** What a failure is underneath the retry stage's account of it. Not part of the API. */
public final class Failures {

  private Failures() {}

  /**
   * The last attempt's failure when {@code failure} is a {@link CallFailedException}, else {@code
   * failure}: what a metric's {@code error.type} or a circuit's exception rules should see.
   */
  public static Throwable underlying(Throwable failure) {
    if (failure instanceof CallFailedException) {
      Throwable cause = failure.getCause();
      if (cause != null) {
        return cause;
      }
    }
    return failure;
  }
}
