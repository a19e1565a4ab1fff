package io.hyperlane.cache;

import java.util.ArrayList;
import java.util.List;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * Every stored variant of one cache key (method and URL): a URL whose responses carry {@code Vary}
 * has one variant per combination of the request fields named there. Immutable; a store makes a new
 * value. At most {@link #MAX} variants are kept per key, the oldest dropped first.
 */
final class Variants {

  static final int MAX = 8;

  final List<StoredResponse> entries; // oldest first

  Variants(List<StoredResponse> entries) {
    this.entries = List.copyOf(entries);
  }

  static Variants of(StoredResponse entry) {
    return new Variants(List.of(entry));
  }

  /** The variant {@code request} selects, or null. */
  @Nullable StoredResponse match(Request request) {
    for (int i = entries.size() - 1; i >= 0; i--) {
      StoredResponse entry = entries.get(i);
      if (entry.matches(request)) {
        return entry;
      }
    }
    return null;
  }

  /** These variants with {@code entry} replacing the one for the same request values, or added. */
  Variants with(StoredResponse entry) {
    List<StoredResponse> next = new ArrayList<>(entries.size() + 1);
    for (StoredResponse existing : entries) {
      if (!existing.sameVariant(entry)) {
        next.add(existing);
      }
    }
    next.add(entry);
    while (next.size() > MAX) {
      next.remove(0);
    }
    return new Variants(next);
  }

  int weight() {
    long weight = 32;
    for (StoredResponse entry : entries) {
      weight += entry.weight();
    }
    return (int) Math.min(Integer.MAX_VALUE, weight);
  }

  /** Latest wall-clock time at which any variant may still be served, stale or not. */
  long servableUntil(CacheRules rules) {
    long until = 0;
    for (StoredResponse entry : entries) {
      until = Math.max(until, rules.servableUntil(entry));
    }
    return until;
  }
}
