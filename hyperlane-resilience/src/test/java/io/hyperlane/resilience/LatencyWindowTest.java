package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The latency histogram adaptive hedging reads: buckets, ranks, its two windows, its cache. */
class LatencyWindowTest {

  private static final long MS = 1_000_000;
  private static final long SECOND = 1_000 * MS;

  /** Where the ticker stands when a test starts: any value, so never zero. */
  private static final long T = 5_000 * SECOND;

  @Test
  void bucketsAreTenPercentApartFromOneMicrosecondAndBoundTheirSamples() {
    assertThat(LatencyWindow.bucket(0)).isZero();
    assertThat(LatencyWindow.bucket(1_000)).isZero();
    assertThat(LatencyWindow.bucket(1_001)).isEqualTo(1);
    assertThat(LatencyWindow.bucket(Long.MAX_VALUE)).isEqualTo(199);
    for (long nanos = 2_000; nanos < 100 * SECOND; nanos = nanos * 13 / 10) {
      int bucket = LatencyWindow.bucket(nanos);
      assertThat(LatencyWindow.upperBound(bucket))
          .as("%d ns", nanos)
          .isGreaterThanOrEqualTo(nanos - 1);
      assertThat(LatencyWindow.upperBound(bucket - 1)).as("%d ns", nanos).isLessThan(nanos);
    }
  }

  @Test
  void withTwoModesTheDelayComesFromTheFastOne() {
    // 90 calls in the fast mode (1 ms), 10 in the slow one (21 ms): the p95 is a slow call, and a
    // hedge sent then would come too late; four times the median (1 ms) is not.
    LatencyWindow bimodal = new LatencyWindow();
    for (int i = 0; i < 90; i++) {
      bimodal.record(MS, T);
    }
    for (int i = 0; i < 10; i++) {
      bimodal.record(21 * MS, T);
    }
    long median = LatencyWindow.upperBound(LatencyWindow.bucket(MS));
    assertThat(bimodal.percentileNanos(0.95, 1, T))
        .isEqualTo(LatencyWindow.upperBound(LatencyWindow.bucket(21 * MS)));
    assertThat(bimodal.percentileNanos(0.95, 4, 1, T + 200 * MS)).isEqualTo(4 * median);
    assertThat(HedgingPolicy.adaptive().delayNanos(bimodal, T + 400 * MS))
        .as("what adaptive hedging waits")
        .isEqualTo((long) (HedgingPolicy.MEDIAN_MULTIPLE * median));

    // One mode (a log-normal's p95 is 1.6 times its median): the p95 as before.
    LatencyWindow unimodal = new LatencyWindow();
    for (int i = 0; i < 100; i++) {
      unimodal.record(i < 50 ? 10 * MS : i < 95 ? 13 * MS : 16 * MS, T);
    }
    assertThat(HedgingPolicy.adaptive().delayNanos(unimodal, T))
        .isEqualTo(LatencyWindow.upperBound(LatencyWindow.bucket(13 * MS)));

    // A heavy tail that thins out (a log-normal with σ = 1: its p95 is five times its median, with
    // 7% of calls between twice the median and half the p95 and 17% beyond) is no second mode.
    LatencyWindow heavy = new LatencyWindow();
    Random random = new Random(1);
    for (int i = 0; i < 10_000; i++) {
      heavy.record((long) (MS * Math.exp(random.nextGaussian())), T);
    }
    long p95 = heavy.percentileNanos(0.95, 1, T);
    assertThat(p95).isGreaterThan(4 * MS);
    assertThat(HedgingPolicy.adaptive().delayNanos(heavy, T + 200 * MS)).isEqualTo(p95);
  }

  @Test
  void noPercentileUntilEnoughSamples() {
    LatencyWindow window = new LatencyWindow();
    assertThat(window.percentileNanos(0.95, 0, T)).as("none at all").isEqualTo(-1);
    for (int i = 0; i < 49; i++) {
      window.record(10 * MS, T);
    }
    assertThat(window.percentileNanos(0.95, 50, T)).isEqualTo(-1);
    window.record(10 * MS, T);
    assertThat(window.percentileNanos(0.95, 50, T))
        .as("too few is not remembered")
        .isEqualTo(LatencyWindow.upperBound(LatencyWindow.bucket(10 * MS)));
  }

  @Test
  void thePercentileIsTheBucketOfTheSampleAtItsRank() {
    LatencyWindow exact = new LatencyWindow();
    for (int i = 0; i < 95; i++) {
      exact.record(MS, T);
    }
    for (int i = 0; i < 5; i++) {
      exact.record(10 * MS, T);
    }
    assertThat(exact.percentileNanos(0.95, 1, T))
        .as("the 95th of 100 is a 1 ms sample")
        .isEqualTo(LatencyWindow.upperBound(LatencyWindow.bucket(MS)));
    assertThat(exact.percentileNanos(0.96, 1, T))
        .isEqualTo(LatencyWindow.upperBound(LatencyWindow.bucket(10 * MS)));
    assertThat(exact.percentileNanos(0.0, 1, T))
        .as("the lowest bucket holding a sample")
        .isEqualTo(LatencyWindow.upperBound(0));
  }

  @Test
  void aPercentileIsRecomputedAfterOneHundredMillisecondsOrForAnotherPercentile() {
    LatencyWindow window = new LatencyWindow();
    window.record(MS, T);
    long oneMs = LatencyWindow.upperBound(LatencyWindow.bucket(MS));
    long fiftyMs = LatencyWindow.upperBound(LatencyWindow.bucket(50 * MS));
    assertThat(window.percentileNanos(0.5, 1, T)).isEqualTo(oneMs);
    for (int i = 0; i < 3; i++) {
      window.record(50 * MS, T + 10 * MS);
    }
    assertThat(window.percentileNanos(0.5, 1, T + 100 * MS - 1)).as("cached").isEqualTo(oneMs);
    assertThat(window.percentileNanos(0.9, 1, T + 100 * MS - 1)).isEqualTo(fiftyMs);
    assertThat(window.percentileNanos(0.5, 1, T + 200 * MS)).isEqualTo(fiftyMs);
    window.record(MS, T + 300 * MS);
    window.record(MS, T + 300 * MS);
    window.record(MS, T + 300 * MS);
    assertThat(window.percentileNanos(0.5, 1, T + 300 * MS))
        .as("exactly 100 ms later")
        .isEqualTo(oneMs);
  }

  @Test
  void samplesCountForTheirWindowAndTheNextThenAreForgotten() {
    LatencyWindow window = new LatencyWindow();
    window.record(MS, T);
    assertThat(window.percentileNanos(0.5, 1, T + 10 * SECOND))
        .as("in the previous window")
        .isPositive();
    assertThat(window.percentileNanos(0.5, 1, T + 20 * SECOND - 1)).isPositive();
    assertThat(window.percentileNanos(0.6, 1, T + 20 * SECOND)).as("two windows on").isEqualTo(-1);

    LatencyWindow idle = new LatencyWindow();
    idle.record(MS, T);
    assertThat(idle.percentileNanos(0.5, 1, T + 20 * SECOND))
        .as("idle for two windows at once")
        .isEqualTo(-1);
    LatencyWindow recent = new LatencyWindow();
    recent.record(MS, T);
    recent.record(MS, T + 10 * SECOND - 1);
    recent.record(MS, T + 10 * SECOND);
    assertThat(recent.percentileNanos(0.0, 3, T + 10 * SECOND))
        .as("all three in the two windows")
        .isPositive();
  }
}
