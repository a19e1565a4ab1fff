package io.hyperlane.client;

import io.hyperlane.resilience.RateLimit;
import io.hyperlane.resilience.internal.Durations;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What {@link Hyperlane#describe()} says: every service, where its endpoints come from, and every
 * policy it runs under with where that policy was set — on the service, on the builder for all
 * services, or Hyperlane's default. Written once, at build.
 */
final class Description {

  private Description() {}

  static String of(Hyperlane.Builder b, List<Assembly.Service> services) {
    StringBuilder out = new StringBuilder();
    out.append("Hyperlane: ")
        .append(services.size() == 1 ? "1 service" : services.size() + " services")
        .append(", typo guard ")
        .append(b.typoGuard ? "on" : "off")
        .append(", telemetry ")
        .append(b.telemetryEnabled ? "on" : "off")
        .append(", routing rules: ")
        .append(b.routing.rules().isEmpty() ? "none" : b.routing.toString())
        .append('\n');
    for (Assembly.Service service : services) {
      Hyperlane.ServiceBuilder s = service.given();
      ServicePolicies.Resolved p = service.policies();
      out.append("service ").append(service.name()).append('\n');
      line(out, "endpoints", s.endpointsDescription());
      line(
          out,
          "timeout",
          (p.timeout() == null
                  ? "none: a call may take every attempt × OkHttp's own timeouts"
                  : Durations.human(p.timeout()))
              + from(b, s, x -> x.timeout));
      line(out, "retry", p.retry() + from(b, s, x -> x.retry));
      line(out, "retry budget", p.retryBudget() + from(b, s, x -> x.retryBudget));
      line(out, "hedging", p.hedging() + from(b, s, x -> x.hedging));
      line(out, "service circuit", p.serviceCircuit() + from(b, s, x -> x.serviceCircuit));
      line(out, "endpoint circuit", p.endpointCircuit() + from(b, s, x -> x.endpointCircuit));
      line(out, "load balancer", p.loadBalancer() + from(b, s, x -> x.loadBalancer));
      line(out, "outlier detection", p.outlierDetection() + from(b, s, x -> x.outlierDetection));
      line(out, "slow start", p.slowStart() + from(b, s, x -> x.slowStart));
      line(out, "health check", p.healthCheck() + from(b, s, x -> x.healthCheck));
      line(out, "concurrency limit", p.concurrencyLimit() + from(b, s, x -> x.concurrencyLimit));
      RateLimit rate = s.rateLimit;
      line(out, "rate limit", rate == null ? RateLimit.none() + " (default)" : rate + " (service)");
      line(
          out,
          "cache",
          (p.cache() == null ? "none" : "on")
              + (s.set.cacheSet
                  ? " (service)"
                  : b.set.cache != null ? " (all services)" : " (default)"));
      line(out, "zone preference", p.zonePreference() + from(b, s, x -> x.zonePreference));
      line(
          out,
          "tls",
          (s.tlsAuthority == null ? "endpoint names" : "authority " + s.tlsAuthority)
              + (s.allowCleartext ? ", cleartext allowed" : ""));
      AlertPolicy alerts = service.alerts();
      if (alerts != null) {
        line(out, "alerts", alerts.toString());
      }
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String name, String value) {
    out.append("  ").append(name).append(" ".repeat(Math.max(1, 19 - name.length())));
    out.append(value).append('\n');
  }

  /** Where a policy came from: the service, the builder for every service, or the default. */
  private static String from(
      Hyperlane.Builder b,
      Hyperlane.ServiceBuilder s,
      Function<ServicePolicies, @Nullable Object> field) {
    if (field.apply(s.set) != null) {
      return " (service)";
    }
    return field.apply(b.set) != null ? " (all services)" : " (default)";
  }
}
