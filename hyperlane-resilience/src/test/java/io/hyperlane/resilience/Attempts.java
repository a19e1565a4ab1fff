package io.hyperlane.resilience;

/** Attempt contexts as the retry stage leaves them, for tests of the stages below it. */
public final class Attempts {

  private Attempts() {}

  /**
   * The context of a call's attempt number {@code resends} (0: the first), having tried {@code
   * tried}.
   */
  public static AttemptContext after(int resends, String... tried) {
    AttemptContext attempt = new AttemptContext();
    for (int i = 0; i < resends; i++) {
      attempt.nextAttempt();
    }
    for (String origin : tried) {
      attempt.markTried(origin);
    }
    return attempt;
  }
}
