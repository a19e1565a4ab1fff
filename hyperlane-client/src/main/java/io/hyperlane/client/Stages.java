package io.hyperlane.client;

import io.hyperlane.cache.SentCredentials;
import io.hyperlane.resilience.CircuitBreakerInterceptor;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.DeadlineInterceptor;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.LimitInterceptor;
import io.hyperlane.resilience.RetryInterceptor;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.resilience.internal.AttemptTimeout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.Dispatcher;
import okhttp3.EventListener;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * Hyperlane's stages, and the one place that orders them. Every client {@link Hyperlane#wrap}
 * returns carries, after the application's own interceptors:
 *
 * <ol>
 *   <li>the typo guard, when it is on: a short host name that is no service is refused;
 *   <li>caller state: a call run on a dispatcher thread gets its caller's trace context and
 *       deadline scope;
 *   <li>telemetry: the logical call's span and duration (left out when nothing would record);
 *   <li>deadline: the call's total time, across attempts and the body;
 *   <li>cache: L0 (identical requests in flight), L1 (heap), L2 (shared tier) (left out when no
 *       service has a cache);
 *   <li>resilience, per logical call: concurrency and rate limits (left out when no service has
 *       one), the service's circuit, then retries and hedges — each attempt re-enters the stages
 *       below;
 *   <li>routing: rules, discovery, balancer pick, endpoint circuit, URL rewrite, feedback, the
 *       attempt's span;
 *   <li>the application's attempt interceptors, on every attempt.
 * </ol>
 *
 * <p>A hedged call's attempts are calls of their own on a second client whose chain is the
 * attempt's timeout, routing and the attempt interceptors: the stages above run once per logical
 * call, the stages below once per attempt, hedges included.
 */
final class Stages {

  private final @Nullable TypoGuard typoGuard;
  private final CallerStateInterceptor callerState;
  private final @Nullable TelemetryInterceptor telemetry;
  private final DeadlineInterceptor deadline;
  private final @Nullable CacheStage cache;
  private final @Nullable LimitInterceptor limits;
  private final CircuitBreakerInterceptor serviceCircuits;
  private final RetryInterceptor retries;
  private final RoutingInterceptor routing;
  private final List<Interceptor> attemptInterceptors;
  private final CallerState callers;

  Stages(
      CallerState callers,
      @Nullable TypoGuard typoGuard,
      CallerStateInterceptor callerState,
      @Nullable TelemetryInterceptor telemetry,
      DeadlineInterceptor deadline,
      @Nullable CacheStage cache,
      @Nullable LimitInterceptor limits,
      CircuitBreakerInterceptor serviceCircuits,
      RetryInterceptor retries,
      RoutingInterceptor routing,
      List<Interceptor> attemptInterceptors) {
    this.callers = callers;
    this.typoGuard = typoGuard;
    this.callerState = callerState;
    this.telemetry = telemetry;
    this.deadline = deadline;
    this.cache = cache;
    this.limits = limits;
    this.serviceCircuits = serviceCircuits;
    this.retries = retries;
    this.routing = routing;
    this.attemptInterceptors = List.copyOf(attemptInterceptors);
  }

  /** {@code service} with the state the stages keep of it: circuit, budget, limit, hedging. */
  ServiceSnapshot addTo(ServiceSnapshot service, RoutingRules routing) {
    String name = service.name();
    List<String> rules = new ArrayList<>();
    for (RouteRule rule : routing.rules()) {
      if (name.equals(rule.service)) {
        rules.add(rule.name);
      }
    }
    return service.withStages(
        serviceCircuits.state(name).map(Enum::name).orElse("NONE"),
        retries.retriesAvailable(name),
        limits == null ? 0 : Math.max(0, limits.concurrencyLimit(name)),
        retries.hedgeDelay(name).orElse(null),
        rules);
  }

