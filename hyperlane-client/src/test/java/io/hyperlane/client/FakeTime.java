package io.hyperlane.client;

/** The resilience module's fake time, able to drive a whole Hyperlane. */
final class FakeTime extends io.hyperlane.resilience.FakeTime {

  /** Makes {@code builder}'s Hyperlane read this clock and run its timers and lookups here. */
  Hyperlane.Builder drive(Hyperlane.Builder builder) {
    return builder.ticker(this).scheduler(this).blockingExecutor(this);
  }
}
