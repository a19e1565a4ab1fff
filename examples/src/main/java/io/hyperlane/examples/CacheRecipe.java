package io.hyperlane.examples;

import io.hyperlane.cache.CacheStats;
import io.hyperlane.cache.HttpCache;
import io.hyperlane.cache.RedisSharedTier;
import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Caching: a service's GET responses answered from the heap (and, with Redis, from a tier every
 * instance shares), invalidated by a PUT, and the {@code Cache-Status} header that says which tier
 * answered. Pass a Redis URI (or set {@code HYPERLANE_REDIS_URI}) to add the shared tier; a second
 * cache then plays another instance of the application.
 */
public final class CacheRecipe {

  /**
   * What the recipe saw: the {@code Cache-Status} of each call in order, and the counters of the
   * first instance's cache.
   */
  public record Outcome(List<String> cacheStatuses, CacheStats.Service stats) {}

  public static void main(String[] args) throws IOException {
    String redis = args.length > 0 ? args[0] : System.getenv("HYPERLANE_REDIS_URI");
    try (LocalReplica catalog = LocalReplica.start("catalog")) {
      catalog.cacheControl("max-age=30, stale-if-error=300");
      Outcome outcome = run(catalog.url(), redis);
      outcome.cacheStatuses().forEach(System.out::println);
      System.out.println(outcome.stats());
      System.out.println("requests that reached the replica: " + catalog.served());
    }
  }

  public static Outcome run(String catalogUrl, String redisUri) throws IOException {
    // Every instance that shares the Redis tier must sign with the same secret: take it from your
    // secret store. This one is for the recipe only.
    byte[] secret = "recipe-secret-change-me-0123456789".getBytes(StandardCharsets.UTF_8);
    List<String> statuses = new ArrayList<>();
    OkHttpClient okHttp = new OkHttpClient();
    try (HttpCache cache = newCache(redisUri, secret);
        Hyperlane hyperlane =
            Hyperlane.builder()
                .cache(cache) // every service; ServiceBuilder.cache(...) / noCache() per service
                .service("catalog", catalogUrl)
                .build()) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      statuses.add(get(client, "http://catalog/items/42")); // miss: stored
      statuses.add(get(client, "http://catalog/items/42")); // fresh hit from the heap
      put(client, "http://catalog/items/42"); // a successful PUT invalidates the URL
      statuses.add(get(client, "http://catalog/items/42")); // miss again

      if (redisUri != null) { // another instance of the application, same Redis, same secret
        try (HttpCache other = newCache(redisUri, secret);
            Hyperlane second =
                Hyperlane.builder().cache(other).service("catalog", catalogUrl).build()) {
          statuses.add(get(second.wrap(okHttp), "http://catalog/items/42")); // shared-tier hit
        }
      }
      return new Outcome(statuses, hyperlane.snapshot().service("catalog").cache());
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }

  private static HttpCache newCache(String redisUri, byte[] secret) {
    HttpCache.Builder builder =
        HttpCache.builder()
            .maximumBytes(16L << 20) // the heap tier's bound, headers and bodies counted
            .defaultStaleIfError(Duration.ofMinutes(5)); // when the origin sends no stale-if-error
    if (redisUri != null) {
      builder.sharedTier(RedisSharedTier.create(redisUri), secret);
    }
    return builder.build();
  }

  private static String get(OkHttpClient client, String url) throws IOException {
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      response.body().string();
      return "GET " + response.code() + "  Cache-Status: " + response.header("Cache-Status");
    }
  }

  private static void put(OkHttpClient client, String url) throws IOException {
    RequestBody body = RequestBody.create("{\"price\":12}", MediaType.get("application/json"));
    try (Response response =
        client.newCall(new Request.Builder().url(url).put(body).build()).execute()) {
      response.body().string();
    }
  }
}
