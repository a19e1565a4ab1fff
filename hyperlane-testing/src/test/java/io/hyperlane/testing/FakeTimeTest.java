package io.hyperlane.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.Scheduler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

class FakeTimeTest {

  private final FakeTime time = new FakeTime();
  private final List<String> ran = new CopyOnWriteArrayList<>();

  @Test
  void advancingRunsEveryTaskDueOnTheWayInOrderAtItsOwnInstant() {
    long start = time.read();
    time.schedule(Duration.ofSeconds(3), () -> ran.add("c@" + (time.read() - start)));
    time.schedule(Duration.ofSeconds(1), () -> ran.add("a@" + (time.read() - start)));
    time.schedule(Duration.ofSeconds(1), () -> ran.add("b@" + (time.read() - start)));
    time.schedule(Duration.ofSeconds(9), () -> ran.add("late"));

    time.advance(Duration.ofSeconds(5));

    assertThat(ran).containsExactly("a@1000000000", "b@1000000000", "c@3000000000");
    assertThat(time.read() - start).isEqualTo(Duration.ofSeconds(5).toNanos());
    assertThat(time.pendingTasks()).isEqualTo(1);
  }

  @Test
  void aTaskScheduledByATaskRunsInTheSameAdvanceWhenItFallsDue() {
    time.schedule(
        Duration.ofSeconds(1),
        () -> {
          ran.add("first");
          time.schedule(Duration.ofSeconds(1), () -> ran.add("second"));
        });
    time.advance(Duration.ofSeconds(2));
    assertThat(ran).containsExactly("first", "second");
  }

  @Test
  void aCancelledTaskNeverRuns() {
    Scheduler.Cancellable task = time.schedule(Duration.ofSeconds(1), () -> ran.add("x"));
    task.cancel();
    time.advance(Duration.ofSeconds(2));
    assertThat(ran).isEmpty();
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void aSleepMovesTheClockAndIsRecordedButAWaitAlreadyEndedReturnsAtOnce() throws Exception {
    long start = time.read();
    BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    assertThat(time.poll(queue, Duration.ofMillis(250).toNanos())).isNull();
    time.sleep(Duration.ofMillis(750));
    assertThat(time.pauses()).containsExactly(Duration.ofMillis(250), Duration.ofMillis(750));
    assertThat(time.read() - start).isEqualTo(Duration.ofSeconds(1).toNanos());

    queue.add("answer");
    assertThat(time.poll(queue, Duration.ofHours(1).toNanos())).isEqualTo("answer");
    assertThat(time.read() - start).isEqualTo(Duration.ofSeconds(1).toNanos());
    assertThat(time.pauses()).hasSize(2);
  }

  @Test
  void aSleepRunsTheTimersThatFallDueWhileItLasts() throws Exception {
    time.schedule(Duration.ofMillis(100), () -> ran.add("timer"));
    time.sleep(Duration.ofMillis(200));
    assertThat(ran).containsExactly("timer");
  }

  @Test
  void theWallClockMovesWithTheTicker() {
    long before = time.wallClock().millis();
    var clock = time.wallClock();
    long at = clock.millis();
    time.advance(Duration.ofMinutes(2));
    assertThat(clock.millis() - at).isEqualTo(Duration.ofMinutes(2).toMillis());
    assertThat(at).isGreaterThanOrEqualTo(before);
  }

  @Test
  void timeNeverGoesBack() {
    assertThatThrownBy(() -> time.advance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-1S");
  }
}
