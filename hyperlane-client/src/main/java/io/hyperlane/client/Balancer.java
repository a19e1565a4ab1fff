package io.hyperlane.client;

import java.util.random.RandomGenerator;
import okhttp3.Request;

/**
 * Picks one endpoint among candidates that are all eligible (not ejected, or all ejected). One
 * instance per service.
 */
abstract class Balancer {

  /**
   * Picks among {@code candidates} for {@code request}.
   *
   * @param all every endpoint of the service, eligible or not (the consistent hash's ring)
   */
  abstract EndpointState pick(EndpointState[] candidates, EndpointState[] all, long now,
      ServiceState service, Request request);

  static Balancer create(LoadBalancerPolicy policy, RandomGenerator random) {
    switch (policy.kind) {
      case ROUND_ROBIN:
        return new RoundRobin();
      case LEAST_IN_FLIGHT:
        return new PowerOfTwoChoices(policy, false, random);
      case PEAK_EWMA:
        return new PowerOfTwoChoices(policy, true, random);
      case CONSISTENT_HASH:
        return new ConsistentHash(policy, random);
      default:
        throw new AssertionError(policy.kind);
    }
  }

  /**
   * Smooth weighted round robin (as in nginx): every pick adds each candidate's weight to its running
   * total, takes the largest, and subtracts the sum of weights from the winner. Equal weights rotate
   * exactly; unequal weights interleave instead of bursting.
   */
  static final class RoundRobin extends Balancer {
    @Override
    synchronized EndpointState pick(EndpointState[] candidates, EndpointState[] all, long now,
        ServiceState service, Request request) {
      EndpointState best = null;
      double total = 0;
      for (EndpointState e : candidates) {
        double w = service.effectiveWeight(e, now);
        e.roundRobinCurrent += w;
        total += w;
        if (best == null || e.roundRobinCurrent > best.roundRobinCurrent) {
          best = e;
        }
      }
      best.roundRobinCurrent -= total;
      return best;
    }
  }

  /**
   * Power of two choices: two distinct candidates drawn at random, the one with the lower cost per
   * unit of effective weight wins. Cost is the in-flight count, or peak-EWMA latency × (in-flight + 1).
   */
  static final class PowerOfTwoChoices extends Balancer {
    private final boolean latencyAware;
    private final long decayNanos;
    private final RandomGenerator random;

    PowerOfTwoChoices(LoadBalancerPolicy policy, boolean latencyAware, RandomGenerator random) {
      this.latencyAware = latencyAware;
      this.decayNanos = policy.decayNanos;
      this.random = random;
    }

    @Override
    EndpointState pick(EndpointState[] candidates, EndpointState[] all, long now,
        ServiceState service, Request request) {
      int n = candidates.length;
      if (n == 1) {
        return candidates[0];
      }
      int i = random.nextInt(n);
      int j = random.nextInt(n - 1);
      if (j >= i) {
        j++;
      }
      EndpointState a = candidates[i];
      EndpointState b = candidates[j];
      double costA = cost(a, now) / service.effectiveWeight(a, now);
      double costB = cost(b, now) / service.effectiveWeight(b, now);
      return costB < costA ? b : a;
    }

    private double cost(EndpointState e, long now) {
      return latencyAware ? e.peakEwmaCost(now, decayNanos) : e.inFlight() + 1;
    }
  }

  /**
   * A ring hash: each endpoint owns {@code 100 × weight} points on a 64-bit ring (at most 100,000
   * in all); a key goes to the owner of the first point at or after its hash that is a candidate.
   * The ring is rebuilt only when the service's endpoint set changes, so an endpoint that is ejected
   * or leaves moves only its own keys.
   */
  static final class ConsistentHash extends Balancer {
    private static final int POINTS_PER_WEIGHT = 100;
    private static final int MAX_POINTS = 100_000;

    private final String keyHeader;
    private final Balancer keyless;
    private volatile Ring ring;

    ConsistentHash(LoadBalancerPolicy policy, RandomGenerator random) {
      this.keyHeader = policy.keyHeader;
      this.keyless = new PowerOfTwoChoices(policy, true, random);
    }

    @Override
    EndpointState pick(EndpointState[] candidates, EndpointState[] all, long now,
        ServiceState service, Request request) {
      StickyKey tag = request.tag(StickyKey.class);
      String key = tag != null ? tag.value() : keyHeader != null ? request.header(keyHeader) : null;
      if (key == null) {
        return keyless.pick(candidates, all, now, service, request);
      }
      Ring r = ring;
      if (r == null || r.source != all) {
        r = new Ring(all);
        ring = r;
      }
      return r.owner(hash(key), candidates);
    }

    private static final class Ring {
      final EndpointState[] source;
      final long[] points;
      final EndpointState[] owners;

      Ring(EndpointState[] all) {
        this.source = all;
        long totalWeight = 0;
        for (EndpointState e : all) {
          totalWeight += e.endpoint.weight();
        }
        int perWeight = (int) Math.max(1, Math.min(POINTS_PER_WEIGHT, MAX_POINTS / Math.max(1,
            totalWeight)));
        int n = 0;
        for (EndpointState e : all) {
          n += perWeight * e.endpoint.weight();
        }
        long[] hashes = new long[n];
        EndpointState[] byPoint = new EndpointState[n];
        Integer[] order = new Integer[n];
        int k = 0;
        for (EndpointState e : all) {
          String origin = e.endpoint.origin();
          for (int i = 0; i < perWeight * e.endpoint.weight(); i++) {
            hashes[k] = hash(origin + "#" + i);
            byPoint[k] = e;
            order[k] = k;
            k++;
          }
        }
        java.util.Arrays.sort(order, (a, b) -> Long.compareUnsigned(hashes[a], hashes[b]));
        this.points = new long[n];
        this.owners = new EndpointState[n];
        for (int i = 0; i < n; i++) {
          points[i] = hashes[order[i]];
          owners[i] = byPoint[order[i]];
        }
      }

      EndpointState owner(long hash, EndpointState[] candidates) {
        int n = points.length;
        int lo = 0;
        int hi = n; // first point >= hash, unsigned
        while (lo < hi) {
          int mid = (lo + hi) >>> 1;
          if (Long.compareUnsigned(points[mid], hash) < 0) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        for (int step = 0; step < n; step++) {
          EndpointState e = owners[(lo + step) % n];
          for (EndpointState c : candidates) {
            if (c == e) {
              return e;
            }
          }
        }
        return candidates[0];
      }
    }

    /** FNV-1a over the UTF-16 units, then MurmurHash3's 64-bit finaliser to spread the bits. */
    static long hash(String s) {
      long h = 0xcbf29ce484222325L;
      for (int i = 0; i < s.length(); i++) {
        h ^= s.charAt(i);
        h *= 0x100000001b3L;
      }
      h ^= h >>> 33;
      h *= 0xff51afd7ed558ccdL;
      h ^= h >>> 33;
      h *= 0xc4ceb9fe1a85ec53L;
      h ^= h >>> 33;
      return h;
    }
  }
}
