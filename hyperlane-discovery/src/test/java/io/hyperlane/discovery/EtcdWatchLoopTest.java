package io.hyperlane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The etcd loop — list, watch from the next revision, apply puts and deletes, list again when the
 * watch is compacted — against etcd's documented JSON gateway answers, scripted in process so that
 * every step and the revision each request asks for can be checked. The tests against a real etcd
 * are in {@link EtcdDiscoveryTest}.
 */
class EtcdWatchLoopTest {

  private static final String PREFIX = "/hyperlane/services/inventory/";
  private final ScriptedRegistry etcd = new ScriptedRegistry();

  @AfterEach
  void stop() {
    etcd.close();
  }

  private EtcdDiscovery discovery() {
    return EtcdDiscovery.builder("http://127.0.0.1:2379").client(etcd.client).build();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String kv(String id, String value) {
    return "{\"key\":\"" + b64(PREFIX + id) + "\",\"value\":\"" + b64(value) + "\"}";
  }

  private static String instance(String id, String url) {
    return kv(id, "{\"url\":\"" + url + "\"}");
  }

  private static String range(long revision, String... kvs) {
    return "{\"header\":{\"revision\":\""
        + revision
        + "\"},\"kvs\":["
        + String.join(",", kvs)
        + "]}";
  }

  private static String event(String type, String kv) {
    return "{\"type\":\"" + type + "\",\"kv\":" + kv + "}";
  }

  @Test
  void listsThenWatchesFromTheNextRevisionAndListsAgainWhenTheWatchIsCompacted() {
    etcd.answers.add(range(0, instance("a", "http://10.0.0.1:8080"))); // no revision: not an answer
    etcd.subscribe(discovery());
    etcd.awaitPauses(1);
    assertThat(etcd.failures)
        .singleElement()
        .satisfies(f -> assertThat(f).hasMessage("etcd range answer without a revision"));
    assertThat(etcd.updates).isEmpty();

    etcd.answers.add(
        range(
            5,
            instance("a", "http://10.0.0.1:8080"),
            instance("b", "http://10.0.0.2:8080"),
            kv("x", "{\"url\":\"ftp://nowhere\"}")));
    etcd.answers.add(
        "{\"result\":{\"header\":{\"revision\":\"5\"},\"created\":true}}"
            + "{\"result\":{\"header\":{\"revision\":\"7\"},\"events\":["
            + event("PUT", instance("c", "http://10.0.0.3:8080"))
            + ","
            + event("DELETE", "{\"key\":\"" + b64(PREFIX + "a") + "\"}")
            + "]}}"
            + "{\"result\":{\"header\":{\"revision\":\"8\"},\"compact_revision\":\"9\"}}");
    etcd.answers.add(range(10, instance("d", "http://10.0.0.4:8080")));
    etcd.pauses.get(0).run(); // the pause is over

    etcd.awaitUpdates(3);
    assertThat(etcd.updates)
        .containsExactly(
            List.of("http://10.0.0.1:8080", "http://10.0.0.2:8080"),
            List.of("http://10.0.0.2:8080", "http://10.0.0.3:8080"),
            List.of("http://10.0.0.4:8080"));
    assertThat(etcd.failures).hasSize(2);
    assertThat(etcd.failures.get(1)).hasMessageContaining("etcd key " + PREFIX + "x");

    etcd.awaitRequests(5);
    assertThat(etcd.urls)
        .extracting(okhttp3.HttpUrl::encodedPath)
        .containsExactly("/v3/kv/range", "/v3/kv/range", "/v3/watch", "/v3/kv/range", "/v3/watch");
    assertThat(etcd.bodies.get(2).path("create_request").path("start_revision").asLong())
        .as("watch from the revision after the list")
        .isEqualTo(6);
    assertThat(etcd.bodies.get(4).path("create_request").path("start_revision").asLong())
        .isEqualTo(11);
    assertThat(etcd.bodies.get(0).path("key").asText()).isEqualTo(b64(PREFIX));
  }

  private static final String WATCH_ERROR =
      "{\"error\":{\"message\":\"etcdserver: mvcc:" + " required revision is a future revision\"}}";

  @Test
  void aWatchErrorIsAFailureAndEveryStepForwardStartsThePausesAgain() {
    etcd.answers.add(range(0)); // a failure
    etcd.answers.add(range(5, instance("a", "http://10.0.0.1:8080"))); // progress
    etcd.answers.add(WATCH_ERROR); // a failure after progress: the shortest pause
    etcd.subscribe(discovery());
    etcd.awaitPauses(1);
    etcd.pauses.get(0).run();
    etcd.awaitPauses(2);
    assertThat(etcd.failures.get(1))
        .hasMessageContaining("etcd watch error")
        .hasMessageContaining("future revision");
    assertThat(etcd.updates).containsExactly(List.of("http://10.0.0.1:8080"));
    assertThat(etcd.firstPause(1)).as("a list that worked resets the pauses").isTrue();

    etcd.answers.add(
        "{\"result\":{\"header\":{\"revision\":\"6\"},\"events\":["
            + event("PUT", instance("b", "http://10.0.0.2:8080"))
            + "]}}"
            + WATCH_ERROR);
    etcd.pauses.get(1).run();
    etcd.awaitPauses(3);
    assertThat(etcd.updates).hasSize(2);
    assertThat(etcd.firstPause(2))
        .as("a watch event that changed something resets them too")
        .isTrue();
  }
}
