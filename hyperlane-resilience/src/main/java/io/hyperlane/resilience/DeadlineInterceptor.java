package io.hyperlane.resilience;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import org.jspecify.annotations.Nullable;

/**
 * Holds each call to a deadline across all its attempts: the earliest of the request's {@link
 * Deadline} tag, the calling thread's {@link Deadline#enter() scope}, and the host's total timeout
 * (or the call's own, from its {@link CallOptions}).
 *
 * <p>When the deadline passes the call is cancelled — whatever it is doing: connecting, waiting
 * between attempts, reading the body — and fails with {@link DeadlineExceededException}; one
 * scheduler task per call does it, so the deadline is overrun by at most one scheduling delay. A
 * call whose deadline has already passed is not started. The deadline travels down as a request tag
 * (the retry stage starts no retry it cannot finish in time) and, to the server, as a header with
 * the milliseconds left ({@link Deadline#DEFAULT_HEADER} unless configured), refreshed on every
 * attempt.
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(DeadlineInterceptor.builder().timeout(Duration.ofSeconds(2)).build())
 *     .addInterceptor(RetryInterceptor.builder().build())
 *     .build();
 * }</pre>
 */
public final class DeadlineInterceptor implements Interceptor {

  /** Tells the retry stage below which header carries the remaining time. */
  record HeaderName(String value) {}

  /** When the caller made the call ({@code execute()} or {@code enqueue()}), on the ticker. */
  private record Started(long nanos) {}

  /** What this stage does for one host: hold its calls to {@code total} (null: none of its own). */
  private static final class ForHost {
    volatile @Nullable Duration total;

    ForHost(@Nullable Duration total) {
      this.total = total;
    }

    @Nullable Duration total() {
      return total;
    }
  }

  /** Every host the builder named, resolved once: one lookup per call. */
  private final Map<String, ForHost> byHost;

  /** Any other host; null when only the named hosts are this stage's, the others pass through. */
  private final @Nullable ForHost others;

  private final @Nullable HeaderName header;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final Executor work;

  private DeadlineInterceptor(Builder b) {
    Map<String, ForHost> byHost = new HashMap<>();
    Set<String> named = b.hosts;
    if (named == null) {
      b.timeouts.forEach((host, total) -> byHost.put(host, new ForHost(total)));
      this.others = new ForHost(b.timeout);
    } else {
      for (String host : named) {
        byHost.put(host, new ForHost(b.timeouts.getOrDefault(host, b.timeout)));
      }
      this.others = null;
    }
    this.byHost = Map.copyOf(byHost);
    this.header = b.header == null ? null : new HeaderName(b.header);
    this.ticker = b.ticker;
    this.scheduler = b.scheduler != null ? b.scheduler : Timers.shared();
    this.work = b.executor != null ? b.executor : Timers.work();
  }

  /**
   * An event listener that notes when each call is made, so that a host's total timeout counts from
   * {@code execute()} or {@code enqueue()} — time spent queued in the dispatcher included — rather
   * than from when this stage runs. Add it to the client's listeners ({@code EventListener.plus});
   * Hyperlane does. Without it, the timeout counts from this stage.
   */
  public EventListener startListener() {
    return startListener;
  }

  private final EventListener startListener =
      new EventListener() {
        @Override
        public void callStart(Call call) {
          ForHost rule = ruleOf(call.request().url().host());
          if (rule != null && totalOf(rule, call.request()) != null) {
            long now = ticker.read();
            call.tag(Started.class, () -> new Started(now));
          }
        }
      };

  /**
   * Replaces the total timeout of {@code host}, a host the builder named; calls that start from now
   * on are held to it, calls under way keep theirs.
   *
   * @param timeout the new timeout, between 1 ms and 1 hour; null for none of its own
   * @throws IllegalArgumentException if the builder did not name {@code host}, or the timeout is
   *     out of range
   */
  public void updateTimeout(String host, @Nullable Duration timeout) {
    ForHost rule = byHost.get(Objects.requireNonNull(host, "host"));
    if (rule == null) {
      throw new IllegalArgumentException("host " + host + " was not named by the builder");
    }
    rule.total = timeout == null ? null : Builder.checked(timeout);
  }

  /** The total timeout of {@code request}: its own {@link CallOptions}', else its host's. */
  private static @Nullable Duration totalOf(ForHost rule, Request request) {
    CallOptions options = CallOptions.of(request);
    Duration own = options == null ? null : options.timeout();
    return own != null ? own : rule.total();
  }

