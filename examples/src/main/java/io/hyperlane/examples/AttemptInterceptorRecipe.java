package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.LoadBalancerPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An attempt interceptor runs after routing, on every attempt — each retry and hedge too — so it
 * sees the URL of the endpoint chosen for that attempt. Here it signs each attempt over its method,
 * endpoint authority and path (a signature that covers the host cannot be made before the endpoint
 * is known) and records the attempt. A seeded {@code random} makes the balancer's picks repeatable,
 * which is what a test of your own client code wants.
 */
public final class AttemptInterceptorRecipe {

  /**
   * The configuration to copy: every attempt signed for the endpoint it goes to. Returns the
   * builder so that the scaffolding below can add its test-only settings.
   */
  static Hyperlane.Builder configure(byte[] key, String... endpoints) {
    return Hyperlane.builder()
        .loadBalancer(LoadBalancerPolicy.leastInFlight())
        .attemptInterceptor(
            chain -> {
              Request request = chain.request(); // its URL is the endpoint's
              return chain.proceed(
                  request
                      .newBuilder()
                      .header("X-Signature", sign(key, request.method(), request.url()))
                      .build());
            })
        .service("inventory", endpoints);
  }

  /** HMAC-SHA256, in hex, of "method \n host:port \n path". */
  public static String sign(byte[] key, String method, HttpUrl url) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      String canonical = method + "\n" + url.host() + ":" + url.port() + "\n" + url.encodedPath();
      return HexFormat.of().formatHex(mac.doFinal(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  private static final byte[] KEY =
      "a-secret-shared-with-the-servers".getBytes(StandardCharsets.UTF_8);

  public static void main(String[] args) throws IOException {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b");
        LocalReplica c = LocalReplica.start("c")) {
      run(42, KEY, a.url(), b.url(), c.url()).forEach(System.out::println);
      System.out.println("replica a saw X-Signature " + a.lastHeader("X-Signature"));
    }
  }

  /** Sends 10 calls to "inventory" and returns the URL of each attempt, in order. */
  public static List<String> run(long seed, byte[] key, String... endpoints) throws IOException {
    List<String> attempts = new CopyOnWriteArrayList<>();
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane =
        configure(key, endpoints)
            .random(new Random(seed)) // a test's: the same seed, the same picks
            .attemptInterceptor( // a test's: records each attempt's URL
                chain -> {
                  attempts.add(chain.request().url().toString());
                  return chain.proceed(chain.request());
                })
            .build()) {
      OkHttpClient client = hyperlane.wrap(okHttp);
      for (int i = 0; i < 10; i++) {
        try (Response response =
            client
                .newCall(new Request.Builder().url("http://inventory/items/" + i).build())
                .execute()) {
          response.body().string();
        }
      }
      return List.copyOf(attempts);
    } finally {
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
