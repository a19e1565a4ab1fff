package io.hyperlane.client;

import io.hyperlane.cache.HttpCache;
import io.hyperlane.resilience.CircuitBreakerInterceptor;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.DeadlineInterceptor;
import io.hyperlane.resilience.LimitInterceptor;
import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.resilience.RetryInterceptor;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Interceptor;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link Hyperlane.Builder}'s settings into a running {@link Hyperlane}: checks every
 * service, resolves each one's policies once (its own over the builder's over Hyperlane's
 * defaults), builds the stages from the resolved records and the per-service state, then starts
 * discovery and self-registration.
 */
final class Assembly {

  /** One service, resolved: everything its calls run under. */
  record Service(
      Hyperlane.ServiceBuilder given,
      ServicePolicies.Resolved policies,
      @Nullable AlertPolicy alerts) {
    String name() {
      return Objects.requireNonNull(given.name, "a checked service has a name");
    }
  }

  /** What a running Hyperlane holds: its services, its stages and the threads it started. */
  record Parts(
      Map<String, ServiceState> services,
      Stages stages,
      Map<String, HttpCache> caches,
      AtomicReference<RoutingRules> rules,
      Telemetry telemetry,
      @Nullable HyperlaneThreads threads,
      String description,
      Map<String, ServicePolicies.Resolved> policies) {}

  private Assembly() {}

  static Hyperlane build(Hyperlane.Builder b) {
    List<Service> services = resolve(b);
    Set<String> names = new HashSet<>();
    services.forEach(s -> names.add(s.name()));

    // Never GlobalOpenTelemetry.get() here: before an SDK registers it would lock the global to a
    // no-op. The global one is read when it is set, whenever that is.
    Telemetry telemetry = new Telemetry(b.openTelemetry, b.telemetryEnabled);
    ResilienceListener listener = b.listener.andThen(new LoggingListener());
    if (telemetry.enabled) {
      listener = listener.andThen(new TelemetryListener(telemetry));
    }
    HyperlaneThreads threads =
        b.scheduler == null || b.blockingExecutor == null ? new HyperlaneThreads() : null;
    Scheduler scheduler = b.scheduler != null ? b.scheduler : threads;
    Executor executor = b.blockingExecutor != null ? b.blockingExecutor : threads;
    if (scheduler == null || executor == null) {
      throw new AssertionError("threads are started when either is missing");
    }

    // Only service calls are retried, limited or held to a deadline: any other host passes
    // through as it would without Hyperlane.
    RetryInterceptor.Builder retries =
        RetryInterceptor.builder()
            .policy(RetryPolicy.none())
            .ticker(b.ticker)
            .clock(b.clock)
            .sleeper(b.sleeper)
            .random(b.random)
            .failoverAtOnce(true) // the routing stage prefers an endpoint not tried yet
            .listener(listener);
    DeadlineInterceptor.Builder deadlines =
        DeadlineInterceptor.builder().onlyHosts(names).header(b.deadlineHeader).ticker(b.ticker);
    if (b.scheduler != null) {
      // A scheduler given here runs deadlines and hedges; the default, shared timer outlives
      // close(), so that calls in flight then still end by their deadlines.
      deadlines.scheduler(b.scheduler);
      retries.scheduler(b.scheduler);
      if (b.blockingExecutor != null) { // fake or virtual time: all of it on the given threads
        deadlines.executor(b.blockingExecutor);
        retries.executor(b.blockingExecutor);
      }
    }
    CircuitBreakerInterceptor.Builder circuits =
        CircuitBreakerInterceptor.builder()
            .policy(CircuitBreakerPolicy.disabled())
            .ticker(b.ticker)
            .listener(listener);
    LimitInterceptor.Builder limits =
        LimitInterceptor.builder().listener(listener).sleeper(b.sleeper);

    Map<String, HttpCache> caches = new HashMap<>();
    Map<String, AlertState> alerts = new HashMap<>();
    Map<String, ServiceState> states = new LinkedHashMap<>();
    for (Service service : services) {
      String name = service.name();
      ServicePolicies.Resolved p = service.policies();
      limits.concurrency(name, p.concurrencyLimit());
      if (service.given().rateLimit != null) {
        limits.rate(name, service.given().rateLimit);
      }
      circuits.policy(name, p.serviceCircuit());
      retries.policy(name, p.retry()).budget(name, p.retryBudget()).hedging(name, p.hedging());
      if (p.timeout() != null) {
        deadlines.timeout(name, p.timeout());
      }
      if (p.cache() != null) {
        caches.put(name, p.cache());
      }
      if (service.alerts() != null && b.alertListener != null) {
        alerts.put(name, new AlertState(name, service.alerts(), b.alertListener));
      }
      String authority = service.given().tlsAuthority;
      states.put(
          name,
          new ServiceState(
                  name,
                  p.loadBalancer(),
                  p.outlierDetection(),
                  p.slowStart(),
                  p.endpointCircuit(),
                  p.zonePreference(),
                  listener,
                  b.ticker,
                  scheduler,
                  executor,
                  b.random)
              .withTls(
                  authority == null ? null : new AuthorityVerifier(authority),
                  service.given().allowCleartext)
              .withHealthCheck(p.healthCheck()));
    }

    Map<String, ServiceState> serviceStates = Collections.unmodifiableMap(states);
    AtomicReference<RoutingRules> rules = new AtomicReference<>(b.routing);
    CallerState callers = new CallerState();
    LimitInterceptor limitStage = limits.build();
    Stages stages =
        new Stages(
            callers,
            b.typoGuard ? new TypoGuard(serviceStates.keySet()) : null,
            new CallerStateInterceptor(serviceStates.keySet(), callers),
            // With the API's no-op providers and no global one to come, the stage would record
            // nothing: leave it out.
            telemetry.mayRecord() || !alerts.isEmpty()
                ? new TelemetryInterceptor(
                    serviceStates.keySet(), telemetry, Map.copyOf(alerts), b.ticker)
                : null,
            deadlines.build(),
            cacheStage(caches, telemetry),
            limitStage.limitsAnything() ? limitStage : null,
            circuits.build(),
            retries.build(),
            new RoutingInterceptor(
                serviceStates, rules, b.ticker, telemetry, callers, b.random, b.tls),
            b.attemptInterceptors);
    Hyperlane hyperlane =
        new Hyperlane(
            new Parts(
                serviceStates,
                stages,
                Map.copyOf(caches),
                rules,
                telemetry,
                threads,
                Description.of(b, services),
                policiesOf(services)));
    start(hyperlane, services, serviceStates, b, scheduler, executor);
    if (b.logConfiguration) {
      LoggerFactory.getLogger(Hyperlane.class).info("{}", hyperlane.describe());
    }
    return hyperlane;
  }

