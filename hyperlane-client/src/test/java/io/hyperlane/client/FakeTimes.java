package io.hyperlane.client;

import io.hyperlane.testing.FakeTime;

/** Puts a Hyperlane on fake time. */
final class FakeTimes {

  private FakeTimes() {}

  /** Makes {@code builder}'s Hyperlane read {@code time} and run its timers and lookups on it. */
  static Hyperlane.Builder drive(FakeTime time, Hyperlane.Builder builder) {
    return builder.ticker(time).scheduler(time).blockingExecutor(time);
  }
}
