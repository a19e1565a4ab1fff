package io.hyperlane.client;

import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * Picks one endpoint among candidates that are all eligible (not ejected, or all ejected). One
 * instance per service.
 */
abstract class Balancer {

  /** Each endpoint's weight at a moment: its own, lowered while it ramps up. */
  interface Weights {
    double weight(EndpointState e, long now);
  }

  /** Picks among {@code candidates} for {@code request}. */
  abstract EndpointState pick(
      EndpointState[] candidates, long now, Weights weights, Request request);

  /**
   * Prepares for a new endpoint set, before it is published: called by discovery's thread under the
   * service's lock, so that no request thread ever builds anything.
   */
  void prepare(EndpointState[] all) {}

  /** What {@link #prepare} built for the current set, or null. */
  @Nullable Object prepared() {
    return null;
  }

  static Balancer create(LoadBalancerPolicy policy, RandomGenerator random) {
    switch (policy.kind) {
      case ROUND_ROBIN:
        return new RoundRobin();
      case LEAST_IN_FLIGHT:
        return new PowerOfTwoChoices(policy, false, random);
      case PEAK_EWMA:
        return new PowerOfTwoChoices(policy, true, random);
      case HOT_COLD:
        return new HotCold(policy, random);
      case CONSISTENT_HASH:
        return new ConsistentHash(policy, random);
      default:
        throw new AssertionError(policy.kind);
    }
  }

  /**
   * Smooth weighted round robin (as in nginx): every pick adds each candidate's weight to its
   * running total, takes the largest, and subtracts the sum of weights from the winner. Equal
   * weights rotate exactly; unequal weights interleave instead of bursting.
   */
  static final class RoundRobin extends Balancer {
    @Override
    synchronized EndpointState pick(
        EndpointState[] candidates, long now, Weights weights, Request request) {
      EndpointState best = null;
      double total = 0;
      for (EndpointState e : candidates) {
        double w = weights.weight(e, now);
        e.roundRobinCurrent += w;
        total += w;
        if (best == null || e.roundRobinCurrent > best.roundRobinCurrent) {
          best = e;
        }
      }
      EndpointState chosen = Objects.requireNonNull(best, "there is always a candidate");
      chosen.roundRobinCurrent -= total;
      return chosen;
    }
  }

  /**
   * Power of two choices: two distinct candidates drawn at random, the one with the lower cost per
   * unit of effective weight wins. Cost is the in-flight count, or peak-EWMA latency × (in-flight +
   * 1).
   */
  static final class PowerOfTwoChoices extends Balancer {
    private final boolean latencyAware;
    private final long decayNanos;
    private final int choices;
    private final RandomGenerator random;

    PowerOfTwoChoices(LoadBalancerPolicy policy, boolean latencyAware, RandomGenerator random) {
      this.latencyAware = latencyAware;
      this.decayNanos = policy.decayNanos;
      this.choices = policy.choices;
      this.random = random;
    }

    @Override
    EndpointState pick(EndpointState[] candidates, long now, Weights weights, Request request) {
      int n = candidates.length;
      if (n == 1) {
        return candidates[0];
      }
      if (choices > 2) {
        return pickAmongMore(candidates, now, weights);
      }
      int i = random.nextInt(n);
      int j = random.nextInt(n - 1);
      if (j >= i) {
        j++;
      }
      EndpointState a = candidates[i];
      EndpointState b = candidates[j];
      double costA = cost(a, now) / weights.weight(a, now);
      double costB = cost(b, now) / weights.weight(b, now);
      return costB < costA ? b : a;
    }

    /**
     * The cheapest of {@code choices} distinct candidates drawn at random, or of all of them,
     * visited from a random one (ties go to the first visited), when there are no more.
     */
    private EndpointState pickAmongMore(EndpointState[] candidates, long now, Weights weights) {
      int n = candidates.length;
      EndpointState best = null;
      double bestCost = Double.POSITIVE_INFINITY;
      if (n <= choices) {
        int start = random.nextInt(n);
        for (int k = 0; k < n; k++) {
          EndpointState e = candidates[(start + k) % n];
          double c = cost(e, now) / weights.weight(e, now);
          if (best == null || c < bestCost) {
            best = e;
            bestCost = c;
          }
        }
        return Objects.requireNonNull(best, "n >= 2");
      }
      int[] drawn = new int[choices];
      for (int k = 0; k < choices; k++) {
        int i;
        do {
          i = random.nextInt(n);
        } while (contains(drawn, k, i));
        drawn[k] = i;
        EndpointState e = candidates[i];
        double c = cost(e, now) / weights.weight(e, now);
        if (best == null || c < bestCost) {
          best = e;
          bestCost = c;
        }
      }
      return Objects.requireNonNull(best, "choices >= 2");
    }

