package io.hyperlane.client;

import io.hyperlane.cache.HttpCache;
import io.hyperlane.cache.SentCredentials;
import io.hyperlane.resilience.CircuitBreakerInterceptor;
import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ConcurrencyLimit;
import io.hyperlane.resilience.Deadline;
import io.hyperlane.resilience.DeadlineInterceptor;
import io.hyperlane.resilience.HedgingPolicy;
import io.hyperlane.resilience.LimitInterceptor;
import io.hyperlane.resilience.RateLimit;
import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryInterceptor;
import io.hyperlane.resilience.RetryPolicy;
import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Sleeper;
import io.hyperlane.resilience.Ticker;
import io.hyperlane.resilience.internal.AttemptTimeout;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.Dispatcher;
import okhttp3.EventListener;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;

/**
 * The service mesh as a library: wraps an {@link OkHttpClient} so that a call to {@code
 * http://<service>/…} goes to one of that service's endpoints, chosen by observed latency and load,
 * with failing endpoints ejected and new ones ramped up; failed calls are retried when that is
 * safe, within a budget; slow ones may be hedged; every call can be held to a deadline; circuits
 * open per endpoint and per service.
 *
 * <pre>{@code
 * try (Hyperlane hyperlane = Hyperlane.builder()
 *     .service("inventory", "http://127.0.0.1:8081", "http://127.0.0.1:8082")
 *     .build()) {
 *   OkHttpClient client = hyperlane.wrap(new OkHttpClient());
 *   try (Response r = client.newCall(new Request.Builder()
 *       .url("http://inventory/items/42").build()).execute()) {
 *     System.out.println(r.body().string());
 *   }
 * }
 * }</pre>
 *
 * <p>The scheme, host and port of a service call come from the chosen endpoint; path, query,
 * method, headers and body are kept. A port written in a service URL is ignored. A request to any
 * host that is not a registered service passes through untouched, so wrapping a client never breaks
 * its other calls.
 *
 * <p><b>Threads and lifecycle.</b> A Hyperlane is thread-safe and meant to be shared: build one per
 * application and wrap every client with it. It starts threads only when something needs them (DNS
 * refreshes run on one scheduler thread, lookups on a small pool); {@link #close()} stops them all
 * and stops discovery. Deadlines and hedges run on a timer thread and work threads that every
 * instance shares, which end by themselves when idle, so that calls in flight at {@code close()}
 * still end by their deadlines. Calls made through a closed instance's clients fail with {@link
 * NoEndpointException}. Clients returned by {@link #wrap} share the wrapped client's connection
 * pool and threads, which stay the caller's to shut down, and have a dispatcher of their own (see
 * {@link #wrap}).
 */
public final class Hyperlane implements AutoCloseable {

  private final Map<String, ServiceState> services;
  private final HyperlaneThreads threads;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final DeadlineInterceptor deadlines;
  private final LimitInterceptor limits;
  private final CircuitBreakerInterceptor circuits;
  private final RetryInterceptor retries;
  private final RoutingInterceptor routing;
  private final Telemetry telemetry;
  private final CallerState callers = new CallerState();

  /**
   * The dispatcher of the clients wrapped from each of the application's: every client wrapped from
   * one dispatcher shares one, and so its bound on calls at once.
   */
  private final Map<Dispatcher, Dispatcher> dispatchers =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final CallerStateInterceptor callerStage;
  private final TelemetryInterceptor telemetryStage;
  private final CacheStage cacheStage;
  private final Map<String, HttpCache> caches;
  private final AtomicReference<RoutingRules> rules;
  private final List<SelfRegistration.Handle> registrations = new ArrayList<>();
  private final AtomicReference<AutoCloseable> gauges = new AtomicReference<>(() -> {});
  private final boolean hedging;
  private final List<Interceptor> attemptInterceptors;

  private Hyperlane(
      Map<String, ServiceState> services,
      Ticker ticker,
      HyperlaneThreads threads,
      DeadlineInterceptor deadlines,
      LimitInterceptor limits,
      CircuitBreakerInterceptor circuits,
      RetryInterceptor retries,
      boolean hedging,
      Telemetry telemetry,
      Map<String, AlertState> alerts,
      Map<String, HttpCache> caches,
      RoutingRules rules,
      Tls tls,
      RandomGenerator random,
      List<Interceptor> attemptInterceptors) {
    this.services = services;
    this.telemetry = telemetry;
    // With the API's no-op providers (no SDK installed) the stage would record nothing: leave it
    // out.
    // With the API's no-op providers and no global one to come, the stage would record nothing.
    this.telemetryStage =
        telemetry.mayRecord() || !alerts.isEmpty()
            ? new TelemetryInterceptor(services.keySet(), telemetry, alerts, ticker)
            : null;
    this.threads = threads;
    this.deadlines = deadlines;
    this.limits = limits.limitsAnything() ? limits : null;
    this.circuits = circuits;
    this.retries = retries;
    this.rules = new AtomicReference<>(rules);
    this.routing =
        new RoutingInterceptor(services, this.rules, ticker, telemetry, callers, random, tls);
    this.attemptInterceptors = attemptInterceptors;
    this.callerStage = new CallerStateInterceptor(services.keySet(), callers);
    this.hedging = hedging;
    this.caches = caches;
    if (caches.isEmpty()) {
      this.cacheStage = null;
    } else {
      CacheEvents events = new CacheEvents(telemetry);
      Map<HttpCache, Interceptor> interceptors = new HashMap<>();
      Map<String, Interceptor> byService = new HashMap<>();
      caches.forEach(
          (service, cache) ->
              byService.put(
                  service, interceptors.computeIfAbsent(cache, c -> c.interceptor(events))));
      this.cacheStage = new CacheStage(byService);
    }
    if (telemetry.enabled) {
      telemetry.whenResolved(
          instruments -> {
            if (!closed.get()) {
              AutoCloseable registered = instruments.gauges(this::snapshot);
              gauges.set(registered);
              if (closed.get() && gauges.compareAndSet(registered, () -> {})) {
                closeQuietly(registered); // close() ran meanwhile and closed what was there before
              }
            }
          });
    }
  }

