package io.hyperlane.cache;

import java.util.concurrent.atomic.LongAdder;

/** The live counters behind {@link CacheStats.Service}. */
final class Counters {
  final LongAdder l0Hits = new LongAdder();
  final LongAdder l1Hits = new LongAdder();
  final LongAdder l2Hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder staleServed = new LongAdder();
  final LongAdder revalidations = new LongAdder();
  final LongAdder bypassed = new LongAdder();
  final LongAdder stored = new LongAdder();
  final LongAdder invalidations = new LongAdder();
  final LongAdder sharedTierErrors = new LongAdder();

  void count(CacheTier tier, CacheResult result) {
    switch (result) {
      case HIT ->
          (tier == CacheTier.L0 ? l0Hits : tier == CacheTier.L2 ? l2Hits : l1Hits).increment();
      case STALE_WHILE_REVALIDATE, STALE_IF_ERROR -> staleServed.increment();
      case REVALIDATED -> revalidations.increment();
      case MISS -> misses.increment();
      case BYPASS -> bypassed.increment();
    }
  }

  CacheStats.Service snapshot() {
    return new CacheStats.Service(
        l0Hits.sum(),
        l1Hits.sum(),
        l2Hits.sum(),
        misses.sum(),
        staleServed.sum(),
        revalidations.sum(),
        bypassed.sum(),
        stored.sum(),
        invalidations.sum(),
        sharedTierErrors.sum());
  }
}