  /** Whether {@code client} carries these stages, or another Hyperlane's, already. */
  static boolean carriedBy(OkHttpClient client) {
    for (Interceptor interceptor : client.interceptors()) {
      if (interceptor instanceof RoutingInterceptor) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code client} with every stage appended, on {@code dispatcher}.
   *
   * @param client the application's client: its pool, threads, settings and interceptors are kept
   * @param dispatcher the dispatcher the returned client queues its calls on
   * @return the wrapped client
   */
  OkHttpClient wrap(OkHttpClient client, Dispatcher dispatcher) {
    // Made whether or not a service hedges: a call may hedge through its CallOptions.
    RetryInterceptor attempts = retries.withAttemptClient(attemptClient(client));
    // What a call made on one thread and run on another (enqueue) must keep: context, deadline,
    // and when it was made, from which its service's timeout counts.
    EventListener.Factory own = client.eventListenerFactory();
    EventListener started = deadline.startListener();
    OkHttpClient.Builder builder =
        client
            .newBuilder()
            .dispatcher(dispatcher)
            .eventListenerFactory(callers.capturing(call -> own.create(call).plus(started)));
    callerChain(attempts).forEach(builder::addInterceptor);
    return builder.build();
  }

  /** The caller's chain, outermost first, with {@code attempts} as the retry stage. */
  List<Interceptor> callerChain(RetryInterceptor attempts) {
    List<Interceptor> chain = new ArrayList<>(10 + attemptInterceptors.size());
    addIfPresent(chain, typoGuard);
    chain.add(callerState);
    addIfPresent(chain, telemetry);
    chain.add(deadline);
    addIfPresent(chain, cache);
    addIfPresent(chain, limits); // the resilience sub-order: limits, service circuit, retries
    chain.add(serviceCircuits);
    chain.add(attempts);
    chain.add(routing);
    chain.addAll(attemptInterceptors);
    return List.copyOf(chain);
  }

  /**
   * The client a hedged call's attempts run on: a dispatcher of their own (the first attempt runs
   * on the caller's thread, hedges on this dispatcher; sharing the caller's limits could leave
   * calls waiting on hedges that cannot start), and the attempt's chain only.
   */
  private OkHttpClient attemptClient(OkHttpClient client) {
    Dispatcher hedges = new Dispatcher(client.dispatcher().executorService());
    hedges.setMaxRequests(1024);
    hedges.setMaxRequestsPerHost(256);
    OkHttpClient.Builder inner = client.newBuilder().dispatcher(hedges);
    inner.interceptors().clear();
    // Nothing to capture here: the routing stage keeps the logical call's context for these
    // calls (AttemptContext.callerContext). The cache above learns what they send.
    EventListener.Factory users = client.eventListenerFactory();
    inner.eventListenerFactory(
        call -> {
          SentCredentials sent = call.request().tag(SentCredentials.class);
          EventListener listener = users.create(call);
          return sent == null ? listener : listener.plus(sent);
        });
    attemptChain().forEach(inner::addInterceptor);
    return inner.build();
  }

  /** The chain of each attempt of a hedged call, outermost first. */
  List<Interceptor> attemptChain() {
    List<Interceptor> chain = new ArrayList<>(2 + attemptInterceptors.size());
    chain.add(AttemptTimeout.INTERCEPTOR);
    chain.add(routing);
    chain.addAll(attemptInterceptors);
    return List.copyOf(chain);
  }

  private static void addIfPresent(List<Interceptor> chain, @Nullable Interceptor stage) {
    if (stage != null) {
      chain.add(stage);
    }
  }

  /** Replaces the total timeout of one service. */
  void updateTimeout(String service, @Nullable Duration timeout) {
    deadline.updateTimeout(service, timeout);
  }

  /** Replaces the retry and hedging policies of one service; its budget stays. */
  void updateRetries(String service, RetryPolicy retry, HedgingPolicy hedging) {
    retries.update(service, retry, hedging);
  }

  /** Replaces the circuit policy of one service; its circuit starts again, closed. */
  void updateCircuit(String service, CircuitBreakerPolicy circuit) {
    serviceCircuits.update(service, circuit);
  }
}
