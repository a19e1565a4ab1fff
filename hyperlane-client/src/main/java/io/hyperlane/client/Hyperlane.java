package io.hyperlane.client;

import io.hyperlane.cache.HttpCache;
import io.hyperlane.resilience.Deadline;
import io.hyperlane.resilience.DeadlineInterceptor;
import io.hyperlane.resilience.RateLimit;
import io.hyperlane.resilience.ResilienceListener;
import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Sleeper;
import io.hyperlane.resilience.Ticker;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
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
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

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
  private final Stages stages;
  private final Map<String, HttpCache> caches;
  private final AtomicReference<RoutingRules> rules;
  private final @Nullable HyperlaneThreads threads;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<SelfRegistration.Handle> registrations = new ArrayList<>();
  private final AtomicReference<AutoCloseable> gauges = new AtomicReference<>(() -> {});

  /**
   * The dispatcher of the clients wrapped from each of the application's: every client wrapped from
   * one dispatcher shares one, and so its bound on calls at once.
   */
  private final Map<Dispatcher, Dispatcher> dispatchers =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final String description;

  /** Per service, the policies changed while running and their values now; replaced whole. */
  private volatile Map<String, Map<String, String>> updates = Map.of();

  private final Map<String, ServicePolicies.Resolved> policies;

  Hyperlane(Assembly.Parts parts) {
    this.services = parts.services();
    this.stages = parts.stages();
    this.caches = parts.caches();
    this.rules = parts.rules();
    this.threads = parts.threads();
    this.description = parts.description();
    this.policies = new HashMap<>(parts.policies());
    Telemetry telemetry = parts.telemetry();
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
   * @param client the application's client
   * @return the client with Hyperlane's stages
   * @throws IllegalArgumentException if {@code client} already carries Hyperlane's stages
   * @throws IllegalStateException if this instance is closed
   */
  public OkHttpClient wrap(OkHttpClient client) {
    Objects.requireNonNull(client, "client");
    if (closed.get()) {
      throw new IllegalStateException("this Hyperlane is closed");
    }
    if (Stages.carriedBy(client)) {
      throw new IllegalArgumentException(
          "client is already wrapped by a Hyperlane: wrap the original client instead");
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
    return stages.wrap(client, dispatcher);
  }

  /**
   * Replaces the routing rules at once: calls that start after this returns use {@code rules};
   * calls in progress keep the rules they started with for their current attempt.
   *
   * @param rules the rules from now on
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

  /**
   * Changes the policies of a running service — its timeout, retry, hedging, service circuit,
   * balancer, outlier detection and slow start — without restarting anything: what {@code update}
   * sets replaces the current policy, what it does not set stays. Every value is checked before
   * anything changes, so the update is applied whole or not at all; endpoints, their latency
   * estimates, counters and circuits, the retry budget's balance and the recent latencies stay.
   * Calls that start afterwards run under the new policies; a call under way keeps those it started
   * with in each stage. Updates of one instance are applied one at a time.
   *
   * <pre>{@code
   * hyperlane.updateService("inventory", s -> s
   *     .timeout(Duration.ofSeconds(2))
   *     .hedging(HedgingPolicy.adaptive()));
   * }</pre>
   *
   * @param service the name of a service of this instance
   * @param update sets what changes
   * @throws IllegalArgumentException if there is no such service or a setter refused a value (then
   *     nothing changed)
   * @throws IllegalStateException if this instance is closed
   */
  public void updateService(String service, Consumer<ServiceUpdate> update) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(update, "update");
    ServiceState state = services.get(service);
    if (state == null) {
      throw new IllegalArgumentException(
          "no service named \"" + service + "\"; this instance has " + services.keySet());
    }
    ServiceUpdate changes = new ServiceUpdate();
    update.accept(changes); // a refused value throws here, before anything changed
    synchronized (policies) {
      if (closed.get()) {
        throw new IllegalStateException("this Hyperlane instance is closed");
      }
      ServicePolicies.Resolved was =
          Objects.requireNonNull(policies.get(service), "resolved at build");
      ServicePolicies.Resolved now = changes.over(was);
      // Only what changed is replaced: an update that gives a policy already in force (the same
      // instance) leaves its state alone — the service circuit stays open, the hedges' rate cap
      // keeps its count, the outlier windows go on.
      Map<String, String> changed = changes.changes();
      if (!Objects.equals(now.timeout(), was.timeout())) {
        stages.updateTimeout(service, now.timeout());
      } else {
        changed.remove("timeout");
      }
      if (now.retry() != was.retry() || now.hedging() != was.hedging()) {
        stages.updateRetries(service, now.retry(), now.hedging());
      }
      if (now.serviceCircuit() != was.serviceCircuit()) {
        stages.updateCircuit(service, now.serviceCircuit());
      }
      state.update(now.loadBalancer(), now.outlierDetection(), now.slowStart());
      policies.put(service, now);
      // Only what changed is listed: the very instance already in force is no change.
      keepChanged(changed, "retry", now.retry(), was.retry());
      keepChanged(changed, "hedging", now.hedging(), was.hedging());
      keepChanged(changed, "service circuit", now.serviceCircuit(), was.serviceCircuit());
      keepChanged(changed, "load balancer", now.loadBalancer(), was.loadBalancer());
      keepChanged(changed, "outlier detection", now.outlierDetection(), was.outlierDetection());
      keepChanged(changed, "slow start", now.slowStart(), was.slowStart());
      Map<String, Map<String, String>> next = new TreeMap<>(updates);
      Map<String, String> mine = new TreeMap<>(next.getOrDefault(service, Map.of()));
      mine.putAll(changed);
      next.put(service, Collections.unmodifiableMap(mine));
      updates = Collections.unmodifiableMap(next); // sorted, replaced whole: read without a lock
      LoggerFactory.getLogger(Hyperlane.class).info("updated service {}: {}", service, changed);
    }
  }

  private static void keepChanged(
      Map<String, String> changed, String name, Object now, Object was) {
    if (now == was) {
      changed.remove(name);
    }
  }

  /**
   * The routing rules in force.
   *
   * @return the rules
   */
  public RoutingRules routing() {
    return Objects.requireNonNull(rules.get(), "rules are never null");
  }

  /**
   * Describes the configuration this instance was built with: every service, where its endpoints
   * come from, and each policy it runs under, marked {@code (service)} when the service set it,
   * {@code (all services)} when the builder did, and {@code (default)} when it is Hyperlane's. Log
   * it at start ({@link Builder#logConfiguration(boolean)}) or print it when a call does not behave
   * as expected.
   *
   * @return several lines of text, one per setting
   */
  public String describe() {
    StringBuilder out = new StringBuilder(description);
    updates // read once, without a lock: a listener may call this
        .forEach(
        (service, changed) -> {
          if (changed.isEmpty()) {
            return;
          }
          out.append("service ").append(service).append(" updated while running:\n");
          changed.forEach(
              (what, value) ->
                  out.append("  ")
                      .append(what)
                      .append(" ".repeat(Math.max(1, 19 - what.length())))
                      .append(value)
                      .append('\n'));
        });
    return out.toString();
  }

  /**
   * Returns the current state of every service and endpoint, as immutable values.
   *
   * @return the snapshot
   */
  public Snapshot snapshot() {
    List<ServiceSnapshot> list = new ArrayList<>(services.size());
    RoutingRules routing = routing();
    for (ServiceState service : services.values()) {
      ServiceSnapshot snapshot = stages.addTo(service.snapshot(), routing);
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
          LoggerFactory.getLogger(Hyperlane.class)
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

  /** Keeps a self-registration to remove first thing on {@link #close()}. */
  void registered(SelfRegistration.Handle registration) {
    synchronized (registrations) {
      registrations.add(registration);
    }
  }

  private static void closeQuietly(AutoCloseable gauges) {
    try {
      gauges.close();
    } catch (Exception e) {
      // unregistering a gauge does not fail in the OpenTelemetry API
    }
  }

  @Override
  public String toString() {
    return "Hyperlane" + services.keySet() + (closed.get() ? " (closed)" : "");
  }

  /**
   * Configures a {@link Hyperlane}: its services, and the policies (from {@link PolicyBuilder})
   * every service takes unless it sets its own. Services are checked together in {@link #build()},
   * which reports every problem at once; policy values ({@link OutlierDetection}, {@link
   * SlowStart}, {@link LoadBalancerPolicy}) check themselves when they are made. Not thread-safe.
   */
  public static final class Builder extends PolicyBuilder<Builder> {
    final List<ServiceBuilder> services = new ArrayList<>();
    ResilienceListener listener = ResilienceListener.noop();
    @Nullable String deadlineHeader = Deadline.DEFAULT_HEADER;
    @Nullable OpenTelemetry openTelemetry;
    boolean telemetryEnabled = true;
    @Nullable AlertPolicy alerts;
    @Nullable AlertListener alertListener;
    RoutingRules routing = RoutingRules.none();
    @Nullable Tls tls;
    final List<SelfRegistration> selfRegistrations = new ArrayList<>();
    Ticker ticker = Ticker.system();
    Clock clock = Clock.systemUTC();
    Sleeper sleeper = Sleeper.system();
    @Nullable Scheduler scheduler;
    @Nullable Executor blockingExecutor;
    RandomGenerator random = CurrentThreadRandom.INSTANCE;
    final List<Interceptor> attemptInterceptors = new ArrayList<>();
    boolean typoGuard;
    boolean logConfiguration;

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

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

    /**
     * Receives every decision of the resilience stages (retries, refusals). It must be fast and
     * never throw.
     */
    public Builder listener(ResilienceListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The header that tells a service how many milliseconds its caller has left; {@link
     * Deadline#DEFAULT_HEADER} by default, null to send none. Read it on the other side with {@link
     * Deadline#fromHeader(String)}.
     */
    public Builder deadlineHeader(@Nullable String name) {
      DeadlineInterceptor.builder().header(name); // validates
      this.deadlineHeader = name;
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
    public Builder tls(X509TrustManager trustManager, @Nullable X509KeyManager keyManager) {
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
     * Refuses a call to a single-label host (no dot, such as {@code inventroy}) that is not a
     * registered service, with an {@link UnknownServiceException} naming the nearest service,
     * before anything is sent: a misspelt service name otherwise leaves the mesh (an {@code
     * UnknownHostException} at best; a call with no retries, circuits or deadline when a DNS search
     * domain resolves it). Hosts with a dot, IP addresses and {@code localhost} always pass. Off by
     * default: short names are real hosts in Docker Compose, in a Kubernetes namespace and under
     * DNS search domains, and a wrapped client must keep reaching them.
     *
     * @param on whether to refuse unknown short host names
     * @return this builder
     */
    public Builder typoGuard(boolean on) {
      this.typoGuard = on;
      return this;
    }

    /**
     * Logs {@link Hyperlane#describe()} at INFO when {@link #build()} succeeds, so that the
     * policies every service runs under are in the application's log from the start. Off by
     * default.
     *
     * @param on whether to log the configuration at build
     * @return this builder
     */
    public Builder logConfiguration(boolean on) {
      this.logConfiguration = on;
      return this;
    }

    /**
     * Checks every service and returns the running instance; discovery starts here (a DNS name is
     * resolved once before this returns).
     *
     * @return the running instance
     * @throws IllegalArgumentException listing every problem: a service with no endpoint and no
     *     discovery, with both, a malformed URL, a bad weight, a name that is not a lower-case host
     *     name, a name registered twice
     */
    public Hyperlane build() {
      return Assembly.build(this);
    }
  }

  /**
   * One service's configuration, given to the consumer passed to {@link Builder#service(String,
   * Consumer)}: its endpoints or discovery, and policies (from {@link PolicyBuilder}) that override
   * the builder's. Values are checked by {@link Builder#build()}.
   */
  public static final class ServiceBuilder extends PolicyBuilder<ServiceBuilder> {
    private static final Pattern HOST_NAME =
        Pattern.compile(
            "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    final @Nullable String name;
    private final List<@Nullable String> urls = new ArrayList<>();
    private final List<Integer> weights = new ArrayList<>();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final List<Endpoint> given = new ArrayList<>();
    private @Nullable ServiceDiscovery discovery;
    @Nullable RateLimit rateLimit;
    @Nullable AlertPolicy alerts;
    @Nullable String tlsAuthority;
    boolean allowCleartext;
    @Nullable Duration awaitEndpoints;

    private ServiceBuilder(@Nullable String name) {
      this.name = name;
    }

    @Override
    ServiceBuilder self() {
      return this;
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

    /**
     * This service's alert thresholds; the alerts go to the listener given to {@link
     * Builder#alerts(AlertPolicy, AlertListener)}, which must be set.
     */
    public ServiceBuilder alerts(AlertPolicy policy) {
      this.alerts = Objects.requireNonNull(policy, "alerts");
      return this;
    }

    /**
     * Calls to this service are never answered from a cache, whatever {@link Builder#cache} says.
     */
    public ServiceBuilder noCache() {
      set.cache = null;
      set.cacheSet = true;
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

    /** This service's rate limit; none by default. */
    public ServiceBuilder rateLimit(RateLimit limit) {
      this.rateLimit = Objects.requireNonNull(limit, "rateLimit");
      return this;
    }

    void check(List<String> problems) {
      String quoted = name == null ? "null" : "\"" + name + "\"";
      if (name == null || !HOST_NAME.matcher(name).matches()) {
        // Named as given: its other problems are reported too.
        problems.add(
            "service name must be a lower-case host name such as \"inventory\" but was " + quoted);
      }
      String where = "service " + quoted + ": ";
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

    ServiceDiscovery discovery() {
      return discovery != null ? discovery : ServiceDiscovery.of(endpoints);
    }

    /** Where the endpoints come from, for {@link Hyperlane#describe()}; after {@code check}. */
    String endpointsDescription() {
      if (discovery != null) {
        return "discovered by " + discovery;
      }
      StringBuilder text = new StringBuilder();
      for (Endpoint e : endpoints) {
        text.append(text.length() == 0 ? "" : ", ").append(e.origin());
        if (e.weight() != 1) {
          text.append(" (weight ").append(e.weight()).append(')');
        }
        if (e.zone() != null) {
          text.append(" (zone ").append(e.zone()).append(')');
        }
      }
      return text.length() == 0 ? "none" : text.toString();
    }
  }
}
