package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToIgnoreCase;
import static com.github.tomakehurst.wiremock.client.WireMock.exactly;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CallFailedException;
import io.hyperlane.resilience.RetryPolicy;
import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** What the routing stage changes in a request, and what it leaves alone. */
class RoutingTest extends LoopbackTest {

  private static final MediaType JSON = MediaType.get("application/json");

  @Test
  void aRequestToAHostThatIsNotAServiceReachesItUnchanged() throws Exception {
    replicas = Replicas.start(2);
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.url(1)).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      String direct = replicas.url(0) + "/orders/7?expand=lines&x=%20y";
      Request request =
          new Request.Builder()
              .url(direct)
              .header("X-Trace", "abc")
              .header("Authorization", "Bearer secret")
              .post(RequestBody.create("{\"qty\":3}", JSON))
              .build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.code()).isEqualTo(200);
        assertThat(response.header("X-Replica")).isEqualTo("0");
        assertThat(response.request().url().toString()).isEqualTo(direct);
      }
      replicas
          .server(0)
          .verify(
              exactly(1),
              postRequestedFor(urlEqualTo("/orders/7?expand=lines&x=%20y"))
                  .withHeader("X-Trace", equalTo("abc"))
                  .withHeader("Authorization", equalTo("Bearer secret"))
                  .withHeader("Host", equalTo("127.0.0.1:" + replicas.server(0).port()))
                  .withRequestBody(equalTo("{\"qty\":3}")));
      assertThat(replicas.received(1)).isZero();
      assertThat(hyperlane.snapshot().service("inventory").requests()).isZero();
    }
  }

  @Test
  void aServiceCallKeepsItsMethodPathQueryHeadersAndBody() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.url(0)).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      Request request =
          new Request.Builder()
              .url("http://inventory/items/42?fields=a,b")
              .header("X-Tenant", "t1")
              .patch(RequestBody.create("{\"stock\":9}", JSON))
              .build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.header("X-Replica")).isEqualTo("0");
        assertThat(response.request().url().toString())
            .isEqualTo(replicas.url(0) + "/items/42?fields=a,b");
      }
      replicas
          .server(0)
          .verify(
              exactly(1),
              patchRequestedFor(urlEqualTo("/items/42?fields=a,b"))
                  .withHeader("X-Tenant", equalTo("t1"))
                  .withHeader("Content-Type", equalToIgnoreCase("application/json; charset=utf-8"))
                  .withRequestBody(equalTo("{\"stock\":9}")));
    }
  }

  @Test
  void aServiceCallCarriesItsEndpointsHostWhateverTheCallerSet() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .service("inventory", replicas.url(0))
            .cache(io.hyperlane.cache.HttpCache.builder().build())
            .build()) {
      OkHttpClient client = hyperlane.wrap(base);
      for (String host : new String[] {"tenant-a.example", "tenant-b.example"}) {
        Replicas.get(
            client,
            new Request.Builder().url("http://inventory/catalog").header("Host", host).build());
      }
      String endpoint = replicas.url(0).substring("http://".length());
      replicas
          .server(0)
          .verify(
              exactly(2),
              getRequestedFor(urlEqualTo("/catalog")).withHeader("Host", equalTo(endpoint)));
    }
  }

  @Test
  void encodedPathsQueriesAndUserInfoSurviveTheRewrite() throws Exception {
    replicas = Replicas.start(1);
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.url(0)).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      String logical = "http://inventory/a%2Fb/c%20d/%C3%A9?q=x%26y&empty=&flag#frag";
      try (Response response =
          client.newCall(new Request.Builder().url(logical).build()).execute()) {
        assertThat(response.request().url().toString())
            .isEqualTo(replicas.url(0) + "/a%2Fb/c%20d/%C3%A9?q=x%26y&empty=&flag#frag");
      }
      replicas
          .server(0)
          .verify(
              exactly(1), getRequestedFor(urlEqualTo("/a%2Fb/c%20d/%C3%A9?q=x%26y&empty=&flag")));
      // User info is the caller's to send; scheme and port come from the endpoint.
      EndpointState routed = new EndpointState(Endpoint.of(replicas.url(0)), 0, 0, null);
      assertThat(routed.rewrite(HttpUrl.get("https://u:p%40ss@inventory:9999/x")).toString())
          .isEqualTo("http://u:p%40ss@127.0.0.1:" + replicas.server(0).port() + "/x");
    }
  }

  @Test
  void aConnectionFailureCountsAgainstTheEndpointAndReachesTheCallerAsIoException()
      throws Exception {
    replicas = Replicas.start(1);
    String dead = replicas.url(0);
    replicas.close(); // nothing listens there any more
    try (Hyperlane hyperlane =
        Hyperlane.builder().retry(RetryPolicy.none()).service("inventory", dead).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThatThrownBy(() -> Replicas.get(client, "http://inventory/"))
          .isInstanceOf(CallFailedException.class)
          .hasMessageContaining("GET inventory failed after 1 attempt")
          .hasMessageContaining("retries are off")
          .cause()
          .isInstanceOf(ConnectException.class);
      EndpointSnapshot endpoint =
          hyperlane.snapshot().service("inventory").endpoint(dead).orElseThrow();
      assertThat(endpoint.failures()).isEqualTo(1);
      assertThat(endpoint.inFlight()).isZero();
    }
  }

  @Test
  void wrapSharesTheConnectionPoolAndThreadsAndKeepsTheClientsInterceptors() throws Exception {
    replicas = Replicas.start(1);
    List<String> seen = new CopyOnWriteArrayList<>();
    OkHttpClient own =
        base.newBuilder()
            .addInterceptor(
                chain -> {
                  seen.add(chain.request().url().host());
                  return chain.proceed(chain.request());
                })
            .build();
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.url(0)).build()) {
      OkHttpClient client = hyperlane.wrap(own);
      assertThat(client.connectionPool()).isSameAs(own.connectionPool());
      assertThat(client.dispatcher().executorService())
          .as("the dispatcher's threads; its per-host limit would count the service name")
          .isSameAs(own.dispatcher().executorService());
      assertThat(client.dispatcher().getMaxRequests()).isEqualTo(own.dispatcher().getMaxRequests());
      Replicas.get(client, "http://inventory/");
      assertThat(seen)
          .as("the user's interceptor sees the logical URL")
          .containsExactly("inventory");
      assertThatThrownBy(() -> hyperlane.wrap(client))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("already wrapped");
    }
  }
}
