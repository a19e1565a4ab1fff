package io.hyperlane.client;

import io.hyperlane.resilience.Sleeper;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A sleeper that records each pause and moves fake time forward instead of waiting. */
final class RecordingSleeper implements Sleeper {

  private final FakeTime time;
  final List<Duration> pauses = new CopyOnWriteArrayList<>();

  RecordingSleeper(FakeTime time) {
    this.time = time;
  }

  @Override
  public void sleep(Duration duration) {
    pauses.add(duration);
    time.advance(duration);
  }
}
