package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The AIMD limit's arithmetic: grow by one when at least half used, shrink on overload. */
class AimdLimiterTest {

  @Test
  void growsByOneAfterASuccessWhileAtLeastHalfUsedAndShrinksAfterAnOverload() throws Exception {
    AimdLimiter limiter = new AimdLimiter(ConcurrencyLimit.builder()
        .initialLimit(2).minLimit(1).maxLimit(4).backoffRatio(0.5).build());
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).as("over the limit of 2, with no wait").isFalse();
    limiter.release(AimdLimiter.Outcome.SUCCEEDED); // 2 in flight of 2: used enough to grow
    assertThat(limiter.limit()).isEqualTo(3);
    limiter.release(AimdLimiter.Outcome.SUCCEEDED); // 1 in flight of 3: below half, no growth
    assertThat(limiter.limit()).isEqualTo(3);

    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire()).isTrue();
    }
    limiter.release(AimdLimiter.Outcome.SUCCEEDED);
    limiter.release(AimdLimiter.Outcome.SUCCEEDED);
    limiter.release(AimdLimiter.Outcome.SUCCEEDED);
    assertThat(limiter.limit()).as("capped at maxLimit").isEqualTo(4);

    assertThat(limiter.tryAcquire()).isTrue();
    limiter.release(AimdLimiter.Outcome.DROPPED); // overload: × 0.5
    assertThat(limiter.limit()).isEqualTo(2);
    assertThat(limiter.tryAcquire()).isTrue();
    limiter.release(AimdLimiter.Outcome.DROPPED);
    assertThat(limiter.tryAcquire()).isTrue();
    limiter.release(AimdLimiter.Outcome.DROPPED);
    assertThat(limiter.limit()).as("floored at minLimit").isEqualTo(1);
  }
}
