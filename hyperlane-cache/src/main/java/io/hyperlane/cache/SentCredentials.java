package io.hyperlane.cache;

import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Request;

/**
 * Learns whether the requests that went out on the network for one request a cache forwarded
 * carried credentials, whatever added them below the cache: an interceptor (a network interceptor
 * signing requests), OkHttp's {@code Authenticator} after a {@code 401}. A response to such a
 * request is private to its caller: the cache neither stores nor shares it.
 *
 * <p>An {@link HttpCache} listens on the call it forwards with one, and tags the forwarded request
 * with it ({@code request.tag(SentCredentials.class)}). A client that sends that request through
 * calls of its own — Hyperlane's hedged attempts — attaches the tag to each of them with {@link
 * Call#addEventListener}, so the cache hears of what they send too. Thread-safe.
 */
public final class SentCredentials extends EventListener {

  private volatile boolean sent;

  SentCredentials() {}

  @Override
  public void requestHeadersEnd(Call call, Request request) {
    if (request.header("Authorization") != null) {
      sent = true;
    }
  }

  /** Whether any request seen so far carried {@code Authorization}. */
  boolean sent() {
    return sent;
  }
}
