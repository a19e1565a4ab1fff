package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.ResponseBody;
import retrofit2.Call;
import retrofit2.Response;
import retrofit2.Retrofit;
import retrofit2.http.GET;
import retrofit2.http.Path;

/**
 * Retrofit through Hyperlane: {@code Retrofit.Builder.client} takes the wrapped {@code
 * OkHttpClient}, and the base URL is the service's name.
 */
public final class RetrofitRecipe {

  /** The service's API, as a Retrofit interface. */
  public interface Inventory {
    @GET("items/{id}")
    Call<ResponseBody> item(@Path("id") String id);
  }

  /** The part to copy. */
  static Inventory inventory(Hyperlane hyperlane, OkHttpClient base) {
    return new Retrofit.Builder()
        .baseUrl("http://inventory/")
        .client(hyperlane.wrap(base))
        .build()
        .create(Inventory.class);
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  public static void main(String[] args) throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      System.out.println(run(a.url(), b.url()));
    }
  }

  /** Four calls through Retrofit; the answers, which name the replica that gave them. */
  public static String run(String... replicas) throws IOException {
    OkHttpClient base = new OkHttpClient();
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas).build()) {
      Inventory inventory = inventory(hyperlane, base);
      StringBuilder answers = new StringBuilder();
      for (int i = 0; i < 4; i++) {
        Response<ResponseBody> response = inventory.item(Integer.toString(i)).execute();
        try (ResponseBody body = response.body()) {
          answers.append(response.code()).append(' ').append(body == null ? "" : body.string());
        }
      }
      return answers.toString();
    } finally {
      base.dispatcher().executorService().shutdown();
    }
  }
}
