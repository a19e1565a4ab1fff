package io.hyperlane.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A multi-level HTTP response cache for OkHttp with the semantics of an RFC 9111 shared cache:
 *
 * <ul>
 *   <li><b>L0</b> — identical cacheable requests in flight at the same time make one origin
 *       request; the others wait for its response (and go to the origin at once when its headers
 *       say it cannot be shared; such a URL is then not coalesced for 30 s);
 *   <li><b>L1</b> — Caffeine in the heap, bounded by bytes (headers and body), each entry kept
 *       until it can serve nothing any more;
 *   <li><b>L2</b> — an optional {@link SharedTier} shared by all instances of the application (such
 *       as {@link RedisSharedTier}): entries are HMAC-checked envelopes, writes are fenced against
 *       invalidations, and signed invalidation messages reach the other instances.
 * </ul>
 *
 * <p>Stored responses are revalidated with {@code ETag}/{@code Last-Modified}; {@code
 * stale-while-revalidate} answers at once and revalidates once in the background; {@code
 * stale-if-error} answers when the origin fails, including with an open circuit or a spent retry
 * budget when the cache runs inside a Hyperlane client. A successful POST, PUT, PATCH or DELETE
 * invalidates its URL and its {@code Location}/{@code Content-Location}; a fill that was in flight
 * then is neither stored nor shared (read-your-write). Every answer carries a {@code Cache-Status}
 * field (RFC 9211) naming the tier that answered.
 *
 * <pre>{@code
 * HttpCache cache = HttpCache.builder()
 *     .maximumBytes(64L << 20)
 *     .sharedTier(RedisSharedTier.create("redis://127.0.0.1:6379"), secret) // optional
 *     .build();
 * OkHttpClient client = new OkHttpClient.Builder().addInterceptor(cache.interceptor()).build();
 * // or, in a Hyperlane: Hyperlane.builder().cache(cache)…
 * }</pre>
 *
 * <p>Only GET responses are stored, decided from their header fields before any body is read: a
 * response the cache will not store is handed over untouched, its body streaming. A stored body is
 * read as the caller reads it and stored when it ends (at most {@link
 * Builder#maximumBodyBytes(long)}; larger ones are not stored). Responses marked {@code private},
 * responses that set cookies, and responses to a request that carried credentials anywhere on its
 * way (unless marked {@code public}) are not stored: this is a shared cache. Entries vary on the
 * caller's {@code Host} and, for a compressed body, on its {@code Accept-Encoding}.
 *
 * <p><b>Threads and lifecycle.</b> Thread-safe; one instance is meant to serve many clients.
 * Background revalidations run as calls of the client that made the original call, on its
 * dispatcher. {@link #close()} closes the shared tier.
 */
public final class HttpCache implements AutoCloseable {

  static final Logger log = LoggerFactory.getLogger(HttpCache.class);

  /** Hosts with counters of their own; the others share one set, so a crawler cannot grow it. */
  static final int MAX_COUNTED_SERVICES = 1000;

  static final String OTHER_SERVICES = "(other hosts)";

  /**
   * How long a URL whose response could not be shared is not coalesced (Varnish's hit-for-pass).
   */
  static final Duration PASS_WINDOW = Duration.ofSeconds(30);

  final CacheRules rules;
  final Clock clock;
  final Cache<String, Variants> heap;
  private final @Nullable SharedTierGuard shared; // with a shared tier only
  private final @Nullable InvalidationChannel channel; // with a shared tier only
  private final CacheListener listener;
  private final Map<String, Counters> counters = new ConcurrentHashMap<>();
  private final CacheInterceptor interceptor;

  /** Fills in flight, and the fences invalidations put up against them. */
  final Fills fills = new Fills();

  /** L0: the one forward in progress per key; identical misses wait for its outcome. */
  final Map<String, Flight> flights = new ConcurrentHashMap<>();

  /** URLs whose last response could not be shared: not coalesced for a while. */
  final Cache<String, Boolean> passes;

  /** Background revalidations in progress, by key, so that each key has at most one. */
  final Set<String> revalidating = ConcurrentHashMap.newKeySet();

  /** The calls this cache started to revalidate in the background. */
  final Map<Call, String> backgroundCalls = new ConcurrentHashMap<>();

  /** Calls waiting for an identical call's response right now (L0). */
  final AtomicInteger waiters = new AtomicInteger();

  private HttpCache(Builder b) {
    this.rules =
        new CacheRules(
            b.cacheableCodes,
            b.heuristicFraction,
            b.heuristicMax.toMillis(),
            b.staleWhileRevalidate.toMillis(),
            b.staleIfError.toMillis(),
            b.maximumBodyBytes);
    this.clock = b.clock;
    this.heap =
        Caffeine.newBuilder()
            .maximumWeight(b.maximumBytes)
            .weigher((String key, Variants value) -> value.weight() + 2 * key.length())
            .expireAfter(
                Expiry.writing(
                    (String key, Variants value) ->
                        Duration.ofMillis(
                            Math.max(1, value.servableUntil(rules) - clock.millis()))))
            .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
            .build();
    this.passes =
        Caffeine.newBuilder()
            .maximumSize(10_000)
            .expireAfterWrite(PASS_WINDOW)
            .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
            .build();
    this.listener = b.listener;
    if (b.shared == null) {
      this.shared = null;
      this.channel = null;
    } else {
      SharedTierGuard guard =
          new SharedTierGuard(
              b.shared,
              Objects.requireNonNull(b.secret, "secret"),
              b.sharedTimeout,
              clock,
              this::counters,
              listener);
      this.shared = guard;
      this.channel = new InvalidationChannel(guard.envelope(), clock, new Dropping(), listener);
    }
    this.interceptor = new CacheInterceptor(this, listener);
    if (shared != null && channel != null) {
      shared.tier().subscribe(channel);
    }
  }

  /** Returns a builder with a 32 MiB heap tier, no shared tier and the defaults it documents. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The application interceptor that serves this cache; add it to any {@code OkHttpClient}. Every
   * interceptor of one cache shares its tiers.
   */
  public Interceptor interceptor() {
    return interceptor;
  }

  /**
   * An interceptor of this cache that also tells {@code callListener} of each call's lookup, on the
   * calling thread (Hyperlane uses it to put the answering tier on the call's span).
   */
  public Interceptor interceptor(CacheListener callListener) {
    return interceptor.withListener(Objects.requireNonNull(callListener, "callListener"));
  }

  /**
   * Removes the stored GET responses of {@code url} (every variant) from every tier, and then tells
   * the other instances to drop theirs. The heap is cleared before this returns, and a fill of the
   * URL in flight here is fenced: it will store nothing, and callers that come after this share
   * nothing with it. The returned stage completes when the shared tier has fenced and deleted the
   * entry and the message is sent, or exceptionally when the shared tier failed (the entry then
   * expires there by itself).
   */
  public CompletionStage<Void> invalidate(HttpUrl url) {
    return invalidate(Objects.requireNonNull(url, "url"), false);
  }

  /**
   * Removes everything stored for {@code service} (the host of its URLs) from every tier, and then
   * tells the other instances to do the same; fills in flight are fenced as {@link
   * #invalidate(HttpUrl)} does. Rare: the shared tier is scanned. Completes as {@link
   * #invalidate(HttpUrl)} does.
   */
  public CompletionStage<Void> invalidateService(String service) {
    Objects.requireNonNull(service, "service");
    String host = service.toLowerCase(Locale.ROOT); // as OkHttp keeps hosts
    if (shared != null) {
      fills.beginInvalidation(Fills.serviceMark(host));
    }
    dropService(host);
    CacheListener.notify(listener, new CacheEvent.Invalidated(host, null, false));
    if (shared == null) {
      return CompletableFuture.completedFuture(null);
    }
    SharedTierGuard guard = shared;
    return guard.deleteThenPublish(
        host,
        () -> guard.tier().invalidateService(host),
        () -> fills.endInvalidation(Fills.serviceMark(host)),
        () -> channel().message("service", host));
  }

  /** The counters of every service and the heap tier's size. */
  public CacheStats stats() {
    Map<String, CacheStats.Service> services = new HashMap<>();
    counters.forEach((service, c) -> services.put(service, c.snapshot()));
    return new CacheStats(
        heap.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L),
        heap.estimatedSize(),
        services);
  }

  /** Closes the shared tier, if any. Idempotent. */
  @Override
  public void close() {
    if (shared != null) {
      shared.tier().close();
    }
  }

  @Override
  public String toString() {
    return "HttpCache" + stats();
  }

  // ---- shared with CacheInterceptor ----

  /** The outcome of an L0 flight: what the leader stored, or that it has nothing to share. */
  static final class Flight {
    static final @Nullable StoredResponse NOTHING = null;
    final CompletableFuture<StoredResponse> outcome = new CompletableFuture<>();

    /** Nothing to share: the waiters go to the origin themselves. No-op once completed. */
    void nothingToShare() {
      outcome.complete(NOTHING);
    }
  }

  static String key(HttpUrl url) {
    String target =
        url.fragment() == null
            ? url.toString()
            : url.newBuilder().fragment(null).build().toString();
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] digest = sha.digest(("GET " + target).getBytes(StandardCharsets.UTF_8));
    return servicePrefix(url.host())
        + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
  }

  /**
   * What every key of {@code service} starts with: the host and a separator no host has (an IPv6
   * host has colons, so {@code a:} would also match {@code a::1}).
   */
  static String servicePrefix(String service) {
    return service + '|';
  }

  /** The service of a key, or null when it is not one. */
  static @Nullable String serviceOf(String key) {
    int bar = key.lastIndexOf('|');
    return bar <= 0 ? null : key.substring(0, bar);
  }

  /** The counters of {@code service}; past {@link #MAX_COUNTED_SERVICES} hosts, a shared set. */
  Counters counters(String service) {
    Counters c = counters.get(service);
    if (c != null) {
      return c;
    }
    if (counters.size() >= MAX_COUNTED_SERVICES) {
      return counters.computeIfAbsent(OTHER_SERVICES, s -> new Counters());
    }
    return counters.computeIfAbsent(service, s -> new Counters());
  }

  CompletionStage<Void> invalidate(HttpUrl url, boolean remote) {
    String service = url.host();
    String key = key(url);
    if (shared != null && !remote) {
      fills.beginInvalidation(key); // until the shared tier has dropped it, fills start fenced
    }
    dropKey(service, key);
    CacheListener.notify(listener, new CacheEvent.Invalidated(service, url.toString(), remote));
    SharedTierGuard guard = shared;
    if (guard == null || remote) {
      return CompletableFuture.completedFuture(null);
    }
    return guard.deleteThenPublish(
        service,
        () -> guard.tier().invalidate(service, key),
        () -> fills.endInvalidation(key),
        () -> channel().message("key", key));
  }

  /** Fences the key's fills and removes it from the heap and from L0, in one step. */
  private void dropKey(String service, String key) {
    boolean[] removed = {false};
    fills.fence(key, () -> removed[0] = heap.asMap().remove(key) != null);
    Flight flight = flights.remove(key);
    if (flight != null) {
      flight.nothingToShare();
    }
    if (removed[0]) {
      counters(service).invalidations.increment();
    }
  }

  private void dropService(String service) {
    fills.fenceService(service);
    String prefix = servicePrefix(service);
    long[] removed = {0};
    heap.asMap().keySet().removeIf(k -> k.startsWith(prefix) && ++removed[0] > 0);
    flights
        .entrySet()
        .removeIf(
            e -> {
              if (e.getKey().startsWith(prefix)) {
                e.getValue().nothingToShare();
                return true;
              }
              return false;
            });
    counters(service).invalidations.add(removed[0]);
  }

  /** Waits up to the shared tier's timeout for {@code stage}; failures are already counted. */
  void awaitShared(CompletionStage<?> stage) {
    if (shared != null) {
      shared.await(stage);
    }
  }

  /** The channel of a cache with a shared tier. */
  private InvalidationChannel channel() {
    return Objects.requireNonNull(channel, "only a cache with a shared tier has a channel");
  }

  /**
   * Stores {@code entry}, the answer of {@code fill}, unless an invalidation fenced the fill: in
   * the heap, then — when it may be shared, the tier was read before the request left, and the fill
   * is recent enough for its fences to still stand — in the shared tier, written only if no
   * invalidation moved its fences meanwhile (before the call returns, bounded by the shared tier's
   * timeout). Returns whether the heap took it.
   */
  boolean store(Fills.Fill fill, StoredResponse entry) {
    String key = fill.key;
    Variants[] all = {null};
    boolean kept =
        fills.ifUnfenced(
            fill,
            () ->
                all[0] =
                    heap.asMap().merge(key, Variants.of(entry), (old, added) -> old.with(entry)));
    if (!kept) {
      return false;
    }
    counters(fill.service).stored.increment();
    long now = clock.millis();
    String fences = fill.sharedFences;
    if (fences == null
        || !sharedUsable(now)
        || now - fill.startedMillis > SharedTier.FENCE_LIFETIME.toMillis() / 2) {
      return true;
    }
    // What the tier held when this fill read it, with this entry: never this heap's other
    // variants, which the fences have not vouched for.
    Variants read = fill.sharedVariants;
    Variants toShare = read == null ? Variants.of(entry) : read.with(entry);
    long ttl = toShare.servableUntil(rules) - now;
    if (ttl <= 0) {
      return true;
    }
    SharedTierGuard guard = shared;
    if (guard != null) {
      guard.put(fill, fences, toShare, ttl);
    }
    return true;
  }

  /** Puts variants read from the shared tier into the heap, unless the fill was fenced since. */
  void promote(Fills.Fill fill, @Nullable Variants variants, StoredResponse chosen) {
    fills.ifUnfenced(
        fill, () -> heap.asMap().merge(fill.key, variants, (old, fresh) -> old.with(chosen)));
  }

  boolean sharedUsable(long nowMillis) {
    return shared != null && shared.usable(nowMillis);
  }

  /**
   * Reads the shared tier's variants for the fill's key, recording the tier's fences on the fill;
   * null on a miss, a failure or a bad entry.
   */
  @Nullable Variants sharedGet(Fills.Fill fill) {
    return shared == null ? null : shared.get(fill);
  }

  /** What messages from the other instances drop here. */
  private final class Dropping implements InvalidationChannel.Target {
    @Override
    public void dropKey(String service, String key) {
      HttpCache.this.dropKey(service, key);
    }

    @Override
    public void dropService(String service) {
      HttpCache.this.dropService(service);
    }

    @Override
    public void dropAll() {
      Set<String> services = new TreeSet<>();
      heap.asMap().keySet().forEach(k -> services.add(String.valueOf(serviceOf(k))));
      fills.fenceAll();
      heap.invalidateAll();
      flights.values().forEach(Flight::nothingToShare);
      flights.clear();
      log.warn(
          "cache invalidation channel reconnected after missing messages: cleared the heap"
              + " tier of {}",
          services);
    }
  }

  /**
   * Configures an {@link HttpCache}. Setters check their values and name the bad one; not
   * thread-safe.
   */
  public static final class Builder {
    private long maximumBytes = 32L << 20;
    private long maximumBodyBytes = 1L << 20;
    private Set<Integer> cacheableCodes =
        Set.of(200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501);
    private double heuristicFraction;
    private Duration heuristicMax = Duration.ZERO;
    private Duration staleWhileRevalidate = Duration.ZERO;
    private Duration staleIfError = Duration.ZERO;
    private @Nullable SharedTier shared;
    private byte @Nullable [] secret;
    private Duration sharedTimeout = Duration.ofMillis(50);
    private Clock clock = Clock.systemUTC();
    private CacheListener listener = CacheListener.noop();

    private Builder() {}

    /** The bound of the heap tier, headers and bodies counted; 32 MiB by default. */
    public Builder maximumBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maximumBytes must be >= 0 but was " + bytes);
      }
      this.maximumBytes = bytes;
      return this;
    }

    /** Larger response bodies are not stored; 1 MiB by default. */
    public Builder maximumBodyBytes(long bytes) {
      if (bytes < 0 || bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "maximumBodyBytes must be between 0 and 2^31 - 9 but was " + bytes);
      }
      this.maximumBodyBytes = bytes;
      return this;
    }

    /**
     * The status codes whose responses may be stored; by default those RFC 9110 §15.1 calls
     * heuristically cacheable, without 206 (ranges are not cached): 200, 203, 204, 300, 301, 308,
     * 404, 405, 410, 414, 501.
     */
    public Builder cacheableStatusCodes(int... codes) {
      Set<Integer> set = new TreeSet<>();
      for (int code : codes) {
        if (code < 200 || code > 599 || code == 206 || code == 304) {
          throw new IllegalArgumentException(
              "cacheableStatusCodes must be final statuses other than 206 and 304 but had " + code);
        }
        set.add(code);
      }
      this.cacheableCodes = Set.copyOf(set);
      return this;
    }

    /**
     * Gives responses with a {@code Last-Modified} and no explicit freshness a lifetime of {@code
     * fraction} of their age at the time they were sent, at most {@code max} (RFC 9111 §4.2.2). Off
     * by default: without it, only explicit freshness counts.
     */
    public Builder heuristicFreshness(double fraction, Duration max) {
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException(
            "heuristic fraction must be in (0, 1] but was " + fraction);
      }
      this.heuristicFraction = fraction;
      this.heuristicMax = positive("heuristic max", max);
      return this;
    }

    /**
     * How long past freshness a response may be served while it is revalidated in the background
     * when the origin sent no {@code stale-while-revalidate}; zero by default.
     */
    public Builder defaultStaleWhileRevalidate(Duration window) {
      this.staleWhileRevalidate = nonNegative("defaultStaleWhileRevalidate", window);
      return this;
    }

    /**
     * How long past freshness a response may be served when the origin fails, when the origin sent
     * no {@code stale-if-error}; zero by default.
     */
    public Builder defaultStaleIfError(Duration window) {
      this.staleIfError = nonNegative("defaultStaleIfError", window);
      return this;
    }

    /**
     * Adds the shared L2 tier. Entries are signed with HMAC-SHA256 under {@code secret}, which
     * every instance sharing the tier must know; an entry that does not verify is a miss.
     *
     * @param secret at least 16 bytes, random; 32 recommended. Copied.
     */
    public Builder sharedTier(SharedTier tier, byte[] secret) {
      Objects.requireNonNull(tier, "tier");
      Objects.requireNonNull(secret, "secret");
      if (secret.length < 16) {
        throw new IllegalArgumentException(
            "shared tier secret must have at least 16 bytes but had " + secret.length);
      }
      this.shared = tier;
      this.secret = secret.clone();
      return this;
    }

    /**
     * How long a call waits for the shared tier's answer before going on without it; 50 ms by
     * default. After a failure the tier is left alone for a second.
     */
    public Builder sharedTierTimeout(Duration timeout) {
      this.sharedTimeout = positive("sharedTierTimeout", timeout);
      if (timeout.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "sharedTierTimeout must be at most 1 minute but was " + timeout);
      }
      return this;
    }

    /** The wall clock of ages and expiry; the system UTC clock by default. Tests pass a fake. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Receives every decision of the cache. It must be fast and never throw. */
    public Builder listener(CacheListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Returns the cache; with a shared tier, subscribes to its invalidations. */
    public HttpCache build() {
      return new HttpCache(this);
    }

    /** The longest any window may be: RFC 9111's bound on delta-seconds, about 68 years. */
    private static final Duration LONGEST = Duration.ofSeconds(Directives.MAX_SECONDS);

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero() || value.compareTo(LONGEST) > 0) {
        throw new IllegalArgumentException(
            name + " must be positive and at most " + LONGEST + " but was " + value);
      }
      return value;
    }

    private static Duration nonNegative(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.compareTo(LONGEST) > 0) {
        throw new IllegalArgumentException(
            name + " must be between 0 and " + LONGEST + " but was " + value);
      }
      return value;
    }
  }
}