  /** Returns a builder with no service and the default policies. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a client that shares {@code client}'s connection pool, threads and settings, with
   * Hyperlane's stages appended after its own interceptors.
   *
   * <p>The client gets a dispatcher of its own, on {@code client}'s executor, shared by every
   * client this Hyperlane wraps from the same dispatcher: at most {@code maxRequests} of {@code
   * client}'s dispatcher at once, and no per-host limit — OkHttp counts that by the host of the
   * request, which for a service is its name, so it would cap a service at 5 calls at once whatever
   * its endpoints (use {@link io.hyperlane.resilience.ConcurrencyLimit} to bound a service). Its
   * {@code cancelAll()} and {@code runningCalls()} cover the wrapped clients' calls. A call waiting
   * in its queue (beyond {@code maxRequests}) is held to its deadline when it leaves the queue.
   *
   * @throws IllegalArgumentException if {@code client} already carries Hyperlane's stages
   * @throws IllegalStateException if this instance is closed
   */
  public OkHttpClient wrap(OkHttpClient client) {
    Objects.requireNonNull(client, "client");
    if (closed.get()) {
      throw new IllegalStateException("this Hyperlane is closed");
    }
    for (Interceptor interceptor : client.interceptors()) {
      if (interceptor instanceof RoutingInterceptor) {
        throw new IllegalArgumentException(
            "client is already wrapped by a Hyperlane: wrap the original client instead");
      }
    }
    // A dispatcher of its own, on the client's threads: OkHttp counts its per-host limit by the
    // host of the request, which for a service is the logical name (5 calls at once whatever the
    // endpoints). The client's total bound is kept; ConcurrencyLimit bounds a service.
    Dispatcher dispatcher =
        dispatchers.computeIfAbsent(
            client.dispatcher(),
            own -> {
              Dispatcher d = new Dispatcher(own.executorService());
              d.setMaxRequests(own.getMaxRequests());
              d.setMaxRequestsPerHost(own.getMaxRequests());
              return d;
            });
    RetryInterceptor attempts = retries;
    if (hedging) {
      // The attempts of a hedged call are calls of their own, through the routing stage only: the
      // first runs on the caller's thread (execute), hedges on this dispatcher. It is theirs
      // alone: sharing the caller's limits could leave calls waiting on hedges that cannot start.
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
      inner.addInterceptor(AttemptTimeout.INTERCEPTOR);
      inner.addInterceptor(routing);
      attemptInterceptors.forEach(inner::addInterceptor);
      attempts = retries.withAttemptClient(inner.build());
    }
    // What a call made on one thread and run on another (enqueue) must keep: context, deadline,
    // and when it was made, from which its service's timeout counts.
    EventListener.Factory own = client.eventListenerFactory();
    EventListener started = deadlines.startListener();
    OkHttpClient.Builder builder =
        client
            .newBuilder()
            .dispatcher(dispatcher)
            .eventListenerFactory(callers.capturing(call -> own.create(call).plus(started)));
    List<Interceptor> resilience =
        limits == null ? List.of(circuits, attempts) : List.of(limits, circuits, attempts);
    Stages.inOrder(
            callerStage,
            telemetryStage,
            deadlines,
            cacheStage,
            resilience,
            routing,
            attemptInterceptors)
        .forEach(builder::addInterceptor);
    return builder.build();
  }

