package io.hyperlane.cache;

import okhttp3.Headers;

/** A response read whole: what a test asserts on. */
record Reply(int code, String body, Headers headers) {
  String header(String name) {
    return headers.get(name);
  }

  String cacheStatus() {
    return headers.get("Cache-Status");
  }
}