  /** What this stage does for {@code host}; null: it passes through. */
  private @Nullable ForHost ruleOf(String host) {
    ForHost rule = byHost.get(host);
    return rule != null ? rule : others;
  }

  /** Returns a builder: no timeout of its own (tags and scopes still apply), the default header. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String host = request.url().host();
    ForHost rule = ruleOf(host);
    if (rule == null) {
      return chain.proceed(request);
    }
    Duration total = totalOf(rule, request);
    Deadline deadline = Deadline.of(request).orElse(null);
    if (total != null) {
      Started started = chain.call().tag(Started.class);
      Deadline own =
          started == null
              ? Deadline.after(total, ticker)
              : Deadline.after(total, ticker, started.nanos());
      deadline = deadline == null ? own : Deadline.earliest(deadline, own);
    }
    if (deadline == null) {
      return chain.proceed(request);
    }
    if (deadline.isExpired()) {
      throw new DeadlineExceededException(host, total, "it passed before the call started");
    }
    Request.Builder bound = request.newBuilder().tag(Deadline.class, deadline);
    if (header != null) {
      bound.header(header.value(), deadline.toHeaderValue()).tag(HeaderName.class, header);
    }
    Call call = chain.call();
    Expiry expiry = new Expiry(call);
    // The cancellation runs every listener of the call: on a work thread, never on the timer.
    Scheduler.Cancellable timer =
        scheduler.schedule(
            deadline.remaining(),
            () -> {
              try {
                work.execute(expiry::fire);
              } catch (RejectedExecutionException e) {
                expiry.fire(); // the deadline holds all the same
              }
            });
    Deadline bounding = deadline;
    Response response;
    try {
      response = chain.proceed(bound.build());
    } catch (DeadlineExceededException e) {
      timer.cancel();
      throw e; // an earlier deadline below already said so
    } catch (IOException e) {
      timer.cancel();
      if (expiry.fired() || bounding.isExpired() && !expiry.cancelledByCaller()) {
        throw exceeded(call, host, total, "the call was cancelled", e);
      }
      throw e;
    } catch (RuntimeException | Error e) {
      timer.cancel();
      throw e;
    }
    if (!expiry.handedUp()) { // cancelled with a response in hand: OkHttp would say "Canceled"
      response.close();
      throw exceeded(call, host, total, "the call was cancelled", null);
    }
    // The deadline covers reading the body too: the timer stays armed until the body is closed,
    // and a read it cut (or that starts after it) fails with the deadline's exception.
    return response
        .newBuilder()
        .body(
            new TimedBody(
                response.body(),
                timer,
                expiry,
                () ->
                    exceeded(
                        call, host, total, "the call was cancelled while its body was read", null)))
        .build();
  }

  /**
   * What the deadline does when it comes, which depends on where the call is. While the stages
   * below run, it cancels the call: every wait and every call made for it ends. Once the response
   * has been handed up, the call must not be cancelled before its caller reads the body — OkHttp
   * would turn a cancellation at that moment into a bare "Canceled" — so the deadline only marks
   * the body, whose next read fails with it; once the caller reads, it cancels again, which cuts a
   * read under way.
   */
  private static final class Expiry {
    private static final int BELOW = 0;
    private static final int HANDED_UP = 1;
    private static final int READING = 2;

    private final Call call;
    private final AtomicInteger phase = new AtomicInteger(BELOW);
    private volatile boolean fired;
    private volatile boolean cancelledByCaller;

    Expiry(Call call) {
      this.call = call;
    }

    void fire() {
      if (call.isCanceled()) {
        cancelledByCaller = true; // the caller got there first: not the deadline's doing
        return;
      }
      fired = true;
      if (phase.get() != HANDED_UP) {
        call.cancel();
      }
    }

    boolean fired() {
      return fired;
    }

    boolean cancelledByCaller() {
      return cancelledByCaller || call.isCanceled() && !fired;
    }

    /** The response goes up; false when the deadline came first. */
    boolean handedUp() {
      return phase.compareAndSet(BELOW, HANDED_UP) && !fired;
    }

    /** The caller reads the body: from now on the deadline cancels the call again. */
    void reading() throws IOException {
      if (phase.compareAndSet(HANDED_UP, READING) && fired) {
        throw new IOException("deadline passed before the body was read");
      }
    }
  }

