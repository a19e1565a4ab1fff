package io.hyperlane.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The sliding window of a budget: ten slices of its ttl, each forgotten as the window passes. */
class BudgetStateTest {

  private static final long SECOND = Duration.ofSeconds(1).toNanos();

  /** No floor; every call deposits exactly one retry. */
  private static BudgetState oneRetryPerCall() {
    return new BudgetState(10 * SECOND, 0, 1.0);
  }

  private static int drain(BudgetState budget, long now) {
    int granted = 0;
    while (budget.tryWithdraw(now)) {
      granted++;
    }
    return granted;
  }

  @Test
  void aDepositCountsForExactlyTheTtl() {
    BudgetState kept = oneRetryPerCall();
    kept.deposit(0);
    assertThat(drain(kept, 10 * SECOND - 1)).isEqualTo(1);
    BudgetState expired = oneRetryPerCall();
    expired.deposit(0);
    assertThat(drain(expired, 10 * SECOND)).isZero();
  }

  @Test
  void slicesExpireOneByOneAsTheWindowSlides() {
    BudgetState budget = oneRetryPerCall();
    budget.deposit(0);
    budget.deposit(4 * SECOND);
    budget.deposit(4 * SECOND);
    budget.deposit(7 * SECOND);
    assertThat(budget.tryWithdraw(9 * SECOND)).isTrue(); // 4 in, 1 out
    assertThat(drain(budget, 12 * SECOND)).as("the first deposit is gone").isEqualTo(2);
    assertThat(drain(budget, 19 * SECOND + 1))
        .as("the deposits are gone, the withdrawals of 12 s still count")
        .isZero();
    assertThat(drain(budget, 30 * SECOND)).isZero();
    budget.deposit(30 * SECOND);
    assertThat(drain(budget, 30 * SECOND)).isEqualTo(1);
  }

  @Test
  void aWithdrawalIsForgottenWithItsSlice() {
    BudgetState budget = new BudgetState(10 * SECOND, 1, 0); // a floor of 10 retries, no share
    assertThat(drain(budget, 0)).isEqualTo(10);
    assertThat(drain(budget, 9 * SECOND)).isZero();
    assertThat(drain(budget, 10 * SECOND))
        .as("the window moved past the withdrawals")
        .isEqualTo(10);
  }

  @Test
  void theFloorIsPerSecondTimesTheTtlAndTheShareIsPerCall() {
    assertThat(drain(new BudgetState(10 * SECOND, 3, 0), 0)).isEqualTo(30);
    assertThat(drain(new BudgetState(2 * SECOND, 3, 0), 0)).isEqualTo(6);
    BudgetState share = new BudgetState(10 * SECOND, 0, 0.25);
    for (int i = 0; i < 7; i++) {
      share.deposit(0);
    }
    assertThat(drain(share, 0)).as("7 × 0.25 = 1.75: one whole retry").isEqualTo(1);
    share.deposit(0);
    assertThat(drain(share, 0)).isEqualTo(1);
  }

  @Test
  void negativeAndBackwardTimesStayInTheWindow() {
    BudgetState budget = oneRetryPerCall();
    budget.deposit(-SECOND / 2);
    assertThat(drain(budget, -1)).isEqualTo(1);
    BudgetState backwards = oneRetryPerCall();
    backwards.deposit(5 * SECOND);
    backwards.deposit(3 * SECOND); // a reading from a thread that read the ticker earlier
    assertThat(drain(backwards, 5 * SECOND)).isEqualTo(2);
    assertThat(drain(backwards, 13 * SECOND)).isZero();
  }
}
