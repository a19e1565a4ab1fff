package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.spring.HyperlaneClientHttpRequestFactory;
import okhttp3.OkHttpClient;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.support.RestClientAdapter;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.invoker.HttpServiceProxyFactory;

/**
 * Spring's {@code RestClient} and an {@code @HttpExchange} interface through Hyperlane, with {@code
 * hyperlane-spring}'s request factory.
 */
public final class SpringRestClientRecipe {

  /** The service's API, as a Spring HTTP interface. */
  public interface Inventory {
    @GetExchange("/items/{id}")
    String item(@PathVariable("id") String id);
  }

  /** The part to copy: a RestClient on the wrapped client, and an interface client on it. */
  static Inventory inventory(Hyperlane hyperlane, OkHttpClient base) {
    RestClient rest =
        RestClient.builder()
            .requestFactory(new HyperlaneClientHttpRequestFactory(hyperlane.wrap(base)))
            .baseUrl("http://inventory")
            .build();
    return HttpServiceProxyFactory.builderFor(RestClientAdapter.create(rest))
        .build()
        .createClient(Inventory.class);
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  public static void main(String[] args) throws Exception {
    try (LocalReplica a = LocalReplica.start("a");
        LocalReplica b = LocalReplica.start("b")) {
      System.out.println(run(a.url(), b.url()));
    }
  }

  /** Four calls through the interface; the answers, which name the replica that gave them. */
  public static String run(String... replicas) {
    OkHttpClient base = new OkHttpClient();
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas).build()) {
      Inventory inventory = inventory(hyperlane, base);
      StringBuilder answers = new StringBuilder();
      for (int i = 0; i < 4; i++) {
        answers.append(inventory.item(Integer.toString(i)));
      }
      return answers.toString();
    } finally {
      base.dispatcher().executorService().shutdown();
    }
  }
}
