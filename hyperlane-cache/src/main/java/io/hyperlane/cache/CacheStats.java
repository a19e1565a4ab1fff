package io.hyperlane.cache;

import java.util.Map;

/**
 * A point-in-time copy of an {@link HttpCache}'s counters: the heap tier's size, and per service
 * (the host of the requests) what each tier answered. Counters only grow.
 *
 * @param heapBytes weight of the L1 entries, as counted against {@link
 *     HttpCache.Builder#maximumBytes(long)}
 * @param heapEntries number of keys in L1 (each holds one or more variants)
 * @param services counters per service, by name
 */
public record CacheStats(long heapBytes, long heapEntries, Map<String, Service> services) {

  public CacheStats {
    services = Map.copyOf(services);
  }

  /** The counters of {@code service}, all zero when the cache has not seen it. */
  public Service service(String service) {
    return services.getOrDefault(service, Service.EMPTY);
  }

  /**
   * One service's counters.
   *
   * @param l0Hits calls answered by an identical request in flight (coalesced waiters)
   * @param l1Hits fresh hits from the heap
   * @param l2Hits fresh hits from the shared tier
   * @param misses calls the origin answered because nothing usable was stored
   * @param staleServed stale responses served (while revalidating, or on an origin error)
   * @param revalidations conditional requests answered 304
   * @param bypassed calls the cache may not answer (not GET, {@code no-store}, conditional, range)
   * @param stored responses stored
   * @param invalidations stored responses removed (by an unsafe method, the API or another
   *     instance)
   * @param sharedTierErrors shared-tier operations that failed or timed out, and entries rejected
   */
  public record Service(
      long l0Hits,
      long l1Hits,
      long l2Hits,
      long misses,
      long staleServed,
      long revalidations,
      long bypassed,
      long stored,
      long invalidations,
      long sharedTierErrors) {

    static final Service EMPTY = new Service(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Fresh hits from {@code tier}; 0 for {@link CacheTier#ORIGIN}. */
    public long hits(CacheTier tier) {
      return switch (tier) {
        case L0 -> l0Hits;
        case L1 -> l1Hits;
        case L2 -> l2Hits;
        case ORIGIN -> 0;
      };
    }
  }
}
