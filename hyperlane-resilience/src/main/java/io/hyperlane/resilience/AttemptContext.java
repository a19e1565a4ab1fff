package io.hyperlane.resilience;

import java.util.ArrayList;
import java.util.List;

/**
 * What the attempts of one logical call share, carried as a request tag from the retry stage down to
 * the routing stage: how many attempts came before, and which endpoints they went to, so that a retry
 * prefers an endpoint not yet tried.
 *
 * <pre>{@code
 * AttemptContext attempt = chain.request().tag(AttemptContext.class); // null outside a retry stage
 * }</pre>
 *
 * <p>Thread-safe; attempts of one call run one after another.
 */
public final class AttemptContext {

  private final List<String> tried = new ArrayList<>(2);
  private volatile int resendCount;

  AttemptContext() {}

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
