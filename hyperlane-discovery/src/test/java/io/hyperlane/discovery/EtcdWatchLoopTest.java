package io.hyperlane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hyperlane.client.Endpoint;
import io.hyperlane.client.ServiceDiscovery;
import io.hyperlane.resilience.Scheduler;
import io.hyperlane.resilience.Ticker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
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
  private static final String END = "{\"end\":true}";

  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
  private final List<String> paths = new CopyOnWriteArrayList<>();
  private final List<Runnable> timers = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final List<List<String>> updates = new CopyOnWriteArrayList<>();

  private final ServiceDiscovery.Context context = new ServiceDiscovery.Context() {
    @Override
    public String serviceName() {
      return "inventory";
    }

    @Override
    public Ticker ticker() {
      return System::nanoTime;
    }

    @Override
    public Scheduler scheduler() {
      return (delay, task) -> {
        timers.add(task);
        return () -> { };
      };
    }

    @Override
    public Executor blockingExecutor() {
      return Runnable::run;
    }

    @Override
    public void update(List<Endpoint> endpoints) {
      updates.add(endpoints.stream().map(Endpoint::origin).toList());
    }

    @Override
    public void failed(Throwable cause) {
      failures.add(cause);
    }
  };

  /** etcd: each request takes the next scripted answer (a whole body), waiting for one. */
  private final OkHttpClient etcd = new OkHttpClient.Builder().addInterceptor(chain -> {
    Buffer body = new Buffer();
    chain.request().body().writeTo(body);
    requests.add(Registries.JSON.readTree(body.readUtf8()));
    paths.add(chain.request().url().encodedPath());
    String answer;
    try {
      answer = answers.poll(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      throw new IOException(e);
    }
    if (answer == null || answer.equals(END)) {
      throw new IOException("the test is over");
    }
    return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200)
        .message("OK").body(ResponseBody.create(answer, MediaType.get("application/json")))
        .build();
  }).build();

  private ServiceDiscovery.Subscription subscription;

  @AfterEach
  void stop() {
    if (subscription != null) {
      subscription.cancel();
    }
    answers.add(END);
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
    return "{\"header\":{\"revision\":\"" + revision + "\"},\"kvs\":[" + String.join(",", kvs)
        + "]}";
  }

  private static String event(String type, String kv) {
    return "{\"type\":\"" + type + "\",\"kv\":" + kv + "}";
  }

  private void awaitUpdates(int count) {
    Await.until(Duration.ofSeconds(10), () -> updates.size() >= count, count + " updates");
  }

  @Test
  void listsThenWatchesFromTheNextRevisionAndListsAgainWhenTheWatchIsCompacted() {
    answers.add(range(0, instance("a", "http://10.0.0.1:8080"))); // no revision: not an answer
    subscription = EtcdDiscovery.builder("http://127.0.0.1:2379").client(etcd).build()
        .subscribe(context);
    Await.until(Duration.ofSeconds(10), () -> timers.size() == 1, "the retry");
    assertThat(failures).singleElement().satisfies(f ->
        assertThat(f).hasMessage("etcd range answer without a revision"));
    assertThat(updates).isEmpty();

    answers.add(range(5, instance("a", "http://10.0.0.1:8080"),
        instance("b", "http://10.0.0.2:8080"), kv("x", "{\"url\":\"ftp://nowhere\"}")));
    answers.add("{\"result\":{\"header\":{\"revision\":\"5\"},\"created\":true}}"
        + "{\"result\":{\"header\":{\"revision\":\"7\"},\"events\":["
        + event("PUT", instance("c", "http://10.0.0.3:8080")) + ","
        + event("DELETE", "{\"key\":\"" + b64(PREFIX + "a") + "\"}") + "]}}"
        + "{\"result\":{\"header\":{\"revision\":\"8\"},\"compact_revision\":\"9\"}}");
    answers.add(range(10, instance("d", "http://10.0.0.4:8080")));
    timers.get(0).run(); // the pause is over

    awaitUpdates(3);
    assertThat(updates).containsExactly(
        List.of("http://10.0.0.1:8080", "http://10.0.0.2:8080"),
        List.of("http://10.0.0.2:8080", "http://10.0.0.3:8080"),
        List.of("http://10.0.0.4:8080"));
    assertThat(failures).hasSize(2);
    assertThat(failures.get(1)).hasMessageContaining("etcd key " + PREFIX + "x");

    Await.until(Duration.ofSeconds(10), () -> requests.size() == 5, "the second watch");
    assertThat(paths).containsExactly("/v3/kv/range", "/v3/kv/range", "/v3/watch",
        "/v3/kv/range", "/v3/watch");
    assertThat(requests.get(2).path("create_request").path("start_revision").asLong())
        .as("watch from the revision after the list").isEqualTo(6);
    assertThat(requests.get(4).path("create_request").path("start_revision").asLong())
        .isEqualTo(11);
    assertThat(requests.get(0).path("key").asText()).isEqualTo(b64(PREFIX));
  }

  @Test
  void aWatchErrorIsAFailureAndTheLoopGoesOn() {
    answers.add(range(5, instance("a", "http://10.0.0.1:8080")));
    answers.add("{\"error\":{\"message\":\"etcdserver: mvcc: required revision is a future"
        + " revision\"}}");
    subscription = EtcdDiscovery.builder("http://127.0.0.1:2379").client(etcd).build()
        .subscribe(context);
    Await.until(Duration.ofSeconds(10), () -> failures.size() == 1, "the watch error");
    assertThat(failures.get(0)).hasMessageContaining("etcd watch error")
        .hasMessageContaining("future revision");
    assertThat(updates).containsExactly(List.of("http://10.0.0.1:8080"));
    assertThat(timers).as("it watches again after a pause").hasSize(1);
  }
}
