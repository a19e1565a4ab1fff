package io.hyperlane.resilience.internal;

import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;

/**
 * The per-phase timeout (connect, write, each read) of one attempt, as a request tag for the calls
 * of a hedged attempt, which the retry stage cannot give a chain of its own: {@link #INTERCEPTOR},
 * the first interceptor of the attempt client, applies it. Not part of the API.
 *
 * @param millis the timeout of each phase
 */
public record AttemptTimeout(int millis) {

  /** Applies a request's {@link AttemptTimeout} tag to its call's chain. */
  public static final Interceptor INTERCEPTOR =
      chain -> {
        AttemptTimeout timeout = chain.request().tag(AttemptTimeout.class);
        if (timeout == null) {
          return chain.proceed(chain.request());
        }
        return chain
            .withConnectTimeout(timeout.millis(), TimeUnit.MILLISECONDS)
            .withWriteTimeout(timeout.millis(), TimeUnit.MILLISECONDS)
            .withReadTimeout(timeout.millis(), TimeUnit.MILLISECONDS)
            .proceed(chain.request());
      };
}
