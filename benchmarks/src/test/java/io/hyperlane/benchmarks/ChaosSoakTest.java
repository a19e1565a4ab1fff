package io.hyperlane.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chaos soak's short version, in CI: 60 s at 150 calls per second over two instances, with
 * replicas, Redis and etcd killed and restarted, a black hole, and endpoints coming and going
 * ({@link ChaosSoak}; {@code benchmarks/soak.sh} runs the long one). Needs {@code redis-server} and
 * {@code etcd} on the PATH, which {@code ./scripts/test} installs.
 */
class ChaosSoakTest {

  @Test
  @Timeout(value = 240)
  void aMinuteOfChaosCostsNoFailedIdempotentCallNoDuplicatePostNoStaleReadAndNoLeak()
      throws Exception {
    ChaosSoak.Report report = ChaosSoak.run(Duration.ofSeconds(60), 150, null);
    System.out.println("chaos soak: " + report);
    assertThat(report.chaosSteps()).as("chaos steps taken").isGreaterThanOrEqualTo(30);
    assertThat(report.calls()).isEqualTo(60L * 150);
    assertThat(report.idempotentFailures()).as("idempotent calls that failed").isZero();
    assertThat(report.postsReceivedTwice()).as("POSTs the server received twice").isZero();
    assertThat(report.staleReads()).as("reads older than their reader's own write").isZero();
    assertThat(report.end().flatAgainst(report.start()))
        .as("resources flat: %s then %s", report.start(), report.end())
        .isTrue();
  }
}