    static boolean contains(int[] drawn, int count, int i) {
      for (int k = 0; k < count; k++) {
        if (drawn[k] == i) {
          return true;
        }
      }
      return false;
    }

    private double cost(EndpointState e, long now) {
      return latencyAware ? e.peakEwmaCost(now, decayNanos) : e.inFlight() + 1;
    }
  }

  /**
   * Prequal's hot–cold split over up to {@code choices} candidates drawn at random (all of them
   * when there are no more): the candidates whose requests in flight per unit of weight are above
   * the {@link LoadBalancerPolicy#HOT_QUANTILE} quantile of theirs are hot; among the others the
   * one with the lowest peak-EWMA cost per unit of weight wins (ties: the fewest requests in
   * flight, then the first drawn). Prequal ranks the cold ones by latency alone, from its probes'
   * fresh estimates; this client's latency estimate is older than that, and ranked by it alone the
   * cold ones took turns at being overloaded in the simulation (at 85% utilization, 27% of calls
   * succeeded).
   */
  static final class HotCold extends Balancer {
    private final long decayNanos;
    private final int choices;
    private final RandomGenerator random;

    HotCold(LoadBalancerPolicy policy, RandomGenerator random) {
      this.decayNanos = policy.decayNanos;
      this.choices = policy.choices;
      this.random = random;
    }

    @Override
    EndpointState pick(EndpointState[] candidates, long now, Weights weights, Request request) {
      int n = candidates.length;
      if (n == 1) {
        return candidates[0];
      }
      int d = Math.min(n, choices);
      EndpointState[] drawn = new EndpointState[d];
      if (n <= choices) {
        int start = random.nextInt(n);
        for (int k = 0; k < n; k++) {
          drawn[k] = candidates[(start + k) % n];
        }
      } else {
        int[] indexes = new int[d];
        for (int k = 0; k < d; k++) {
          int i;
          do {
            i = random.nextInt(n);
          } while (PowerOfTwoChoices.contains(indexes, k, i));
          indexes[k] = i;
          drawn[k] = candidates[i];
        }
      }
      double[] rif = new double[d]; // per unit of weight: a bigger endpoint carries more
      for (int k = 0; k < d; k++) {
        rif[k] = drawn[k].requestsInFlight(now) / weights.weight(drawn[k], now);
      }
      double hot = quantile(rif.clone(), LoadBalancerPolicy.HOT_QUANTILE);
      EndpointState best = null;
      double bestCost = Double.POSITIVE_INFINITY;
      double bestRif = Double.POSITIVE_INFINITY;
      for (int k = 0; k < d; k++) {
        if (rif[k] > hot) {
          continue;
        }
        EndpointState e = drawn[k];
        double cost = e.peakEwmaCost(now, decayNanos) / weights.weight(e, now);
        if (best == null || cost < bestCost || cost == bestCost && rif[k] < bestRif) {
          best = e;
          bestCost = cost;
          bestRif = rif[k];
        }
      }
      return Objects.requireNonNull(best, "the lowest count is never above a quantile");
    }

    /** The {@code q} quantile of {@code values}, interpolated between ranks. */
    static double quantile(double[] values, double q) {
      Arrays.sort(values);
      double rank = q * (values.length - 1);
      int lo = (int) Math.floor(rank);
      int hi = Math.min(values.length - 1, lo + 1);
      return values[lo] + (values[hi] - values[lo]) * (rank - lo);
    }
  }

  /**
   * A ring hash: each endpoint owns points on a 64-bit ring in proportion to its weight (100 per
   * unit of weight while the ring stays within 100,000 points, fewer per unit beyond, and at least
   * one per endpoint); a key goes to the owner of the first point at or after its hash that is a
   * candidate. The ring is built when the endpoint set changes, on discovery's thread, so an
   * endpoint that is ejected or leaves moves only its own keys.
   */
  static final class ConsistentHash extends Balancer {
    private static final int POINTS_PER_WEIGHT = 100;
    static final int MAX_POINTS = 100_000;