  /**
   * Replaces the routing rules at once: calls that start after this returns use {@code rules};
   * calls in progress keep the rules they started with for their current attempt.
   *
   * @throws IllegalArgumentException when a rule names a service that is not registered; the
   *     message names every such rule, and the rules in force are kept
   */
  public void replaceRouting(RoutingRules rules) {
    Objects.requireNonNull(rules, "rules");
    List<String> problems = rules.problems(services.keySet());
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "routing rules refused, the previous ones stay: " + String.join("; ", problems));
    }
    this.rules.set(rules);
  }

  /** The routing rules in force. */
  public RoutingRules routing() {
    return rules.get();
  }

  /** Returns the current state of every service and endpoint, as immutable values. */
  public Snapshot snapshot() {
    List<ServiceSnapshot> list = new ArrayList<>(services.size());
    for (ServiceState service : services.values()) {
      ServiceSnapshot snapshot = service.snapshot();
      HttpCache cache = caches.get(snapshot.name());
      list.add(
          cache == null ? snapshot : snapshot.withCache(cache.stats().service(snapshot.name())));
    }
    return new Snapshot(list);
  }

  /**
   * Stops discovery and every thread this instance started, waiting up to 5 seconds for them to
   * end. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (registrations) {
      for (SelfRegistration.Handle registration : registrations) {
        try {
          registration.close(); // first: the instance leaves the registry before it stops
        } catch (RuntimeException e) {
          org.slf4j.LoggerFactory.getLogger(Hyperlane.class)
              .warn("removing a self-registration failed: {}", e.toString());
        }
      }
      registrations.clear();
    }
    services.values().forEach(ServiceState::close);
    closeQuietly(gauges.getAndSet(() -> {}));
    if (threads != null) {
      threads.close(Duration.ofSeconds(5));
    }
  }

  private static void closeQuietly(AutoCloseable gauges) {
    try {
      gauges.close();
    } catch (Exception e) {
      // unregistering a gauge does not fail in the OpenTelemetry API
    }
  }

  /** Checks a timeout as the deadline stage will (1 ms to 1 h), naming the bad value. */
  private static Duration checkedTimeout(Duration timeout) {
    DeadlineInterceptor.builder().timeout(timeout);
    return timeout;
  }

  @Override
  public String toString() {
    return "Hyperlane" + services.keySet() + (closed.get() ? " (closed)" : "");
  }

  /**
   * Configures a {@link Hyperlane}. Services are checked together in {@link #build()}, which
   * reports every problem at once; policy values ({@link OutlierDetection}, {@link SlowStart},
   * {@link LoadBalancerPolicy}) check themselves when they are made. Not thread-safe.
   */
  public static final class Builder {
    private final List<ServiceBuilder> services = new ArrayList<>();
    private LoadBalancerPolicy loadBalancer = LoadBalancerPolicy.peakEwma();
    private OutlierDetection outlierDetection = OutlierDetection.defaults();
    private SlowStart slowStart = SlowStart.defaults();
    private RetryPolicy retry = RetryPolicy.ofDefaults();
    private RetryBudget retryBudget = RetryBudget.ofDefaults();
    private ResilienceListener listener = ResilienceListener.noop();
    private Duration timeout;
    private String deadlineHeader = Deadline.DEFAULT_HEADER;
    private CircuitBreakerPolicy serviceCircuit = CircuitBreakerPolicy.serviceDefaults();
    private CircuitBreakerPolicy endpointCircuit = CircuitBreakerPolicy.endpointDefaults();
    private HedgingPolicy hedging = HedgingPolicy.none();
    private ConcurrencyLimit concurrencyLimit = ConcurrencyLimit.none();
    private OpenTelemetry openTelemetry;
    private boolean telemetryEnabled = true;
    private AlertPolicy alerts;
    private AlertListener alertListener;
    private HttpCache cache;
    private RoutingRules routing = RoutingRules.none();
    private Tls tls;
    private final List<SelfRegistration> selfRegistrations = new ArrayList<>();
    private ZonePreference zonePreference = ZonePreference.none();
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.system();
    private Scheduler scheduler;
    private Executor blockingExecutor;
    private RandomGenerator random = CurrentThreadRandom.INSTANCE;
    private final List<Interceptor> attemptInterceptors = new ArrayList<>();

    private Builder() {}

    /**
     * Registers a service with a fixed list of endpoints of weight 1.
     *
     * @param name the host callers use, as in {@code http://<name>/…}: a lower-case DNS name
     * @param endpointUrls origins such as {@code http://127.0.0.1:8081}; checked by {@link
     *     #build()}
     */
    public Builder service(String name, String... endpointUrls) {
      Objects.requireNonNull(endpointUrls, "endpointUrls");
      return service(
          name,
          s -> {
            for (String url : endpointUrls) {
              s.endpoint(url);
            }
          });
    }

    /**
     * Registers a service configured by {@code spec}: weighted endpoints or a discovery, and
     * policies that override this builder's defaults.
     *
     * <pre>{@code
     * builder.service("orders", s -> s
     *     .endpoint("http://127.0.0.1:9001", 3)
     *     .endpoint("http://127.0.0.1:9002", 1)
     *     .loadBalancer(LoadBalancerPolicy.roundRobin()));
     * }</pre>
     */
    public Builder service(String name, Consumer<ServiceBuilder> spec) {
      Objects.requireNonNull(spec, "spec");
      ServiceBuilder service = new ServiceBuilder(name);
      spec.accept(service);
      services.add(service);
      return this;
    }

    /** The balancing policy of every service that does not set its own; peak-EWMA by default. */
    public Builder loadBalancer(LoadBalancerPolicy policy) {
      this.loadBalancer = Objects.requireNonNull(policy, "loadBalancer");
      return this;
    }

    /** Outlier ejection for every service that does not set its own; on by default. */
    public Builder outlierDetection(OutlierDetection outlierDetection) {
      this.outlierDetection = Objects.requireNonNull(outlierDetection, "outlierDetection");
      return this;
    }

    /** Slow start for every service that does not set its own; a 30 s ramp by default. */
    public Builder slowStart(SlowStart slowStart) {
      this.slowStart = Objects.requireNonNull(slowStart, "slowStart");
      return this;
    }

    /**
     * The retry policy of every service that does not set its own; {@link RetryPolicy#ofDefaults()}
     * (3 attempts, idempotent requests or requests proven unsent) by default. {@link
     * RetryPolicy#none()} turns retries off.
     */
    public Builder retry(RetryPolicy policy) {
      this.retry = Objects.requireNonNull(policy, "retry");
      return this;
    }

    /**
     * The adaptive concurrency limit of every service that does not set its own; none by default. A
     * call over it fails with {@link io.hyperlane.resilience.LimitExceededException} without being
     * sent. Each service has its own limit.
     */
    public Builder concurrencyLimit(ConcurrencyLimit limit) {
      this.concurrencyLimit = Objects.requireNonNull(limit, "concurrencyLimit");
      return this;
    }

    /**
     * Hedging for every service that does not set its own; off by default. {@link
     * HedgingPolicy#adaptive()} sends a second attempt to another endpoint when a call runs longer
     * than the service's recent p95, within the retry budget. Hedging runs on real time.
     */
    public Builder hedging(HedgingPolicy policy) {
      this.hedging = Objects.requireNonNull(policy, "hedging");
      return this;
    }

    /**
     * The retry budget settings of every service that does not set its own; each service has its
     * own budget, shared by its retries and hedges.
     */
    public Builder retryBudget(RetryBudget budget) {
      this.retryBudget = Objects.requireNonNull(budget, "retryBudget");
      return this;
    }

    /**
     * Receives every decision of the resilience stages (retries, refusals). It must be fast and
     * never throw.
     */
    public Builder listener(ResilienceListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The total time a call to any service may take, all attempts and the body included; none by
     * default (deadlines from {@link Deadline} scopes and tags still apply).
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 hour
     */
    public Builder timeout(Duration timeout) {
      this.timeout = checkedTimeout(timeout);
      return this;
    }

    /**
     * The header that tells a service how many milliseconds its caller has left; {@link
     * Deadline#DEFAULT_HEADER} by default, null to send none. Read it on the other side with {@link
     * Deadline#fromHeader(String)}.
     */
    public Builder deadlineHeader(String name) {
      DeadlineInterceptor.builder().header(name); // validates
      this.deadlineHeader = name;
      return this;
    }

    /**
     * The circuit of every service that does not set its own, around each logical call (retries
     * included); {@link CircuitBreakerPolicy#serviceDefaults()} by default. When it is open, calls
     * fail at once with {@link io.hyperlane.resilience.CircuitOpenException}.
     */
    public Builder serviceCircuitBreaker(CircuitBreakerPolicy policy) {
      this.serviceCircuit = Objects.requireNonNull(policy, "serviceCircuitBreaker");
      return this;
    }

    /**
     * The circuit of each endpoint of every service that does not set its own; {@link
     * CircuitBreakerPolicy#endpointDefaults()} by default. An endpoint whose circuit is open gets
     * no calls but the probes that may close it again.
     */
    public Builder endpointCircuitBreaker(CircuitBreakerPolicy policy) {
      this.endpointCircuit = Objects.requireNonNull(policy, "endpointCircuitBreaker");
      return this;
    }

    /** How the retry stage waits between attempts; {@link Sleeper#system()} by default. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * Where spans and metrics go: one span per logical service call, one CLIENT span per attempt,
     * and {@code http.client.request.duration}; trace context is written into each attempt through
     * its propagators. {@link GlobalOpenTelemetry} by default, so an application that installs the
     * SDK globally needs nothing here — before or after building Hyperlane: the global one is read
     * when it is set, and never set by Hyperlane. Only the OpenTelemetry API is a dependency of
     * Hyperlane.
     */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /**
     * Turns Hyperlane's spans, metrics and the propagation of trace context off (true by default).
     * Alerts still work.
     */
    public Builder telemetry(boolean enabled) {
      this.telemetryEnabled = enabled;
      return this;
    }

    /**
     * Alerts on every service's p99 latency and error rate, unless a service sets its own policy;
     * {@code listener} hears of each threshold crossed and each recovery, once.
     */
    public Builder alerts(AlertPolicy policy, AlertListener listener) {
      this.alerts = Objects.requireNonNull(policy, "alerts");
      this.alertListener = Objects.requireNonNull(listener, "alertListener");
      return this;
    }

    /**
     * The response cache of every service that does not set its own; none by default. The cache
     * answers before the resilience and routing stages, so a hit sends no request and opens no
     * attempt span; its {@code stale-if-error} window also covers calls that fail because a circuit
     * is open or the retry budget is spent. Hyperlane does not close the cache: its owner does.
     */
    public Builder cache(HttpCache cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
      return this;
    }

    /**
     * The routing rules in force from the start (none by default); {@link #build()} refuses a rule
     * that names a service not registered. Replace them later with {@link
     * Hyperlane#replaceRouting(RoutingRules)}.
     */
    public Builder routing(RoutingRules rules) {
      this.routing = Objects.requireNonNull(rules, "routing");
      return this;
    }

    /**
     * TLS for the {@code https} endpoints of services: whom to trust and, for mutual TLS, which
     * certificate to present. Only calls to services' endpoints use it: any other host keeps the
     * wrapped client's own settings (the platform's trust store), so a client certificate is never
     * shown to a host that is no service. By default service endpoints use the client's settings
     * too. Certificate and hostname verification stay on in every case.
     *
     * <pre>{@code
     * KeyStore keys = …;  // the client certificate and its private key
     * KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
     * kmf.init(keys, password);
     * TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
     * tmf.init(trustedCas);
     * builder.tls((X509TrustManager) tmf.getTrustManagers()[0],
     *     (X509KeyManager) kmf.getKeyManagers()[0]);
     * }</pre>
     *
     * @param trustManager the certificate authorities to trust
     * @param keyManager the client certificate for mutual TLS, or null to present none
     * @throws IllegalStateException when the JVM has no TLS implementation
     */
    public Builder tls(X509TrustManager trustManager, X509KeyManager keyManager) {
      Objects.requireNonNull(trustManager, "trustManager");
      try {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(
            keyManager == null ? null : new KeyManager[] {keyManager},
            new TrustManager[] {trustManager},
            null);
        this.tls = new Tls(context.getSocketFactory(), trustManager);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
      }
      return this;
    }

    /**
     * Registers this instance in a registry while the Hyperlane runs: started by {@link #build()},
     * kept alive on Hyperlane's threads, removed first thing by {@link Hyperlane#close()}.
     */
    public Builder selfRegistration(SelfRegistration registration) {
      selfRegistrations.add(Objects.requireNonNull(registration, "registration"));
      return this;
    }

    /**
     * The zone preference of every service that does not set its own; {@link ZonePreference#none()}
     * by default.
     */
    public Builder zonePreference(ZonePreference preference) {
      this.zonePreference = Objects.requireNonNull(preference, "zonePreference");
      return this;
    }

    /** The clock of every stage; {@link Ticker#system()} by default. Tests pass a fake. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * The wall clock, for HTTP dates such as a {@code Retry-After} date in a response with no
     * {@code Date}; the system's by default. Tests pass a fake. Durations are measured on the
     * {@link #ticker(Ticker)}.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Runs timers (discovery refreshes). By default Hyperlane starts one daemon thread on first use
     * and stops it on {@link #close()}; a scheduler given here is not stopped by Hyperlane.
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Runs work that may block, such as DNS lookups. By default Hyperlane starts up to four daemon
     * threads on demand and stops them on {@link #close()}; an executor given here is not stopped
     * by Hyperlane.
     */
    public Builder blockingExecutor(Executor executor) {
      this.blockingExecutor = Objects.requireNonNull(executor, "blockingExecutor");
      return this;
    }

    /**
     * Where every random choice is drawn from: the balancer's two candidates, a canary rule's
     * branch, the retry backoff's jitter. The calling thread's {@code ThreadLocalRandom} by
     * default. A seeded generator makes the choices repeatable where calls run one at a time (a
     * simulation on virtual time, a test); it must be safe to share between threads, as {@link
     * java.util.Random} is.
     */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Adds an interceptor that runs on every attempt of a service call after the routing stage, so
     * it sees the chosen endpoint's URL: a retry and each hedge pass through it again. Use it for
     * what depends on the endpoint, such as signing requests that cover the host, or logging each
     * attempt. Interceptors run in the order added; like any application interceptor, one may
     * answer without calling {@code proceed}. Calls to hosts that are not services pass through it
     * too.
     */
    public Builder attemptInterceptor(Interceptor interceptor) {
      attemptInterceptors.add(Objects.requireNonNull(interceptor, "attemptInterceptor"));
      return this;
    }

    /**
     * Checks every service and returns the running instance; discovery starts here (a DNS name is
     * resolved once before this returns).
     *
     * @throws IllegalArgumentException listing every problem: a service with no endpoint and no
     *     discovery, with both, a malformed URL, a bad weight, a name that is not a lower-case host
     *     name, a name registered twice
     */
    public Hyperlane build() {
      List<String> problems = new ArrayList<>();
      Set<String> names = new HashSet<>();
      for (ServiceBuilder s : services) {
        s.check(problems);
        if (s.name != null && !names.add(s.name)) {
          problems.add("service \"" + s.name + "\" is registered twice");
        }
        if (s.alerts != null && alertListener == null) {
          problems.add(
              "service \""
                  + s.name
                  + "\" has alerts but nobody hears them: give a listener"
                  + " with Builder.alerts(policy, listener)");
        }
      }
      problems.addAll(routing.problems(names));
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid Hyperlane configuration: " + String.join("; ", problems));
      }

      // Never GlobalOpenTelemetry.get() here: before an SDK registers it would lock the global to a
      // no-op. The global one is read when it is set, whenever that is.
      Telemetry telemetry = new Telemetry(openTelemetry, telemetryEnabled);
      ResilienceListener listener = this.listener.andThen(new LoggingListener());
      if (telemetry.enabled) {
        listener = listener.andThen(new TelemetryListener(telemetry));
      }
      Map<String, AlertState> alertStates = new HashMap<>();
      Map<String, HttpCache> caches = new HashMap<>();
      HyperlaneThreads threads =
          scheduler == null || blockingExecutor == null ? new HyperlaneThreads() : null;
      Scheduler s = scheduler != null ? scheduler : threads;
      Executor e = blockingExecutor != null ? blockingExecutor : threads;
      Map<String, ServiceState> states = new LinkedHashMap<>();
      // Only service calls are retried: any other host passes through as it would without
      // Hyperlane.
      RetryInterceptor.Builder retries =
          RetryInterceptor.builder()
              .policy(RetryPolicy.none())
              .ticker(ticker)
              .clock(clock)
              .sleeper(sleeper)
              .random(random)
              .listener(listener);
      DeadlineInterceptor.Builder deadlines =
          DeadlineInterceptor.builder().onlyHosts(names).header(deadlineHeader).ticker(ticker);
      if (scheduler != null) {
        // A scheduler given here runs deadlines and hedges; the default, shared timer outlives
        // close(), so that calls in flight then still end by their deadlines.
        deadlines.scheduler(scheduler);
        retries.scheduler(scheduler);
        if (blockingExecutor != null) { // fake or virtual time: all of it on the given threads
          deadlines.executor(blockingExecutor);
          retries.executor(blockingExecutor);
        }
      }
      if (timeout != null) {
        deadlines.timeout(timeout);
      }
      CircuitBreakerInterceptor.Builder circuits =
          CircuitBreakerInterceptor.builder()
              .policy(CircuitBreakerPolicy.disabled())
              .ticker(ticker)
              .listener(listener);
      LimitInterceptor.Builder limits =
          LimitInterceptor.builder().listener(listener).sleeper(sleeper);
      boolean anyHedging = false;
      for (ServiceBuilder sb : services) {
        limits.concurrency(
            sb.name, sb.concurrencyLimit != null ? sb.concurrencyLimit : concurrencyLimit);
        if (sb.rateLimit != null) {
          limits.rate(sb.name, sb.rateLimit);
        }
        HttpCache serviceCache = sb.cacheSet ? sb.cache : cache;
        if (serviceCache != null) {
          caches.put(sb.name, serviceCache);
        }
        AlertPolicy alert = sb.alerts != null ? sb.alerts : alerts;
        if (alert != null && alertListener != null) {
          alertStates.put(sb.name, new AlertState(sb.name, alert, alertListener));
        }
        HedgingPolicy hedge = sb.hedging != null ? sb.hedging : hedging;
        anyHedging |= hedge.enabled();
        retries.hedging(sb.name, hedge);
        circuits.policy(sb.name, sb.serviceCircuit != null ? sb.serviceCircuit : serviceCircuit);
        retries
            .policy(sb.name, sb.retry != null ? sb.retry : retry)
            .budget(sb.name, sb.retryBudget != null ? sb.retryBudget : retryBudget);
        if (sb.timeout != null) {
          deadlines.timeout(sb.name, sb.timeout);
        }
        states.put(
            sb.name,
            new ServiceState(
                    sb.name,
                    sb.loadBalancer != null ? sb.loadBalancer : loadBalancer,
                    sb.outlierDetection != null ? sb.outlierDetection : outlierDetection,
                    sb.slowStart != null ? sb.slowStart : slowStart,
                    sb.endpointCircuit != null ? sb.endpointCircuit : endpointCircuit,
                    sb.zonePreference != null ? sb.zonePreference : zonePreference,
                    listener,
                    ticker,
                    s,
                    e,
                    random)
                .withTls(
                    sb.tlsAuthority == null ? null : new AuthorityVerifier(sb.tlsAuthority),
                    sb.allowCleartext));
      }
      Hyperlane hyperlane =
          new Hyperlane(
              Collections.unmodifiableMap(states),
              ticker,
              threads,
              deadlines.build(),
              limits.build(),
              circuits.build(),
              retries.build(),
              anyHedging,
              telemetry,
              Map.copyOf(alertStates),
              Map.copyOf(caches),
              routing,
              tls,
              random,
              List.copyOf(attemptInterceptors));
      for (ServiceBuilder sb : services) {
        states.get(sb.name).start(sb.discovery());
      }
      List<String> missing = new ArrayList<>();
      for (ServiceBuilder sb : services) {
        if (sb.awaitEndpoints != null) {
          String why = states.get(sb.name).awaitEndpoints(sb.awaitEndpoints);
          if (why != null) {
            missing.add(
                "service \""
                    + sb.name
                    + "\" had no endpoints after "
                    + sb.awaitEndpoints
                    + ": "
                    + why);
          }
        }
      }
      if (!missing.isEmpty()) {
        hyperlane.close();
        throw new IllegalStateException(String.join("; ", missing));
      }
      SelfRegistration.Context context =
          new SelfRegistration.Context() {
            @Override
            public Scheduler scheduler() {
              return s;
            }

            @Override
            public Executor blockingExecutor() {
              return e;
            }

            @Override
            public Ticker ticker() {
              return ticker;
            }
          };
      synchronized (hyperlane.registrations) {
        for (SelfRegistration registration : selfRegistrations) {
          hyperlane.registrations.add(registration.start(context));
        }
      }
      return hyperlane;
    }
  }

  /**
   * One service's configuration, given to the consumer passed to {@link Builder#service(String,
   * Consumer)}. Values are checked by {@link Builder#build()}.
   */
  public static final class ServiceBuilder {
    private static final Pattern HOST_NAME =
        Pattern.compile(
            "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private final String name;
    private final List<String> urls = new ArrayList<>();
    private final List<Integer> weights = new ArrayList<>();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final List<Endpoint> given = new ArrayList<>();
    private ServiceDiscovery discovery;
    private LoadBalancerPolicy loadBalancer;
    private OutlierDetection outlierDetection;
    private SlowStart slowStart;
    private RetryPolicy retry;
    private RetryBudget retryBudget;
    private Duration timeout;
    private CircuitBreakerPolicy serviceCircuit;
    private CircuitBreakerPolicy endpointCircuit;
    private HedgingPolicy hedging;
    private ConcurrencyLimit concurrencyLimit;
    private RateLimit rateLimit;
    private AlertPolicy alerts;
    private HttpCache cache;
    private boolean cacheSet;
    private ZonePreference zonePreference;
    private String tlsAuthority;
    private boolean allowCleartext;
    private Duration awaitEndpoints;

    private ServiceBuilder(String name) {
      this.name = name;
    }

    /** Adds a static endpoint of weight 1, such as {@code http://127.0.0.1:8081}. */
    public ServiceBuilder endpoint(String url) {
      return endpoint(url, 1);
    }

    /** Adds a static endpoint with a weight from 1 to {@link Endpoint#MAX_WEIGHT}. */
    public ServiceBuilder endpoint(String url, int weight) {
      urls.add(url);
      weights.add(weight);
      return this;
    }

    /**
     * Adds a static endpoint built with {@link Endpoint#builder(String)}: with a zone and metadata
     * that zone preference and routing rules can select on.
     */
    public ServiceBuilder endpoint(Endpoint endpoint) {
      given.add(Objects.requireNonNull(endpoint, "endpoint"));
      return this;
    }

    /** Takes the service's endpoints from {@code discovery} instead of a static list. */
    public ServiceBuilder discovery(ServiceDiscovery discovery) {
      this.discovery = Objects.requireNonNull(discovery, "discovery");
      return this;
    }

    /** This service's balancing policy. */
    public ServiceBuilder loadBalancer(LoadBalancerPolicy policy) {
      this.loadBalancer = Objects.requireNonNull(policy, "loadBalancer");
      return this;
    }

    /** This service's outlier ejection. */
    public ServiceBuilder outlierDetection(OutlierDetection outlierDetection) {
      this.outlierDetection = Objects.requireNonNull(outlierDetection, "outlierDetection");
      return this;
    }

    /** This service's slow start. */
    public ServiceBuilder slowStart(SlowStart slowStart) {
      this.slowStart = Objects.requireNonNull(slowStart, "slowStart");
      return this;
    }

    /** This service's retry policy. */
    public ServiceBuilder retry(RetryPolicy policy) {
      this.retry = Objects.requireNonNull(policy, "retry");
      return this;
    }

    /** The total time a call to this service may take, all attempts and the body included. */
    public ServiceBuilder timeout(Duration timeout) {
      this.timeout = checkedTimeout(timeout);
      return this;
    }

    /**
     * This service's alert thresholds; the alerts go to the listener given to {@link
     * Builder#alerts(AlertPolicy, AlertListener)}, which must be set.
     */
    public ServiceBuilder alerts(AlertPolicy policy) {
      this.alerts = Objects.requireNonNull(policy, "alerts");
      return this;
    }

    /** This service's adaptive concurrency limit. */
    public ServiceBuilder concurrencyLimit(ConcurrencyLimit limit) {
      this.concurrencyLimit = Objects.requireNonNull(limit, "concurrencyLimit");
      return this;
    }

    /** This service's response cache, in place of the one given to {@link Builder#cache}. */
    public ServiceBuilder cache(HttpCache cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
      this.cacheSet = true;
      return this;
    }

    /**
     * Calls to this service are never answered from a cache, whatever {@link Builder#cache} says.
     */
    public ServiceBuilder noCache() {
      this.cache = null;
      this.cacheSet = true;
      return this;
    }

    /**
     * The name the certificates of this service's {@code https} endpoints must carry, such as
     * {@code inventory.internal}, when it is not the endpoint's own host (endpoints given by IP
     * address, for example). Only the name checked changes: the certificate chain is still
     * verified. It applies to this service's endpoints only, when a call is sent to one of them:
     * another service on the same address, or a call to that address that is no service call, is
     * checked as usual.
     */
    public ServiceBuilder tlsAuthority(String name) {
      Objects.requireNonNull(name, "tlsAuthority");
      if (!HOST_NAME.matcher(name.toLowerCase(Locale.ROOT)).matches()
          && !name.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?")) {
        throw new IllegalArgumentException(
            "tlsAuthority must be a host name or an IP address but was \"" + name + "\"");
      }
      this.tlsAuthority = name;
      return this;
    }

    /**
     * Lets a call written as {@code https://<service>/…} go to this service's {@code http}
     * endpoints, in cleartext. Off by default: such a call goes to the service's {@code https}
     * endpoints only, and fails with {@link NoEndpointException} naming the service when it has
     * none, so that a request its caller meant to encrypt never leaves unencrypted because a
     * registry listed {@code http} endpoints.
     */
    public ServiceBuilder allowCleartext() {
      this.allowCleartext = true;
      return this;
    }

    /**
     * Makes {@link Builder#build()} wait up to {@code timeout} for this service's discovery to
     * deliver its first endpoints, and fail with an {@link IllegalStateException} saying why if it
     * does not. By default {@code build()} does not wait: the service starts empty, its calls fail
     * with {@link NoEndpointException} until the registry answers, and it is used as soon as it
     * does.
     */
    public ServiceBuilder awaitEndpoints(Duration timeout) {
      Objects.requireNonNull(timeout, "awaitEndpoints");
      if (timeout.isNegative()
          || timeout.isZero()
          || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            "awaitEndpoints must be between 1 ms and 10 minutes but was " + timeout);
      }
      this.awaitEndpoints = timeout;
      return this;
    }

    /** This service's zone preference. */
    public ServiceBuilder zonePreference(ZonePreference preference) {
      this.zonePreference = Objects.requireNonNull(preference, "zonePreference");
      return this;
    }

    /** This service's rate limit; none by default. */
    public ServiceBuilder rateLimit(RateLimit limit) {
      this.rateLimit = Objects.requireNonNull(limit, "rateLimit");
      return this;
    }

    /** This service's hedging. */
    public ServiceBuilder hedging(HedgingPolicy policy) {
      this.hedging = Objects.requireNonNull(policy, "hedging");
      return this;
    }

    /** This service's circuit around each logical call. */
    public ServiceBuilder serviceCircuitBreaker(CircuitBreakerPolicy policy) {
      this.serviceCircuit = Objects.requireNonNull(policy, "serviceCircuitBreaker");
      return this;
    }

    /** The circuit of each of this service's endpoints. */
    public ServiceBuilder endpointCircuitBreaker(CircuitBreakerPolicy policy) {
      this.endpointCircuit = Objects.requireNonNull(policy, "endpointCircuitBreaker");
      return this;
    }

    /** This service's retry budget settings. */
    public ServiceBuilder retryBudget(RetryBudget budget) {
      this.retryBudget = Objects.requireNonNull(budget, "retryBudget");
      return this;
    }

    private void check(List<String> problems) {
      if (name == null || !HOST_NAME.matcher(name).matches()) {
        problems.add(
            "service name must be a lower-case host name such as \"inventory\" but was "
                + (name == null ? "null" : "\"" + name + "\""));
        return;
      }
      String where = "service \"" + name + "\": ";
      boolean anyStatic = !urls.isEmpty() || !given.isEmpty();
      if (discovery != null && anyStatic) {
        problems.add(where + "has both static endpoints and a discovery; give one or the other");
      } else if (discovery == null && !anyStatic) {
        problems.add(where + "has no endpoints; give at least one endpoint URL or a discovery");
      }
      for (int i = 0; i < urls.size(); i++) {
        String url = urls.get(i);
        if (url == null) {
          problems.add(where + "endpoint URL must not be null");
          continue;
        }
        try {
          Endpoint endpoint = Endpoint.of(url, weights.get(i));
          if (endpoints.contains(endpoint)) {
            problems.add(where + "endpoint " + endpoint.origin() + " is listed twice");
          } else {
            endpoints.add(endpoint);
          }
        } catch (IllegalArgumentException e) {
          problems.add(where + e.getMessage());
        }
      }
      for (Endpoint endpoint : given) {
        if (endpoints.contains(endpoint)) {
          problems.add(where + "endpoint " + endpoint.origin() + " is listed twice");
        } else {
          endpoints.add(endpoint);
        }
      }
    }

    private ServiceDiscovery discovery() {
      return discovery != null ? discovery : ServiceDiscovery.of(endpoints);
    }
  }
}
