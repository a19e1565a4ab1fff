package io.hyperlane.resilience;

import java.util.ArrayList;
import okhttp3.Call;
import okhttp3.Interceptor;
import java.util.List;

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
  private volatile int resendCount;

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

  /** 0 for the first attempt of a call, 1 for the first retry, and so on. */
  public int resendCount() {
    return resendCount;
  }

  void nextAttempt() {
    resendCount++;
  }

  /** Records that an attempt of this call goes to {@code endpoint}. */
  public synchronized void markTried(String endpoint) {
    if (!tried.contains(endpoint)) {
      tried.add(endpoint);
    }
  }

  /** Whether an earlier attempt of this call went to {@code endpoint}. */
  public synchronized boolean wasTried(String endpoint) {
    return tried.contains(endpoint);
  }

  /** The endpoints tried so far, in order. */
  public synchronized List<String> tried() {
    return List.copyOf(tried);
  }
}