    private final @Nullable String keyHeader;
    private final Balancer keyless;
    private volatile Ring ring = new Ring(new EndpointState[0]);

    ConsistentHash(LoadBalancerPolicy policy, RandomGenerator random) {
      this.keyHeader = policy.keyHeader;
      this.keyless = new PowerOfTwoChoices(policy, true, random);
    }

    @Override
    void prepare(EndpointState[] all) {
      ring = new Ring(all);
    }

    @Override
    Object prepared() {
      return ring;
    }

    @Override
    EndpointState pick(EndpointState[] candidates, long now, Weights weights, Request request) {
      StickyKey tag = request.tag(StickyKey.class);
      String key = tag != null ? tag.value() : keyHeader != null ? request.header(keyHeader) : null;
      if (key == null) {
        return keyless.pick(candidates, now, weights, request);
      }
      return ring.owner(hash(key), candidates);
    }

    /**
     * The points of one endpoint set: sorted hashes, each with its owner's index in the low bits.
     */
    static final class Ring {
      final EndpointState[] owners;
      final long[] points; // unsigned order; the low indexBits bits are the owner's index
      private final int indexBits;
      private final long indexMask;

      Ring(EndpointState[] all) {
        this.owners = all;
        int n = all.length;
        this.indexBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1)));
        this.indexMask = (1L << indexBits) - 1;
        long totalWeight = 0;
        for (EndpointState e : all) {
          totalWeight += e.endpoint.weight();
        }
        double perWeight =
            Math.min(POINTS_PER_WEIGHT, MAX_POINTS / (double) Math.max(1, totalWeight));
        int[] counts = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
          counts[i] = (int) Math.max(1, Math.round(all[i].endpoint.weight() * perWeight));
          total += counts[i];
        }
        long[] sorted = new long[(int) total];
        int k = 0;
        for (int i = 0; i < n; i++) {
          long seed = hash(all[i].endpoint.origin());
          for (int p = 0; p < counts[i]; p++) {
            long h = mix(seed + p * 0x9E3779B97F4A7C15L);
            // flip the sign bit so that a signed sort gives unsigned order
            sorted[k++] = ((h & ~indexMask) | i) ^ Long.MIN_VALUE;
          }
        }
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
          sorted[i] ^= Long.MIN_VALUE;
        }
        this.points = sorted;
      }

      int size() {
        return points.length;
      }

      EndpointState owner(long hash, EndpointState[] candidates) {
        int n = points.length;
        if (n == 0) {
          return candidates[0];
        }
        long key = hash & ~indexMask;
        int lo = 0;
        int hi = n; // first point >= key, unsigned
        while (lo < hi) {
          int mid = (lo + hi) >>> 1;
          if (Long.compareUnsigned(points[mid] & ~indexMask, key) < 0) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        if (candidates == owners) {
          return owners[(int) (points[lo % n] & indexMask)]; // all eligible: the first owner
        }
        Set<EndpointState> eligible =
            Collections.newSetFromMap(new IdentityHashMap<>(candidates.length * 2));
        Collections.addAll(eligible, candidates);
        for (int step = 0; step < n; step++) {
          EndpointState e = owners[(int) (points[(lo + step) % n] & indexMask)];
          if (eligible.contains(e)) {
            return e;
          }
        }
        return candidates[0];
      }
    }

    /** FNV-1a over the UTF-16 units, then {@link #mix} to spread the bits. */
    static long hash(String s) {
      long h = 0xcbf29ce484222325L;
      for (int i = 0; i < s.length(); i++) {
        h ^= s.charAt(i);
        h *= 0x100000001b3L;
      }
      return mix(h);
    }

    /** MurmurHash3's 64-bit finaliser. */
    static long mix(long h) {
      h ^= h >>> 33;
      h *= 0xff51afd7ed558ccdL;
      h ^= h >>> 33;
      h *= 0xc4ceb9fe1a85ec53L;
      h ^= h >>> 33;
      return h;
    }
  }
}
