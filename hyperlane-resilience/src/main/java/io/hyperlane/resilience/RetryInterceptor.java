package io.hyperlane.resilience;

import io.hyperlane.resilience.CallFailedException.Attempt;
import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import io.hyperlane.resilience.internal.AttemptTimeout;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import okhttp3.Call;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * Retries failed calls as a {@link RetryPolicy} allows, within a {@link RetryBudget} per host.
 * Usable on any {@code OkHttpClient} as an application interceptor; Hyperlane installs one per
 * instance, with a policy and a budget per service.
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(RetryInterceptor.builder().policy(RetryPolicy.ofDefaults()).build())
 *     .build();
 * }</pre>
 *
 * <p>Each call carries an {@link AttemptContext} (read it with {@link AttemptContext#of}), through
 * which a routing stage below sends a retry to an endpoint not yet tried. The response of a failed
 * attempt is closed before the next one starts; when no retry is made, the caller gets the last
 * response as it was, or, when the last attempt failed with an I/O error, a {@link
 * CallFailedException} that tells every attempt and why no other was made (for a host with no
 * policy of its own that made one attempt, the error as it was). A call cancelled by its caller is
 * never retried, and fails as it was cancelled. A {@link CallOptions} tag gives one call its own
 * retry and hedging policies. Attempts run one after another on the calling thread, and the pause
 * between them goes through the {@link Sleeper}.
 *
 * <p>Hosts named with {@link Builder#policy(String, RetryPolicy)} have a budget each; every other
 * host shares one budget.
 */
public final class RetryInterceptor implements Interceptor {

  private static final long HEDGE_RATE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

  private static final class Host {
    final BudgetState budget;
    final LatencyWindow latencies = new LatencyWindow();
    volatile Settings settings; // replaced whole by update(): a call reads it once

    Host(RetryPolicy policy, RetryBudget budget, HedgingPolicy hedging) {
      this.budget = new BudgetState(budget);
      this.settings = Settings.of(policy, hedging);
    }
  }

  /** A host's policies; its budget and latencies outlive them. */
  private record Settings(
      RetryPolicy policy,
      HedgingPolicy hedging,
      @Nullable BudgetState hedgeRate) { // null: no cap on the share of calls hedged

    static Settings of(RetryPolicy policy, HedgingPolicy hedging) {
      double share = hedging.maxHedgedShare();
      return new Settings(
          policy, hedging, share > 0 ? new BudgetState(HEDGE_RATE_WINDOW_NANOS, 1, share) : null);
    }
  }

  private final Map<String, Host> hosts;
  private final Host others;
  private final Ticker ticker;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Scheduler scheduler;
  private final Executor work;
  private final ResilienceListener listener;
  private final @Nullable RandomGenerator random; // null: the calling thread's
  private final boolean failoverAtOnce;
  private final Call.@Nullable Factory attemptClient;

  private RetryInterceptor(Builder b) {
    Map<String, Host> map = new HashMap<>();
    b.policies.forEach(
        (host, policy) ->
            map.put(
                host,
                new Host(
                    policy,
                    b.budgets.getOrDefault(host, b.budget),
                    b.hedgings.getOrDefault(host, b.hedging))));
    this.hosts = Map.copyOf(map);
    this.others = new Host(b.policy, b.budget, b.hedging);
    this.ticker = b.ticker;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.scheduler = b.scheduler != null ? b.scheduler : Timers.shared();
    this.work = b.executor != null ? b.executor : Timers.work();
    this.listener = b.listener;
    this.random = b.random;
    this.failoverAtOnce = b.failoverAtOnce;
    this.attemptClient = null;
  }

  private RetryInterceptor(RetryInterceptor shared, Call.Factory attemptClient) {
    this.hosts = shared.hosts;
    this.others = shared.others;
    this.ticker = shared.ticker;
    this.clock = shared.clock;
    this.sleeper = shared.sleeper;
    this.scheduler = shared.scheduler;
    this.work = shared.work;
    this.listener = shared.listener;
    this.random = shared.random;
    this.failoverAtOnce = shared.failoverAtOnce;
    this.attemptClient = attemptClient;
  }

  /**
   * Returns an interceptor that shares this one's budgets and latency statistics and sends hedged
   * attempts as calls of {@code attemptClient}, which must hold every stage below this one (for
   * Hyperlane: the routing stage) and none above, with {@link AttemptTimeout#INTERCEPTOR} first so
   * that the policy's attempt timeout applies to those calls. Without it, nothing is hedged.
   */
  public RetryInterceptor withAttemptClient(Call.Factory attemptClient) {
    return new RetryInterceptor(this, Objects.requireNonNull(attemptClient, "attemptClient"));
  }

  /**
   * How many retries {@code host}'s budget allows at this moment (the floor included, fractions of
   * a retry kept): what a snapshot shows.
   */
  public double retriesAvailable(String host) {
    return hosts.getOrDefault(host, others).budget.retries(ticker.read());
  }

  /**
   * The delay after which a call to {@code host} is hedged at this moment; empty when it does not
   * hedge, or while an adaptive delay has too few latencies to be known.
   */
  public Optional<Duration> hedgeDelay(String host) {
    Host h = hosts.getOrDefault(host, others);
    HedgingPolicy hedging = h.settings.hedging();
    if (!hedging.enabled()) {
      return Optional.empty();
    }
    long nanos = hedging.delayNanos(h.latencies, ticker.read());
    return nanos > 0 ? Optional.of(Duration.ofNanos(nanos)) : Optional.empty();
  }

  /**
   * Replaces the retry and hedging policies of {@code host}, which the builder gave a policy of its
   * own; calls that start from now on follow them, calls under way keep theirs. The host's budget
   * (and its balance) and its recent latencies stay, and so does the hedge-rate cap's count when
   * {@code hedging} is the policy already in force.
   *
   * @throws IllegalArgumentException if the builder gave {@code host} no policy of its own
   */
  public void update(String host, RetryPolicy policy, HedgingPolicy hedging) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(hedging, "hedging");
    Host h = hosts.get(Objects.requireNonNull(host, "host"));
    if (h == null) {
      throw new IllegalArgumentException("no policy of its own was given for host " + host);
    }
    Settings old = h.settings;
    h.settings =
        hedging == old.hedging()
            ? new Settings(policy, hedging, old.hedgeRate()) // the hedge cap keeps its count
            : Settings.of(policy, hedging);
  }

  /** Returns a builder: default policy and budget for every host, no listener. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String name = request.url().host();
    Host host = hosts.getOrDefault(name, others);
    Settings settings = host.settings;
    RetryPolicy policy = settings.policy();
    HedgingPolicy hedging = settings.hedging();
    // A host with a policy of its own (for Hyperlane, a service), or any host when none is named.
    boolean own = host != others || hosts.isEmpty();
    CallOptions options = own ? CallOptions.of(request) : null;
    if (options != null) { // this call's own policies
      policy = Objects.requireNonNullElse(options.retry(), policy);
      hedging = Objects.requireNonNullElse(options.hedging(), hedging);
    }
    if (policy.maxAttempts == 1 && !hedging.enabled()) { // neither retried nor hedged
      boolean idempotent = policy.isIdempotent(request);
      RequestBody body = request.body();
      Request once =
          idempotent || body == null
              ? request
              : request.newBuilder().method(request.method(), new TrackedBody(body, true)).build();
      if (!own) { // a host with no policy of its own (for Hyperlane, no service): as it was
        return attemptChain(chain, policy, !idempotent && body == null).proceed(once);
      }
      long started = ticker.read();
      try {
        return attemptChain(chain, policy, !idempotent && body == null).proceed(once);
      } catch (IOException e) {
        if (chain.call().isCanceled() || Thread.currentThread().isInterrupted()) {
          throw e; // stopped, not given up
        }
        long took = ticker.read() - started;
        throw new CallFailedException(
            request.method(),
            name,
            RefusalReason.ATTEMPTS_EXHAUSTED,
            1,
            List.of(new Attempt(1, null, 0, e, Duration.ofNanos(took))),
            took);
      }
    }
    long now = ticker.read();
    long callStarted = now;
    host.budget.deposit(now);
    BudgetState hedgeRate = settings.hedgeRate();
    if (hedgeRate != null) {
      hedgeRate.deposit(now);
    }
    if (policy.addIdempotencyKey
        && request.header(RetryPolicy.IDEMPOTENCY_KEY) == null
        && ("POST".equals(request.method()) || "PATCH".equals(request.method()))) {
      request =
          request
              .newBuilder()
              .header(RetryPolicy.IDEMPOTENCY_KEY, UUID.randomUUID().toString())
              .build();
    }
    boolean idempotent = policy.isIdempotent(request);
    RequestBody body = request.body();
    AttemptContext context = AttemptContext.attachedTo(chain.call());
    Deadline deadline = Deadline.of(request).orElse(null);
    DeadlineInterceptor.HeaderName header = request.tag(DeadlineInterceptor.HeaderName.class);

    for (int attempt = 1; ; attempt++) {
      TrackedBody tracked = body == null ? null : new TrackedBody(body, !idempotent);
      boolean newDeadlineHeader = header != null && deadline != null && attempt > 1;
      boolean another = idempotent && attempt < policy.maxAttempts;
      long started = ticker.read();
      // A one-shot body cannot be written twice, so its request is never hedged.
      Call.Factory hedgeClient = attemptClient;
      long hedgeDelay =
          idempotent
                  && hedgeClient != null
                  && hedging.enabled()
                  && (body == null || !body.isOneShot())
              ? hedging.delayNanos(host.latencies, started)
              : -1;
      boolean attemptTimeout = hedgeDelay > 0 && policy.attemptTimeoutMillis > 0;
      Request attemptRequest = request; // the common case, a first GET: nothing to rebuild
      if (tracked != null || newDeadlineHeader || attemptTimeout) {
        Request.Builder attemptBuilder = request.newBuilder().method(request.method(), tracked);
        if (newDeadlineHeader && header != null && deadline != null) {
          attemptBuilder.header(header.value(), deadline.toHeaderValue()); // less time is left now
        }
        if (attemptTimeout) { // the calls of a hedged attempt take their timeouts from a tag
          attemptBuilder.tag(AttemptTimeout.class, new AttemptTimeout(policy.attemptTimeoutMillis));
        }
        attemptRequest = attemptBuilder.build();
      }
      Response response = null;
      IOException failure = null;
      context.takeLastTried();
      try {
        if (hedgeDelay > 0 && hedgeClient != null) {
          HedgedAttempt hedged =
              new HedgedAttempt(
                  hedgeClient, policy, host.latencies, ticker, sleeper, scheduler, work);
          response =
              hedged.run(
                  chain,
                  attemptRequest,
                  context,
                  name,
                  hedging,
                  hedgeDelay,
                  host.budget,
                  hedgeRate,
                  listener);
        } else {
          response =
              attemptChain(chain, policy, !idempotent && body == null).proceed(attemptRequest);
          if (settings.hedging().enabled()) {
            long answered = ticker.read();
            host.latencies.recordAnswer(response.code(), answered - started, answered);
          }
          if (another) {
            preloadBody(response, policy);
          }
        }
      } catch (IOException e) {
        if (response != null) {
          response.close(); // its body broke while being read: this attempt failed
          response = null;
        }
        if (chain.call().isCanceled() || Thread.currentThread().isInterrupted()) {
          // The caller gave up on the call, its deadline passed, or its thread was told to stop;
          // the attempt is kept for the deadline's exception to tell.
          context.recordFailed(
              new Attempt(
                  attempt,
                  context.takeLastTried(),
                  0,
                  e,
                  Duration.ofNanos(ticker.read() - started)));
          throw e;
        }
        failure = e;
      }

      long retryAfter = RetryAfter.ABSENT;
      String cause;
      if (response != null) {
        int code = response.code();
        if (code == 429) {
          retryAfter = RetryAfter.nanos(response, clock);
          if (retryAfter == RetryAfter.ABSENT) {
            return response;
          }
        } else if (!policy.retriesStatus(code)) {
          return response;
        } else {
          retryAfter = RetryAfter.nanos(response, clock);
        }
        cause = String.valueOf(code);
      } else {
        cause = Objects.requireNonNull(failure, "failure").getClass().getName();
      }

      // A retry that goes to an endpoint the call has not tried goes at once after an attempt
      // that never reached a server (it added load nowhere: Finagle's requeue), and so does the
      // first retry (the budget, not a pause, bounds what retries add); the backoff starts with
      // the second. A retry that can only go back to a server already tried backs off.
      // What routing said of this attempt; cleared so that the next decision reads only what the
      // next attempt's routing says (it may say nothing: a circuit's probe, no endpoint at all).
      boolean untriedLeft = context.untriedEndpointsLeft();
      context.untriedEndpointsLeft(false);
      long delay;
      if (retryAfter != RetryAfter.ABSENT) {
        delay = retryAfter;
      } else if (failoverAtOnce && untriedLeft) {
        delay =
            failure != null && neverSent(failure, tracked)
                ? 0
                : failoverBackoff(policy, attempt, random);
      } else {
        delay = backoff(policy, attempt, random);
      }
      RefusalReason refusal;
      if (attempt >= policy.maxAttempts) {
        refusal = RefusalReason.ATTEMPTS_EXHAUSTED;
      } else if (!idempotent && (failure == null || !neverSent(failure, tracked))) {
        refusal = RefusalReason.NOT_IDEMPOTENT;
      } else if (tracked != null && body.isOneShot() && tracked.writeStarted()) {
        refusal = RefusalReason.BODY_ALREADY_SENT;
      } else if (retryAfter > policy.retryAfterCapNanos) {
        refusal = RefusalReason.RETRY_AFTER_BEYOND_CAP;
      } else if (deadline != null && deadline.remainingNanos() <= delay) {
        refusal = RefusalReason.DEADLINE; // the retry could not even start in time
      } else if (!host.budget.tryWithdraw(ticker.read())) {
        refusal = RefusalReason.BUDGET_EXHAUSTED; // checked last: a refusal above costs no token
      } else {
        refusal = null;
      }

      if (response == null || refusal == null) { // an attempt that failed, for the story
        String endpoint = context.takeLastTried();
        context.recordFailed(
            new Attempt(
                attempt,
                hedgeDelay > 0 ? null : endpoint, // hedged: which call failed last is not known
                response == null ? 0 : response.code(),
                failure,
                Duration.ofNanos(ticker.read() - started)));
      }
      if (refusal != null) {
        ResilienceListener.notify(
            listener, new ResilienceEvent.RetryRefused(name, attempt, refusal, cause));
        if (response != null) {
          return response;
        }
        throw new CallFailedException(
            request.method(),
            name,
            refusal,
            policy.maxAttempts,
            context.failedAttempts(),
            ticker.read() - callStarted);
      }
      ResilienceListener.notify(
          listener, new ResilienceEvent.Retry(name, attempt, Duration.ofNanos(delay), cause));
      if (response != null) {
        response.close();
      }
      try {
        // Ends at once when the call is cancelled: by its caller, its deadline, its call timeout.
        CallSignal.of(chain.call()).pause(sleeper, Duration.ofNanos(delay), "to retry " + name);
      } catch (IOException e) {
        if (failure != null) {
          e.addSuppressed(failure);
        }
        throw e;
      }
      context.nextAttempt();
    }
  }

  /**
   * Reads up to the policy's bound of a successful response's body into its own buffer (no copy),
   * so that a body that breaks mid-way fails this attempt, which can then be retried, instead of
   * failing the caller later. Skipped for bodies known to be larger and for streams, which may
   * trickle or never end: event streams and newline-delimited JSON (turn it off for a service that
   * streams anything else: {@code bufferBodyUpTo(0)}).
   */
  static void preloadBody(Response response, RetryPolicy policy) throws IOException {
    if (policy.bufferBodyBytes == 0
        || policy.retriesStatus(response.code())
        || response.code() == 429) {
      return;
    }
    ResponseBody body = response.body();
    long length = body.contentLength();
    if (length > policy.bufferBodyBytes || length == 0 || isStream(body.contentType())) {
      return;
    }
    body.source().request(length > 0 ? length : policy.bufferBodyBytes);
  }

  private static boolean isStream(okhttp3.MediaType type) {
    if (type == null) {
      return false;
    }
    String subtype = type.subtype();
    return subtype.equals("event-stream")
        || subtype.endsWith("ndjson")
        || subtype.equals("x-jsonlines")
        || subtype.equals("jsonl")
        || subtype.equals("stream+json")
        || type.type().equals("multipart") && subtype.equals("x-mixed-replace");
  }

  /**
   * The chain one attempt goes down: with the policy's attempt timeout and, when {@code
   * noSilentResend}, without OkHttp's own resend after a connection failure. That is for a request
   * that is not idempotent and has no body; one with a body is kept from being sent twice by its
   * one-shot {@link TrackedBody}, which also stops OkHttp's follow-ups (408, 503, redirects) from
   * sending it again, and still lets OkHttp recover when the connection failed before sending.
   */
  private static Chain attemptChain(Chain chain, RetryPolicy policy, boolean noSilentResend) {
    if (noSilentResend && chain.getRetryOnConnectionFailure()) {
      chain = chain.withRetryOnConnectionFailure(false);
    }
    int millis = policy.attemptTimeoutMillis;
    if (millis == 0) {
      return chain;
    }
    return chain
        .withConnectTimeout(millis, TimeUnit.MILLISECONDS)
        .withWriteTimeout(millis, TimeUnit.MILLISECONDS)
        .withReadTimeout(millis, TimeUnit.MILLISECONDS);
  }

  /** Full jitter: uniform in {@code [0, min(cap, base × 2^(attempt-1))]}. */
  static long backoff(RetryPolicy policy, int attempt, @Nullable RandomGenerator random) {
    long ceiling = policy.baseNanos << Math.min(attempt - 1, 30);
    if (ceiling > policy.capNanos || ceiling < 0) {
      ceiling = policy.capNanos;
    }
    if (ceiling <= 0) {
      return 0;
    }
    return (random != null ? random : ThreadLocalRandom.current()).nextLong(ceiling + 1);
  }

  /**
   * With failover: the first retry at once, the n-th after the backoff the (n-1)-th would have had.
   */
  static long failoverBackoff(RetryPolicy policy, int attempt, @Nullable RandomGenerator random) {
    return attempt <= 1 ? 0 : backoff(policy, attempt - 1, random);
  }

  /** Whether {@code failure} proves the request never reached a server. */
  static boolean neverSent(IOException failure, @Nullable TrackedBody body) {
    if (failure instanceof UnsentRequestException) {
      return true;
    }
    if (body != null && body.writeStarted()) {
      return false;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException
          || t instanceof NoRouteToHostException
          || t instanceof UnknownHostException
          || t instanceof UnsentRequestException) {
        return true;
      }
      if (t instanceof SocketTimeoutException
          && t.getMessage() != null
          && t.getMessage().toLowerCase(Locale.ROOT).contains("connect")) {
        return true;
      }
    }
    return false;
  }

  /** Builds a {@link RetryInterceptor}. */
  public static final class Builder {
    private RetryPolicy policy = RetryPolicy.ofDefaults();
    private RetryBudget budget = RetryBudget.ofDefaults();
    private final Map<String, RetryPolicy> policies = new HashMap<>();
    private final Map<String, RetryBudget> budgets = new HashMap<>();
    private HedgingPolicy hedging = HedgingPolicy.none();
    private final Map<String, HedgingPolicy> hedgings = new HashMap<>();
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.system();
    private @Nullable Scheduler scheduler;
    private @Nullable Executor executor;
    private ResilienceListener listener = ResilienceListener.noop();
    private boolean failoverAtOnce;
    private @Nullable RandomGenerator random;

    private Builder() {}

    /**
     * The policy of every host not named otherwise; {@link RetryPolicy#ofDefaults()} by default.
     */
    public Builder policy(RetryPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The policy of one host (a Hyperlane service name, or a DNS host). */
    public Builder policy(String host, RetryPolicy policy) {
      policies.put(Objects.requireNonNull(host, "host"), Objects.requireNonNull(policy, "policy"));
      return this;
    }

    /** The budget settings of every host not named otherwise. */
    public Builder budget(RetryBudget budget) {
      this.budget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    /** The budget settings of one host named with {@link #policy(String, RetryPolicy)}. */
    public Builder budget(String host, RetryBudget budget) {
      budgets.put(Objects.requireNonNull(host, "host"), Objects.requireNonNull(budget, "budget"));
      return this;
    }

    /** The hedging of every host not named otherwise; none by default. */
    public Builder hedging(HedgingPolicy hedging) {
      this.hedging = Objects.requireNonNull(hedging, "hedging");
      return this;
    }

    /** The hedging of one host named with {@link #policy(String, RetryPolicy)}. */
    public Builder hedging(String host, HedgingPolicy hedging) {
      hedgings.put(
          Objects.requireNonNull(host, "host"), Objects.requireNonNull(hedging, "hedging"));
      return this;
    }

    /** The clock the budget reads. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * The wall clock a {@code Retry-After} date is measured against when the response has no {@code
     * Date}; the system's by default.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Runs the timers that send hedges; by default one shared daemon thread that ends itself when
     * idle (a Hyperlane that is closed does not stop it, so calls in flight keep their hedges).
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Runs the hedges, each a call that blocks its thread until it is answered; by default a pool
     * of daemon threads made as needed (never the caller's executor: one full of calls waiting for
     * their hedges would never run them).
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** How the stage waits between attempts. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** Receives every retry and refusal. */
    public Builder listener(ResilienceListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Where the backoff's jitter is drawn from; {@link ThreadLocalRandom} by default. A seeded,
     * thread-safe generator makes the pauses repeatable (a simulation, a test).
     */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Whether the stage below sends a retry to an endpoint the call has not tried yet, as
     * Hyperlane's routing stage does, saying so through {@link
     * AttemptContext#untriedEndpointsLeft(boolean)}: then such a retry goes at once after an
     * attempt that never reached a server, the first retry goes at once after any failure, and the
     * backoff starts with the second. A retry that can only go back to a server already tried backs
     * off as usual. Off by default.
     */
    public Builder failoverAtOnce(boolean failoverAtOnce) {
      this.failoverAtOnce = failoverAtOnce;
      return this;
    }

    /** Returns the interceptor. */
    public RetryInterceptor build() {
      return new RetryInterceptor(this);
    }
  }
}
