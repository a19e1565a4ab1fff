package io.hyperlane.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Consul loop of blocking queries: each asks from the last {@code X-Consul-Index}, an unchanged
 * index pauses a second, an index going backwards (or to 0) starts over, and an answer without a
 * valid index is a failure. Answers are Consul's documented health endpoint, scripted in process;
 * the tests against a WireMock Consul are in {@link ConsulDiscoveryTest}.
 */
class ConsulQueryLoopTest {

  private final ScriptedRegistry consul = new ScriptedRegistry();

  @AfterEach
  void stop() {
    consul.close();
  }

  private static String entry(String address) {
    return "{\"Service\":{\"Address\":\"" + address + "\",\"Port\":8080}}";
  }

  private static String answer(String index, String... entries) {
    return "@X-Consul-Index: " + index + "\n[" + String.join(",", entries) + "]";
  }

  @Test
  void eachQueryAsksFromTheLastIndexAndAnIndexGoingBackwardsStartsOver() {
    consul.answers.add(answer("5", entry("10.0.0.1"), entry("10.0.0.2"), entry("")));
    consul.answers.add(answer("5", entry("10.0.0.1"), entry("10.0.0.2")));
    consul.subscribe(
        ConsulDiscovery.builder("http://127.0.0.1:8500")
            .datacenter("eu")
            .token("s3cret")
            .wait(Duration.ofSeconds(30))
            .client(consul.client)
            .build());
    consul.awaitPauses(1);
    assertThat(consul.updates)
        .containsExactly(List.of("http://10.0.0.1:8080", "http://10.0.0.2:8080"));
    assertThat(consul.failures)
        .singleElement()
        .satisfies(f -> assertThat(f).hasMessageContaining("1..65535"));

    consul.answers.add(answer("3", entry("10.0.0.3")));
    consul.answers.add(answer("123456789012345678", entry("10.0.0.4")));
    consul.answers.add("@X-Consul-Index: 12a\n[]");
    consul.pauses.get(0).run();
    consul.awaitPauses(2);
    assertThat(consul.updates)
        .containsExactly(
            List.of("http://10.0.0.1:8080", "http://10.0.0.2:8080"),
            List.of("http://10.0.0.3:8080"),
            List.of("http://10.0.0.4:8080"));
    assertThat(consul.failures.get(1)).hasMessage("Consul answered without a valid X-Consul-Index");

    assertThat(consul.urls)
        .extracting(u -> u.queryParameter("index"))
        .containsExactly(null, "5", "5", null, "123456789012345678");
    assertThat(consul.urls.get(0).encodedPath()).isEqualTo("/v1/health/service/inventory");
    assertThat(consul.urls.get(0).queryParameter("passing")).isEqualTo("true");
    assertThat(consul.urls.get(0).queryParameter("wait")).isEqualTo("30s");
    assertThat(consul.urls.get(0).queryParameter("dc")).isEqualTo("eu");
    assertThat(consul.headers.get(0).get("X-Consul-Token")).isEqualTo("s3cret");
  }

  @Test
  void aFirstAnswerAtIndexZeroIsUsedAndNeitherItNorOneTooLongIsAskedFrom() {
    consul.answers.add(answer("0", entry("10.0.0.1"))); // a Consul bug its docs warn of
    consul.answers.add(answer("1234567890123456789", entry("10.0.0.2")));
    consul.subscribe(
        ConsulDiscovery.builder("http://127.0.0.1:8500").client(consul.client).build());
    consul.awaitPauses(1); // after the failure
    assertThat(consul.updates).containsExactly(List.of("http://10.0.0.1:8080"));
    assertThat(consul.urls).extracting(u -> u.queryParameter("index")).containsExactly(null, null);
    assertThat(consul.failures)
        .singleElement()
        .satisfies(f -> assertThat(f).hasMessageContaining("X-Consul-Index"));
  }

  @Test
  void anAnswerAfterAFailureStartsThePausesAgain() {
    consul.answers.add("@X-Consul-Index: x\n[]");
    consul.answers.add(answer("5", entry("10.0.0.1")));
    consul.answers.add("not json");
    consul.subscribe(
        ConsulDiscovery.builder("http://127.0.0.1:8500").client(consul.client).build());
    consul.awaitPauses(1);
    consul.pauses.get(0).run();
    consul.awaitPauses(2);
    assertThat(consul.failures).hasSize(2);
    assertThat(consul.firstPause(1)).isTrue();
  }
}
