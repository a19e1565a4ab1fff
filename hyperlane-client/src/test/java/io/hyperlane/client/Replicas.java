package io.hyperlane.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Real HTTP servers on loopback, one per replica of a service; each answers with its own name so a
 * test can tell which one served a call.
 */
final class Replicas implements AutoCloseable {

  private final List<WireMockServer> servers = new ArrayList<>();

  static Replicas start(int count) {
    Replicas replicas = new Replicas();
    for (int i = 0; i < count; i++) {
      replicas.add("127.0.0.1", 0);
    }
    return replicas;
  }

  /** Starts one more replica bound to {@code address}; port 0 picks a free one. */
  int add(String address, int port) {
    WireMockServer server =
        new WireMockServer(
            options().bindAddress(address).port(port).containerThreads(16).jettyAcceptors(1));
    server.start();
    servers.add(server);
    int index = servers.size() - 1;
    answer(index, 200, 0);
    return index;
  }

  /** Makes replica {@code i} answer every request with {@code status} after {@code delayMillis}. */
  void answer(int i, int status, int delayMillis) {
    WireMockServer server = servers.get(i);
    server.resetMappings();
    server.stubFor(
        any(anyUrl())
            .willReturn(
                aResponse()
                    .withStatus(status)
                    .withFixedDelay(delayMillis)
                    .withHeader("X-Replica", String.valueOf(i))
                    .withBody("replica-" + i)));
  }

  /** Makes replica {@code i} answer every request as {@code response} says. */
  void answer(int i, ResponseDefinitionBuilder response) {
    WireMockServer server = servers.get(i);
    server.resetMappings();
    server.stubFor(any(anyUrl()).willReturn(response.withHeader("X-Replica", String.valueOf(i))));
  }

  int count() {
    return servers.size();
  }

  WireMockServer server(int i) {
    return servers.get(i);
  }

  int size() {
    return servers.size();
  }

  String url(int i) {
    WireMockServer s = servers.get(i);
    return "http://" + s.getOptions().bindAddress() + ":" + s.port();
  }

  String[] urls() {
    String[] urls = new String[servers.size()];
    for (int i = 0; i < urls.length; i++) {
      urls[i] = url(i);
    }
    return urls;
  }

  /** How many requests replica {@code i} has received. */
  int received(int i) {
    return servers
        .get(i)
        .countRequestsMatching(RequestPatternBuilder.allRequests().build())
        .getCount();
  }

  /**
   * Sends a GET through {@code client} and returns the index of the replica that answered, or -1
   * for a response that no replica stamped. The response is always closed.
   */
  /**
   * Sends a few requests straight to every replica with {@code client} (not through Hyperlane), so
   * that the first calls a test measures do not pay for the servers' and the JIT's cold start or
   * for opening connections: a latency-aware balancer would remember such a spike for seconds.
   */
  void warmUp(OkHttpClient client) throws IOException {
    for (int i = 0; i < servers.size(); i++) {
      for (int n = 0; n < 10; n++) {
        get(client, url(i) + "/warm-up");
      }
    }
  }

  static int get(OkHttpClient client, String url) throws IOException {
    return get(client, new Request.Builder().url(url).build());
  }

  static int get(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      String replica = response.header("X-Replica");
      return replica == null ? -1 : Integer.parseInt(replica);
    }
  }

  /** Sends {@code request} with {@code enqueue()}; the future completes with the status code. */
  static CompletableFuture<Integer> enqueue(OkHttpClient client, Request request) {
    CompletableFuture<Integer> status = new CompletableFuture<>();
    client
        .newCall(request)
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, IOException e) {
                status.completeExceptionally(e);
              }

              @Override
              public void onResponse(Call call, Response response) {
                try (response) {
                  status.complete(response.code());
                }
              }
            });
    return status;
  }

  @Override
  public void close() {
    servers.forEach(WireMockServer::stop);
  }
}
