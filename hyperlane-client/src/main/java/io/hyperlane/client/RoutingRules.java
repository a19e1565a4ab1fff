package io.hyperlane.client;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * An ordered set of {@link RouteRule}s: a call to {@code http://<service>/…} takes the first rule
 * of that service that matches it, and calls no rule matches go to the service as usual. Given to
 * {@link Hyperlane.Builder#routing(RoutingRules)}, or swapped at run time, atomically, with {@link
 * Hyperlane#replaceRouting(RoutingRules)}: both check the whole set against the registered services
 * and refuse it, naming the rule, if anything is wrong. Immutable and thread-safe.
 */
public final class RoutingRules {

  private static final RoutingRules NONE = new RoutingRules(List.of());

  private final List<RouteRule> rules;
  private final Map<String, List<RouteRule>> byService;

  private RoutingRules(List<RouteRule> rules) {
    this.rules = List.copyOf(rules);
    Map<String, List<RouteRule>> map = new HashMap<>();
    for (RouteRule r : this.rules) {
      map.computeIfAbsent(r.service, s -> new ArrayList<>()).add(r);
    }
    map.replaceAll((s, l) -> List.copyOf(l));
    this.byService = Map.copyOf(map);
  }

  /** No rule: every call goes to the service it names. */
  public static RoutingRules none() {
    return NONE;
  }

  /** The rules, in the order they are tried. */
  public static RoutingRules of(RouteRule... rules) {
    return of(List.of(rules));
  }

  /**
   * The rules, in the order they are tried.
   *
   * @throws IllegalArgumentException when two rules have the same name
   */
  public static RoutingRules of(Collection<RouteRule> rules) {
    Objects.requireNonNull(rules, "rules");
    Set<String> names = new HashSet<>();
    for (RouteRule r : rules) {
      Objects.requireNonNull(r, "rule");
      if (!names.add(r.name)) {
        throw new IllegalArgumentException("rule \"" + r.name + "\" is defined twice");
      }
    }
    return new RoutingRules(List.copyOf(rules));
  }

  /** The rules, in order. */
  public List<RouteRule> rules() {
    return rules;
  }

  /** The first rule that matches {@code request} to {@code service}, or null. */
  @Nullable RouteRule match(String service, Request request) {
    List<RouteRule> candidates = byService.get(service);
    if (candidates == null) {
      return null;
    }
    for (RouteRule r : candidates) {
      if (r.matches(request)) {
        return r;
      }
    }
    return null;
  }

  boolean isEmpty() {
    return rules.isEmpty();
  }

  /** Every problem against the registered {@code services}, each naming its rule. */
  List<String> problems(Set<String> services) {
    List<String> problems = new ArrayList<>();
    for (RouteRule r : rules) {
      if (!services.contains(r.service)) {
        problems.add(
            "rule \""
                + r.name
                + "\" matches calls to \""
                + r.service
                + "\", which is not a registered service");
      }
      for (RouteRule.Destination d : r.destinations) {
        if (!services.contains(d.service())) {
          problems.add(
              "rule \""
                  + r.name
                  + "\" sends calls to \""
                  + d.service()
                  + "\", which is not a registered service");
        }
      }
    }
    return problems;
  }

  @Override
  public String toString() {
    return "RoutingRules" + rules;
  }
}
