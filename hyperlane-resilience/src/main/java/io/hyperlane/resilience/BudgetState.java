package io.hyperlane.resilience;

/**
 * The live balance of one service's {@link RetryBudget}: deposits and withdrawals kept in ten time
 * slices of {@code ttl / 10}, so that each counts for about one TTL. Amounts are in thousandths of
 * a retry. Guarded by its own monitor; one short critical section per call.
 */
final class BudgetState {

  private static final int SLICES = 10;
  private static final long ONE_RETRY = 1000;

  private final long sliceNanos;
  private final long reserve;
  private final long depositPerCall;
  private final long[] deposits = new long[SLICES];
  private final long[] withdrawals = new long[SLICES];
  private long currentSlice = Long.MIN_VALUE;

  BudgetState(RetryBudget budget) {
    this(budget.ttlNanos, budget.minRetriesPerSecond, budget.maxRetryShare);
  }

  /**
   * A balance over {@code ttlNanos} that grants {@code share} of the calls plus {@code perSecond}
   * whatever the traffic.
   */
  BudgetState(long ttlNanos, int perSecond, double share) {
    this.sliceNanos = Math.max(1, ttlNanos / SLICES);
    this.reserve = Math.round(perSecond * (ttlNanos / 1e9) * ONE_RETRY);
    this.depositPerCall = Math.round(share * ONE_RETRY);
  }

  synchronized void deposit(long now) {
    deposits[roll(now)] += depositPerCall;
  }

  /** Takes one retry from the balance if there is one. */
  synchronized boolean tryWithdraw(long now) {
    int slice = roll(now);
    if (balance() < ONE_RETRY) {
      return false;
    }
    withdrawals[slice] += ONE_RETRY;
    return true;
  }

  /** How many retries the balance holds at {@code now}, fractions included. */
  synchronized double retries(long now) {
    roll(now);
    return balance() / (double) ONE_RETRY;
  }

  private long balance() {
    long balance = reserve;
    for (int i = 0; i < SLICES; i++) {
      balance += deposits[i] - withdrawals[i];
    }
    return balance;
  }

  /** Forgets slices older than the TTL and returns the index of the current one. */
  private int roll(long now) {
    long slice = Math.floorDiv(now, sliceNanos);
    if (slice != currentSlice) {
      long expired =
          currentSlice == Long.MIN_VALUE ? SLICES : Math.min(SLICES, slice - currentSlice);
      for (long s = slice - expired + 1; s <= slice; s++) {
        int i = Math.floorMod(s, SLICES);
        deposits[i] = 0;
        withdrawals[i] = 0;
      }
      currentSlice = Math.max(currentSlice, slice);
    }
    return Math.floorMod(slice, SLICES);
  }
}
