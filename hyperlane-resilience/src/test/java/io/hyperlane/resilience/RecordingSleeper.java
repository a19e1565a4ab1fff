package io.hyperlane.resilience;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A sleeper that records each wait and moves fake time forward instead of waiting: a wait that
 * something already ended (a hedge's outcome, a cancellation) returns that at once.
 */
public final class RecordingSleeper implements Sleeper {

  private final FakeTime time;
  public final List<Duration> pauses = new CopyOnWriteArrayList<>();

  public RecordingSleeper(FakeTime time) {
    this.time = time;
  }

  @Override
  public Object poll(BlockingQueue<Object> queue, long timeoutNanos) {
    Object now = queue.poll();
    if (now != null) {
      return now;
    }
    pauses.add(Duration.ofNanos(timeoutNanos));
    time.advance(Duration.ofNanos(timeoutNanos));
    return queue.poll();
  }
}
