package io.hyperlane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes loop — list EndpointSlices, watch from the list's resourceVersion, apply added,
 * modified and deleted slices, skip bookmarks, list again on 410 Gone — against the API server's
 * documented answers, scripted in process. The tests against a WireMock API server are in {@link
 * KubernetesDiscoveryTest}.
 */
class KubernetesWatchLoopTest {

  private final ScriptedRegistry api = new ScriptedRegistry();

  @AfterEach
  void stop() {
    api.close();
  }

  private static String slice(String name, String version, String... addresses) {
    StringBuilder endpoints = new StringBuilder();
    for (String address : addresses) {
      endpoints
          .append(endpoints.length() == 0 ? "" : ",")
          .append("{\"addresses\":[\"")
          .append(address)
          .append("\"]}");
    }
    return "{\"metadata\":{\"name\":\""
        + name
        + "\",\"resourceVersion\":\""
        + version
        + "\"},"
        + "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080}],"
        + "\"endpoints\":["
        + endpoints
        + "]}";
  }

  private static String list(String version, String... slices) {
    return "{\"metadata\":{\"resourceVersion\":\""
        + version
        + "\"},\"items\":["
        + String.join(",", slices)
        + "]}";
  }

  private static String event(String type, String object) {
    return "{\"type\":\"" + type + "\",\"object\":" + object + "}";
  }

  @Test
  void listsThenWatchesFromItsVersionAndListsAgainWhenTheVersionIsGone() {
    api.answers.add(
        list(
            "100",
            slice("inventory-a", "90", "10.0.0.1"),
            "{\"metadata\":{}}")); // a slice without a name: named as a failure, the rest used
    api.answers.add(
        event("ADDED", slice("inventory-b", "101", "10.0.0.2"))
            + event("BOOKMARK", "{\"metadata\":{\"resourceVersion\":\"102\"}}")
            + event("MODIFIED", slice("inventory-a", "103", "10.0.0.3"))
            + event("DELETED", slice("inventory-b", "104")));
    api.answers.add(event("ERROR", "{\"code\":410,\"message\":\"too old resource version\"}"));
    api.answers.add(list("200", slice("inventory-c", "199", "10.0.0.4")));
    api.subscribe(
        KubernetesDiscovery.builder("http://127.0.0.1:6443")
            .namespace("shop")
            .portName("http")
            .token(() -> "t0ken")
            .client(api.client)
            .build());

    api.awaitUpdates(5);
    assertThat(api.updates)
        .containsExactly(
            List.of("http://10.0.0.1:8080"),
            List.of("http://10.0.0.1:8080", "http://10.0.0.2:8080"),
            List.of("http://10.0.0.3:8080", "http://10.0.0.2:8080"),
            List.of("http://10.0.0.3:8080"),
            List.of("http://10.0.0.4:8080"));
    assertThat(api.failures)
        .singleElement()
        .satisfies(f -> assertThat(f).hasMessageContaining("metadata.name"));

    api.awaitRequests(5);
    List<HttpUrl> urls = api.urls;
    assertThat(urls.get(0).queryParameter("watch")).isNull();
    assertThat(urls.get(0).queryParameter("labelSelector"))
        .isEqualTo("kubernetes.io/service-name=inventory");
    assertThat(urls.get(0).encodedPath())
        .isEqualTo("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices");
    assertThat(urls.get(1).queryParameter("resourceVersion")).isEqualTo("100");
    assertThat(urls.get(2).queryParameter("resourceVersion"))
        .as("the stream ended: resume from the last version seen, a bookmark's included")
        .isEqualTo("104");
    assertThat(urls.get(3).queryParameter("watch")).as("410 Gone: list again").isNull();
    assertThat(urls.get(4).queryParameter("resourceVersion")).isEqualTo("200");
  }

  @Test
  void aWatchErrorOrAnUnknownEventIsAFailureAndEveryStepForwardStartsThePausesAgain() {
    api.answers.add("{}"); // no items, no version: a failure
    api.answers.add(list("100", slice("inventory-a", "90", "10.0.0.1")));
    api.answers.add(event("ERROR", "{\"code\":500,\"message\":\"etcd is down\"}"));
    api.subscribe(
        KubernetesDiscovery.builder("http://127.0.0.1:6443")
            .namespace("shop")
            .client(api.client)
            .build());
    api.awaitPauses(1);
    api.pauses.get(0).run();
    api.awaitPauses(2);
    assertThat(api.failures.get(1)).hasMessage("Kubernetes watch error: etcd is down");
    assertThat(api.firstPause(1)).as("a list that worked resets the pauses").isTrue();

    api.answers.add(
        event("MODIFIED", slice("inventory-a", "101", "10.0.0.2"))
            + event("SURPRISE", slice("inventory-a", "102", "10.0.0.9")));
    api.pauses.get(1).run();
    api.awaitPauses(3);
    assertThat(api.failures.get(2)).hasMessageContaining("unknown type \"SURPRISE\"");
    assertThat(api.firstPause(2)).as("an event that changed something resets them too").isTrue();
    assertThat(api.updates)
        .containsExactly(List.of("http://10.0.0.1:8080"), List.of("http://10.0.0.2:8080"));
    assertThat(api.urls.get(3).queryParameter("resourceVersion")).isEqualTo("100");

    api.answers.add(event("MODIFIED", "{\"metadata\":{\"resourceVersion\":\"103\"}}"));
    api.pauses.get(2).run();
    api.awaitFailures(4);
    assertThat(api.failures.get(3))
        .as("a slice without a name is named as a failure")
        .hasMessageContaining("metadata.name");
    assertThat(api.urls.get(4).queryParameter("resourceVersion")).isEqualTo("101");
  }
}