  private static Map<String, ServicePolicies.Resolved> policiesOf(List<Service> services) {
    Map<String, ServicePolicies.Resolved> out = new HashMap<>();
    for (Service s : services) {
      out.put(s.name(), s.policies());
    }
    return out;
  }

  /** Checks every service and resolves its policies; throws naming every problem at once. */
  private static List<Service> resolve(Hyperlane.Builder b) {
    List<String> problems = new ArrayList<>();
    Set<String> names = new HashSet<>();
    ServicePolicies.Resolved defaults = b.set.over(ServicePolicies.DEFAULTS);
    List<Service> services = new ArrayList<>(b.services.size());
    for (Hyperlane.ServiceBuilder s : b.services) {
      s.check(problems);
      if (s.name != null && !names.add(s.name)) {
        problems.add("service \"" + s.name + "\" is registered twice");
      }
      if (s.alerts != null && b.alertListener == null) {
        problems.add(
            "service \""
                + s.name
                + "\" has alerts but nobody hears them: give a listener"
                + " with Builder.alerts(policy, listener)");
      }
      services.add(new Service(s, s.set.over(defaults), s.alerts != null ? s.alerts : b.alerts));
    }
    problems.addAll(b.routing.problems(names));
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid Hyperlane configuration, "
              + (problems.size() == 1 ? "1 problem:" : problems.size() + " problems:")
              + "\n  - "
              + String.join("\n  - ", problems));
    }
    return services;
  }

  private static @Nullable CacheStage cacheStage(
      Map<String, HttpCache> caches, Telemetry telemetry) {
    if (caches.isEmpty()) {
      return null;
    }
    CacheEvents events = new CacheEvents(telemetry);
    Map<HttpCache, Interceptor> interceptors = new HashMap<>();
    Map<String, Interceptor> byService = new HashMap<>();
    caches.forEach(
        (service, cache) ->
            byService.put(
                service, interceptors.computeIfAbsent(cache, c -> c.interceptor(events))));
    return new CacheStage(byService);
  }

  /** Starts discovery, waits for the services that asked for it, then registers this instance. */
  private static void start(
      Hyperlane hyperlane,
      List<Service> services,
      Map<String, ServiceState> states,
      Hyperlane.Builder b,
      Scheduler scheduler,
      Executor executor) {
    for (Service s : services) {
      state(states, s).start(s.given().discovery());
    }
    List<String> missing = new ArrayList<>();
    for (Service s : services) {
      Duration wait = s.given().awaitEndpoints;
      if (wait != null) {
        String why = state(states, s).awaitEndpoints(wait);
        if (why != null) {
          missing.add("service \"" + s.name() + "\" had no endpoints after " + wait + ": " + why);
        }
      }
    }
    if (!missing.isEmpty()) {
      hyperlane.close();
      throw new IllegalStateException(String.join("; ", missing));
    }
    Ticker ticker = b.ticker;
    SelfRegistration.Context context =
        new SelfRegistration.Context() {
          @Override
          public Scheduler scheduler() {
            return scheduler;
          }

          @Override
          public Executor blockingExecutor() {
            return executor;
          }

          @Override
          public Ticker ticker() {
            return ticker;
          }
        };
    for (SelfRegistration registration : b.selfRegistrations) {
      hyperlane.registered(registration.start(context));
    }
  }

  private static ServiceState state(Map<String, ServiceState> states, Service s) {
    ServiceState state = states.get(s.name());
    if (state == null) {
      throw new AssertionError("every service has its state");
    }
    return state;
  }
}
