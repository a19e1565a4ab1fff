package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * From hand-written interceptors to Hyperlane: {@link #before} is what many services carry — a list
 * of URLs rotated by hand, a retry loop, a call timeout on the client — and {@link #after} is the
 * same intent, with the safety the hand-written one lacks (the loop retries a POST; it retries a
 * dead instance as often as a live one; its timeout is the whole client's). The README's
 * "Migrating" section maps each hand-written piece and each Resilience4j decorator to its setting.
 */
public final class MigrationRecipe {

  /** Before: callers write {@code base + "/items/42"}; the client rotates and retries by hand. */
  static OkHttpClient before(List<String> urls) {
    AtomicInteger next = new AtomicInteger();
    return new OkHttpClient.Builder()
        .callTimeout(Duration.ofSeconds(2)) // every call of this client, whatever its host
        .addInterceptor(
            chain -> {
              IOException last = null;
              for (int attempt = 0; attempt < 3; attempt++) { // any method, no budget, no pause
                HttpUrl to =
                    HttpUrl.get(urls.get(Math.floorMod(next.getAndIncrement(), urls.size())));
                HttpUrl url =
                    chain
                        .request()
                        .url()
                        .newBuilder()
                        .scheme(to.scheme())
                        .host(to.host())
                        .port(to.port())
                        .build();
                try {
                  Response response = chain.proceed(chain.request().newBuilder().url(url).build());
                  if (response.code() != 503 || attempt == 2) {
                    return response;
                  }
                  response.close();
                } catch (IOException e) {
                  last = e;
                }
              }
              throw last != null ? last : new IOException("no attempt made");
            })
        .build();
  }

  /** After: callers write {@code http://inventory/items/42}; the rest is Hyperlane's. */
  static Hyperlane after(List<String> urls) {
    return Hyperlane.builder()
        .timeout(Duration.ofSeconds(2)) // per service, across attempts and the body
        .service("inventory", urls.toArray(String[]::new))
        .build();
  }

  public static void main(String[] args) throws IOException {
    List<String> urls = List.of("http://127.0.0.1:8081", "http://127.0.0.1:8082");
    System.out.println(callBoth(urls, 4));
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  /** Makes {@code calls} calls each way; returns the statuses, before then after. */
  public static String callBoth(List<String> urls, int calls) throws IOException {
    OkHttpClient okHttp = new OkHttpClient();
    OkHttpClient handWritten = before(urls);
    StringBuilder out = new StringBuilder("before:");
    try (Hyperlane hyperlane = after(urls)) {
      for (int i = 0; i < calls; i++) {
        String base = "http://127.0.0.1:1"; // any host: the interceptor replaces it
        try (Response response =
            handWritten.newCall(new Request.Builder().url(base + "/items/42").build()).execute()) {
          out.append(' ').append(response.code());
        }
      }
      out.append(" after:");
      OkHttpClient client = hyperlane.wrap(okHttp);
      for (int i = 0; i < calls; i++) {
        try (Response response =
            client
                .newCall(new Request.Builder().url("http://inventory/items/42").build())
                .execute()) {
          out.append(' ').append(response.code());
        }
      }
      return out.toString();
    } finally {
      for (OkHttpClient c : List.of(okHttp, handWritten)) {
        c.dispatcher().executorService().shutdown();
        c.connectionPool().evictAll();
      }
    }
  }
}
