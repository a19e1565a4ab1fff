package io.hyperlane.resilience;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.Interceptor;
import org.jspecify.annotations.Nullable;

/**
 * What the attempts of one logical call share, from the retry stage down to the routing stage: how
 * many attempts came before, and which endpoints they went to, so that a retry prefers an endpoint
 * not yet tried. The retry stage attaches it to the call (a tag of the {@link okhttp3.Call}, and of
 * each hedge's call), so an attempt's request need not be rebuilt to carry it.
 *
 * <pre>{@code
 * AttemptContext attempt = AttemptContext.of(chain); // null outside a retry stage
 * }</pre>
 *
 * <p>Thread-safe; attempts of one call run one after another.
 */
public final class AttemptContext {

  private final List<String> tried = new ArrayList<>(2);
  private boolean untriedLeft; // guarded by this
  private final List<CallFailedException.Attempt> failed = new ArrayList<>(0);
  private volatile @Nullable String lastTried;
  private final AtomicInteger resendCount = new AtomicInteger();
  private volatile @Nullable Object callerContext;
  private volatile @Nullable Set<Call> lostRaces; // made by the first hedged attempt that loses

  AttemptContext() {}

  /**
   * The context of the call {@code chain} belongs to, or null when no retry stage is above it. Also
   * reads a context given as a request tag.
   */
  public static AttemptContext of(Interceptor.Chain chain) {
    AttemptContext onCall = chain.call().tag(AttemptContext.class);
    return onCall != null ? onCall : chain.request().tag(AttemptContext.class);
  }

  /** The context of {@code call}, made and attached on first use. */
  static AttemptContext attachedTo(Call call) {
    return call.tag(AttemptContext.class, AttemptContext::new);
  }

  /**
   * What the routing stage keeps of the caller for the attempts that run on other threads (a hedge
   * sent by a timer): {@code current} the first time, and from then on what the first time gave.
   * Hyperlane keeps the OpenTelemetry context of the logical call here, so a hedge's span has the
   * call's span as its parent.
   */
  public Object callerContext(Object current) {
    Object kept = callerContext;
    if (kept == null) {
      synchronized (this) {
        kept = callerContext;
        if (kept == null) {
          callerContext = kept = current;
        }
      }
    }
    return kept;
  }

  /** 0 for the first attempt of a call, 1 for the first retry, and so on. */
  public int resendCount() {
    return resendCount.get();
  }

  void nextAttempt() {
    resendCount.incrementAndGet(); // the retry loop and a hedge's thread may both count
  }

  /**
   * Whether {@code call}, one of this logical call's hedged attempts, is being cancelled because an
   * attempt sent <em>after</em> it answered first. A routing stage can take that as a sign that the
   * endpoint is slow: it was outrun by at least the hedging delay. An attempt cancelled for any
   * other reason (the caller gave up, a deadline passed, an earlier attempt won) did not lose a
   * race.
   */
  public boolean lostRace(Call call) {
    Set<Call> lost = lostRaces;
    return lost != null && lost.contains(call);
  }

  /** Marks {@code call} as outrun by a later attempt; called before it is cancelled. */
  synchronized void markLostRace(Call call) {
    if (lostRaces == null) {
      lostRaces = ConcurrentHashMap.newKeySet();
    }
    lostRaces.add(call);
  }

  /**
   * Records, for the retry stage, whether the routing stage has endpoints this call has not tried
   * yet: a retry that goes to one of them may go at once (see {@link
   * RetryInterceptor.Builder#failoverAtOnce(boolean)}).
   */
  public synchronized void untriedEndpointsLeft(boolean left) {
    this.untriedLeft = left;
  }

  /** Whether the routing stage said it has endpoints this call has not tried; false by default. */
  public synchronized boolean untriedEndpointsLeft() {
    return untriedLeft;
  }

  /** How many distinct endpoints this call's attempts went to. */
  public synchronized int triedCount() {
    return tried.size();
  }

  /** Records that an attempt of this call goes to {@code endpoint}. */
  public synchronized void markTried(String endpoint) {
    lastTried = endpoint;
    if (!tried.contains(endpoint)) {
      tried.add(endpoint);
    }
  }

  /** Whether an earlier attempt of this call went to {@code endpoint}. */
  public synchronized boolean wasTried(String endpoint) {
    return tried.contains(endpoint);
  }

  /** The endpoint the latest attempt went to and forgets it; null when none was picked since. */
  synchronized @Nullable String takeLastTried() {
    String last = lastTried;
    lastTried = null;
    return last;
  }

  /** Records an attempt that failed, for the exception the call may end with. */
  synchronized void recordFailed(CallFailedException.Attempt attempt) {
    failed.add(attempt);
  }

  /** The attempts that failed so far, in order. */
  synchronized List<CallFailedException.Attempt> failedAttempts() {
    return List.copyOf(failed);
  }

  /** The endpoints tried so far, in order. */
  public synchronized List<String> tried() {
    return List.copyOf(tried);
  }
}