  private static DeadlineExceededException exceeded(
      Call call, String host, @Nullable Duration total, String what, @Nullable IOException cause) {
    AttemptContext context = call.tag(AttemptContext.class);
    // A retry stage that gave up has told the attempts in its own exception, the cause here.
    List<CallFailedException.Attempt> attempts =
        context == null || cause instanceof CallFailedException
            ? List.of()
            : context.failedAttempts();
    DeadlineExceededException exceeded = new DeadlineExceededException(host, total, what, attempts);
    if (cause != null) {
      exceeded.initCause(cause);
    }
    Set<Throwable> told = Collections.newSetFromMap(new IdentityHashMap<>());
    if (cause != null) { // what the cause already carries is not repeated
      told.add(cause);
      told.addAll(Arrays.asList(cause.getSuppressed()));
    }
    for (CallFailedException.Attempt attempt : attempts) { // what each attempt met, as in a retry
      IOException failure = attempt.failure();
      if (failure != null && told.add(failure)) {
        exceeded.addSuppressed(failure);
      }
    }
    return exceeded;
  }

  /**
   * A response body that disarms the deadline timer when it is closed, and turns a read the
   * deadline cut into a {@link DeadlineExceededException}.
   */
  private static final class TimedBody extends ResponseBody {
    private final ResponseBody delegate;
    private final Scheduler.Cancellable timer;
    private final BufferedSource source;

    TimedBody(
        ResponseBody delegate,
        Scheduler.Cancellable timer,
        Expiry expiry,
        Supplier<DeadlineExceededException> exceeded) {
      this.delegate = delegate;
      this.timer = timer;
      this.source =
          Okio.buffer(
              new ForwardingSource(delegate.source()) {
                @Override
                public long read(okio.Buffer sink, long byteCount) throws IOException {
                  try {
                    expiry.reading();
                    return super.read(sink, byteCount);
                  } catch (IOException e) {
                    if (expiry.fired()) {
                      DeadlineExceededException deadline = exceeded.get();
                      deadline.initCause(e);
                      throw deadline;
                    }
                    throw e;
                  }
                }

                @Override
                public void close() throws IOException {
                  timer.cancel();
                  super.close();
                }
              });
    }

    @Override
    public MediaType contentType() {
      return delegate.contentType();
    }

    @Override
    public long contentLength() {
      return delegate.contentLength();
    }

    @Override
    public BufferedSource source() {
      return source;
    }

    @Override
    public void close() {
      timer.cancel();
      delegate.close();
    }
  }

  /** Builds a {@link DeadlineInterceptor}. */
  public static final class Builder {
    private @Nullable Duration timeout;
    private final Map<String, Duration> timeouts = new HashMap<>();
    private @Nullable Set<String> hosts;
    private @Nullable String header = Deadline.DEFAULT_HEADER;
    private Ticker ticker = Ticker.system();
    private @Nullable Scheduler scheduler;
    private @Nullable Executor executor;

    private Builder() {}

    /**
     * Runs a deadline's cancellation of its call (which runs the call's listeners); by default a
     * pool of daemon threads made as needed, so that no listener delays the timer.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * The total time a call to any host may take, all attempts and the body included.
     *
     * @throws IllegalArgumentException if not between 1 ms and 1 hour
     */
    public Builder timeout(Duration timeout) {
      this.timeout = checked(timeout);
      return this;
    }

    /** The total time a call to {@code host} may take. */
    public Builder timeout(String host, Duration timeout) {
      timeouts.put(Objects.requireNonNull(host, "host"), checked(timeout));
      return this;
    }

    /** Limits the stage to these hosts; calls to any other pass through untouched. */
    public Builder onlyHosts(Set<String> hosts) {
      this.hosts = Set.copyOf(hosts);
      return this;
    }

    /**
     * The header that tells the server how many milliseconds are left; null sends none.
     *
     * @throws IllegalArgumentException if the name is empty or not a valid header name
     */
    public Builder header(@Nullable String name) {
      if (name != null
          && (name.isEmpty()
              || !name.chars()
                  .allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0))) {
        throw new IllegalArgumentException(
            "header must be a valid header name but was \"" + name + "\"");
      }
      this.header = name;
      return this;
    }

    /** The clock deadlines are measured on. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Runs the task that cancels a call at its deadline; by default one shared daemon thread that
     * ends itself when idle (so a Hyperlane's {@code close()} never drops the deadline of a call in
     * flight).
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Returns the interceptor. */
    public DeadlineInterceptor build() {
      return new DeadlineInterceptor(this);
    }

    private static Duration checked(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.compareTo(Duration.ofMillis(1)) < 0
          || timeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("timeout must be between 1ms and 1h but was " + timeout);
      }
      return timeout;
    }
  }
}
