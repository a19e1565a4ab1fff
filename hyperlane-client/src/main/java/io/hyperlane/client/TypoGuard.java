package io.hyperlane.client;

import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import okhttp3.Interceptor;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The first stage when {@link Hyperlane.Builder#typoGuard(boolean)} is on: refuses a call to a
 * single-label host that is no registered service, naming the nearest one. Hosts with a dot, IP
 * addresses and {@code localhost} pass, as does every registered service.
 */
final class TypoGuard implements Interceptor {

  /** How many single-character edits a suggestion may be away from the host written. */
  private static final int MAX_EDITS = 2;

  private final Set<String> services;

  TypoGuard(Set<String> services) {
    this.services = Set.copyOf(services);
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    String host = chain.request().url().host();
    if (services.contains(host)
        || host.indexOf('.') >= 0
        || host.indexOf(':') >= 0 // an IPv6 address
        || host.equals("localhost")) {
      return chain.proceed(chain.request());
    }
    throw new UnknownServiceException(host, nearest(host, services), services);
  }

  /** The service name fewest edits from {@code host} (first by name on a tie), if near enough. */
  static @Nullable String nearest(String host, Set<String> services) {
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    for (String service : new TreeSet<>(services)) {
      int d = distance(host, service, bestDistance);
      if (d < bestDistance) {
        best = service;
        bestDistance = d;
      }
    }
    return best;
  }

  /**
   * The Damerau–Levenshtein distance (adjacent swaps count as one edit) between {@code a} and
   * {@code b}, or {@code limit} when it is at least that.
   */
  static int distance(String a, String b, int limit) {
    if (Math.abs(a.length() - b.length()) >= limit) {
      return limit;
    }
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        int best = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          best = Math.min(best, d[i - 2][j - 2] + 1);
        }
        d[i][j] = best;
      }
    }
    return Math.min(d[a.length()][b.length()], limit);
  }
}
