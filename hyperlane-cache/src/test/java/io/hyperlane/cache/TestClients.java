package io.hyperlane.cache;

import java.io.IOException;
import java.time.Clock;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** Clients for cache tests. */
final class TestClients {

  private TestClients() {}

  /**
   * A client with {@code cache}'s interceptor whose network sees the test's clock: the JDK server
   * stamps real time in {@code Date}, so a network interceptor rewrites it to the fake time, as if
   * origin and client shared a clock.
   */
  static OkHttpClient cached(HttpCache cache, Clock clock) {
    return new OkHttpClient.Builder()
        .addInterceptor(cache.interceptor())
        .addNetworkInterceptor(
            chain -> {
              Response response = chain.proceed(chain.request());
              return response.newBuilder().header("Date", HttpDates.format(clock.millis())).build();
            })
        .build();
  }

  static Reply call(OkHttpClient client, String method, HttpUrl url, String... headers)
      throws IOException {
    Request.Builder request = new Request.Builder().url(url);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      request.addHeader(headers[i], headers[i + 1]);
    }
    if (!method.equals("GET")) {
      request.method(method, RequestBody.create(new byte[0], null));
    }
    try (Response response = client.newCall(request.build()).execute()) {
      return new Reply(response.code(), response.body().string(), response.headers());
    }
  }
}
