package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.testing.LocalReplicas;
import java.io.IOException;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TypoGuardTest {

  @RegisterExtension final LocalReplicas replicas = LocalReplicas.start(1);

  private final OkHttpClient base = new OkHttpClient();

  @AfterEach
  void stop() {
    base.dispatcher().executorService().shutdownNow();
    base.connectionPool().evictAll();
  }

  private Hyperlane hyperlane(boolean guard) {
    return Hyperlane.builder()
        .typoGuard(guard)
        .service("inventory", replicas.urls())
        .service("orders", replicas.urls())
        .build();
  }

  private static Request get(String url) {
    return new Request.Builder().url(url).build();
  }

  @Test
  void aMisspeltServiceIsRefusedUnsentNamingTheNearestService() {
    try (Hyperlane hyperlane = hyperlane(true)) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThatThrownBy(() -> client.newCall(get("http://inventroy/items/1")).execute())
          .isInstanceOfSatisfying(
              UnknownServiceException.class,
              e -> {
                assertThat(e.host()).isEqualTo("inventroy");
                assertThat(e.suggestion()).contains("inventory");
              })
          .isInstanceOf(UnknownHostException.class) // what callers already catch
          .hasMessageContaining("\"inventroy\" is not a registered service")
          .hasMessageContaining("did you mean \"inventory\"?")
          .hasMessageContaining("[inventory, orders]");
      assertThat(replicas.get(0).received()).isZero();
    }
  }

  @Test
  void aShortNameFarFromEveryServiceIsRefusedWithoutASuggestion() {
    try (Hyperlane hyperlane = hyperlane(true)) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThatThrownBy(() -> client.newCall(get("http://payments/x")).execute())
          .isInstanceOfSatisfying(
              UnknownServiceException.class, e -> assertThat(e.suggestion()).isEmpty())
          .hasMessageNotContaining("did you mean");
    }
  }

  @Test
  void anEnqueuedCallIsRefusedThroughItsCallback() throws Exception {
    try (Hyperlane hyperlane = hyperlane(true)) {
      OkHttpClient client = hyperlane.wrap(base);
      CompletableFuture<IOException> failure = new CompletableFuture<>();
      client
          .newCall(get("http://ordres/1"))
          .enqueue(
              new Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                  failure.complete(e);
                }

                @Override
                public void onResponse(Call call, Response response) {
                  response.close();
                  failure.completeExceptionally(new AssertionError("it was sent"));
                }
              });
      assertThat(failure.get(10, TimeUnit.SECONDS))
          .isInstanceOfSatisfying(
              UnknownServiceException.class, e -> assertThat(e.suggestion()).contains("orders"));
    }
  }

  @Test
  void servicesDottedHostsIpAddressesAndLocalhostPass() throws Exception {
    String port = replicas.get(0).url().substring(replicas.get(0).url().lastIndexOf(':') + 1);
    try (Hyperlane hyperlane = hyperlane(true)) {
      OkHttpClient client = hyperlane.wrap(base);
      for (String url :
          new String[] {
            "http://inventory/items/1",
            "http://127.0.0.1:" + port + "/direct",
            "http://localhost:" + port + "/local"
          }) {
        try (Response response = client.newCall(get(url)).execute()) {
          assertThat(response.code()).as(url).isEqualTo(200);
        }
      }
      assertThat(replicas.get(0).received()).as("each of them reached the replica").isEqualTo(3);
      // An IPv6 literal passes the guard too: nothing listens there, so the network refuses it.
      assertThatThrownBy(() -> client.newCall(get("http://[::1]:1/ipv6")).execute())
          .isInstanceOf(IOException.class)
          .isNotInstanceOf(UnknownServiceException.class);
    }
  }

  @Test
  void offByDefaultSoAShortNameLeavesAsAPlainHost() {
    try (Hyperlane hyperlane = Hyperlane.builder().service("inventory", replicas.urls()).build()) {
      OkHttpClient client = hyperlane.wrap(base);
      assertThatThrownBy(() -> client.newCall(get("http://inventroy.invalid/x")).execute())
          .isInstanceOf(UnknownHostException.class)
          .isNotInstanceOf(UnknownServiceException.class);
      assertThatThrownBy(() -> client.newCall(get("http://inventroy/x")).execute())
          .isInstanceOf(IOException.class)
          .isNotInstanceOf(UnknownServiceException.class);
    }
  }

  @Test
  void theNearestNameCountsSwapsAsOneEditAndStopsAtTwo() {
    Set<String> services = Set.of("inventory", "orders", "users");
    assertThat(TypoGuard.nearest("inventroy", services)).isEqualTo("inventory"); // one swap
    assertThat(TypoGuard.nearest("order", services)).isEqualTo("orders");
    assertThat(TypoGuard.nearest("usrs", services)).isEqualTo("users");
    assertThat(TypoGuard.nearest("uzerz", services)).isEqualTo("users"); // two edits
    assertThat(TypoGuard.nearest("ozdrrt", services)).isNull(); // three from orders
    assertThat(TypoGuard.distance("abc", "abc", 3)).isZero();
    assertThat(TypoGuard.distance("", "abcdef", 3)).isEqualTo(3);
  }

  @Test
  void theMessageListsAtMostTwentyServicesHoweverManyThereAre() {
    Set<String> many = new TreeSet<>();
    for (int i = 0; i < 5_000; i++) {
      many.add(String.format("service-%04d", i));
    }
    UnknownServiceException e =
        new UnknownServiceException("servce-0001", TypoGuard.nearest("servce-0001", many), many);
    assertThat(e.suggestion()).contains("service-0001");
    assertThat(e.getMessage())
        .contains("service-0019")
        .doesNotContain("service-0020")
        .contains("and 4980 more")
        .hasSizeLessThan(600);
  }
}
