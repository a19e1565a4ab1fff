package io.hyperlane.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.hyperlane.resilience.internal.Failures;
import io.hyperlane.resilience.internal.WatchedCircuit;
import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One circuit per host (per service in Hyperlane) around each logical call, its retries included:
 * when most calls to a service fail, further calls fail at once with {@link CircuitOpenException},
 * without touching the network, until probe calls find it healthy again.
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(CircuitBreakerInterceptor.builder().build())
 *     .build();
 * }</pre>
 *
 * <p>A failure is an I/O error or a 5xx response; a call cancelled by its caller releases its
 * permission without counting. Each state change is a {@link ResilienceEvent.CircuitStateChanged}
 * event, and an opening is logged once as a warning.
 */
public final class CircuitBreakerInterceptor implements Interceptor {

  private static final Logger log = LoggerFactory.getLogger(CircuitBreakerInterceptor.class);

  /**
   * Hosts with a circuit of their own at most: past that, the circuits used longest ago are dropped
   * (a host's circuit starts closed again), so a client that calls ever new hosts (a crawler)
   * cannot grow this without bound.
   */
  static final int MAX_CIRCUITS = 10_000;

  /** A host's circuit and when it was last used, on the ticker. */
  private static final class Entry {
    final WatchedCircuit circuit;
    volatile long usedNanos;

    final CircuitBreakerPolicy policy;

    Entry(WatchedCircuit circuit, CircuitBreakerPolicy policy) {
      this.circuit = circuit;
      this.policy = policy;
    }
  }

  private final Map<String, CircuitBreakerPolicy> policies;
  private final CircuitBreakerPolicy policy;
  private final Map<String, Entry> circuits = new ConcurrentHashMap<>();
  private final Ticker ticker;
  private final ResilienceListener listener;

  private CircuitBreakerInterceptor(Builder b) {
    this.policies = new ConcurrentHashMap<>(b.policies);
    this.policy = b.policy;
    this.ticker = b.ticker;
    this.listener = b.listener;
  }

  /** Returns a builder: {@link CircuitBreakerPolicy#serviceDefaults()} for every host. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The state of {@code host}'s circuit, creating the circuit if it has none yet.
   *
   * @param host the host (or service name) whose circuit to read
   * @return its state, or empty when circuits are disabled for that host
   */
  public Optional<CircuitState> state(String host) {
    WatchedCircuit watched = watched(host);
    return watched == null ? Optional.empty() : Optional.of(watched.state());
  }

  /** The Resilience4j circuit of {@code host}, for this package's tests; null when it has none. */
  @Nullable CircuitBreaker circuit(String host) {
    WatchedCircuit watched = watched(host);
    return watched == null ? null : watched.circuit();
  }

  private @Nullable WatchedCircuit watched(String host) {
    CircuitBreakerPolicy p = policies.getOrDefault(host, policy);
    Entry entry = circuits.get(host);
    while (entry == null || entry.policy != p) {
      if (entry != null) {
        circuits.remove(host, entry); // made under a policy update() has replaced since
      }
      if (!p.enabled()) {
        return null;
      }
      if (circuits.size() >= MAX_CIRCUITS && !policies.containsKey(host)) {
        dropLeastRecentlyUsed();
      }
      CircuitBreakerPolicy current = p;
      entry = circuits.computeIfAbsent(host, h -> new Entry(newCircuit(h, current), current));
      p = policies.getOrDefault(host, policy);
    }
    entry.usedNanos = ticker.read();
    return entry.circuit;
  }

  /**
   * Replaces the circuit policy of {@code host}, a host the builder gave a policy of its own. Its
   * circuit starts again, closed, under the new settings (a Resilience4j circuit's settings are
   * fixed); calls that hold a permission from the old one record their outcome there.
   *
   * @throws IllegalArgumentException if the builder gave {@code host} no policy of its own
   */
  public synchronized void update(String host, CircuitBreakerPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    if (!policies.containsKey(Objects.requireNonNull(host, "host"))) {
      throw new IllegalArgumentException("no policy of its own was given for host " + host);
    }
    policies.put(host, policy);
    circuits.remove(host);
  }

  /** Drops a tenth of the circuits of hosts not named in the builder, those used longest ago. */
  private synchronized void dropLeastRecentlyUsed() {
    if (circuits.size() < MAX_CIRCUITS) {
      return;
    }
    circuits.entrySet().stream()
        .filter(e -> !policies.containsKey(e.getKey()))
        .sorted(Comparator.comparingLong(e -> e.getValue().usedNanos))
        .limit(MAX_CIRCUITS / 10)
        .map(Map.Entry::getKey)
        .toList()
        .forEach(circuits::remove);
  }

  /** How many hosts have a circuit now. */
  int size() {
    return circuits.size();
  }

  private WatchedCircuit newCircuit(String host, CircuitBreakerPolicy enabled) {
    WatchedCircuit circuit =
        WatchedCircuit.create(
            enabled,
            host,
            ticker,
            (from, to, failureRate) -> {
              if (to == CircuitState.OPEN) {
                log.warn(
                    "circuit of service {} opened at a failure rate of {}%", host, failureRate);
              }
              ResilienceListener.notify(
                  listener, new ResilienceEvent.CircuitStateChanged(host, null, from, to));
            });
    return Objects.requireNonNull(circuit, "an enabled policy makes a circuit");
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    String host = request.url().host();
    WatchedCircuit circuit = watched(host);
    if (circuit == null) {
      return chain.proceed(request);
    }
    if (!circuit.tryAcquirePermission()) {
      ResilienceListener.notify(listener, new ResilienceEvent.CallRejected(host));
      throw new CircuitOpenException(host, null, circuit.failureRate());
    }
    long start = ticker.read();
    Response response;
    try {
      response = chain.proceed(request);
    } catch (IOException | RuntimeException | Error e) {
      if (chain.call().isCanceled()) {
        circuit.releasePermission();
      } else {
        // A circuit's exception rules see what the last attempt failed with, not the account.
        circuit.onError(ticker.read() - start, Failures.underlying(e));
      }
      throw e;
    }
    circuit.recordResponse(ticker.read() - start, response.code());
    return response;
  }

  /** Builds a {@link CircuitBreakerInterceptor}. */
  public static final class Builder {
    private CircuitBreakerPolicy policy = CircuitBreakerPolicy.serviceDefaults();
    private final Map<String, CircuitBreakerPolicy> policies = new HashMap<>();
    private Ticker ticker = Ticker.system();
    private ResilienceListener listener = ResilienceListener.noop();

    private Builder() {}

    /** The policy of every host not named otherwise. */
    public Builder policy(CircuitBreakerPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The policy of one host. */
    public Builder policy(String host, CircuitBreakerPolicy policy) {
      policies.put(Objects.requireNonNull(host, "host"), Objects.requireNonNull(policy, "policy"));
      return this;
    }

    /** The clock the circuits run on. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Receives state changes and rejections. */
    public Builder listener(ResilienceListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Returns the interceptor. */
    public CircuitBreakerInterceptor build() {
      return new CircuitBreakerInterceptor(this);
    }
  }
}
