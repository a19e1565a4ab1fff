package io.hyperlane.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hyperlane.client.Endpoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The edges of what the registries' answers may hold — ports, TTLs, metadata counts, message sizes
 * — and the retry pause, each on both sides of its bound. The property tests in {@link
 * DiscoveryParserProperties} cover arbitrary answers.
 */
class RegistryAnswerEdgesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) throws IOException {
    return JSON.readTree(text.replace('\'', '"'));
  }

  @Test
  void theRetryPauseDoublesFromATenthOfASecondToThirtySecondsWithJitterBelowIt() {
    long[][] bounds = {
      {0, 50, 100},
      {1, 50, 100},
      {2, 100, 200},
      {3, 200, 400},
      {9, 12_800, 25_600},
      {10, 15_000, 30_000},
      {30, 15_000, 30_000},
      {Integer.MAX_VALUE, 15_000, 30_000}
    };
    for (long[] b : bounds) {
      long min = Long.MAX_VALUE;
      long max = 0;
      for (int i = 0; i < 2_000; i++) {
        long pause = Registries.backoff((int) b[0]).toMillis();
        min = Math.min(min, pause);
        max = Math.max(max, pause);
      }
      assertThat(min).as("after %s failures", b[0]).isGreaterThanOrEqualTo(b[1]);
      assertThat(max).as("after %s failures", b[0]).isLessThanOrEqualTo(b[2]);
      assertThat(max - min).as("jittered over half the range").isGreaterThan((b[2] - b[1]) / 2);
    }
  }

  @Test
  void aWatchMessageMayBeAsLargeAsAWholeListAndNotOneByteMore() throws IOException {
    int bound = (int) Registries.MAX_ANSWER_BYTES;
    try (Registries.BoundedStream in = new Registries.BoundedStream(zeros(bound + 1))) {
      assertThat(in.readNBytes(bound)).hasSize(bound);
      assertThatThrownBy(in::read)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("larger than");
    }
    try (Registries.BoundedStream in = new Registries.BoundedStream(zeros(2 * bound + 8))) {
      assertThat(in.readNBytes(bound - 1)).hasSize(bound - 1);
      assertThat(in.read()).isZero(); // one byte at a time counts too
      in.nextMessage(); // the next message has the whole bound again
      assertThat(in.readNBytes(bound)).hasSize(bound);
      assertThatThrownBy(() -> in.read(new byte[8], 0, 8)).isInstanceOf(IOException.class);
    }
    try (Registries.BoundedStream in = new Registries.BoundedStream(zeros(3))) {
      assertThat(in.readNBytes(10)).hasSize(3);
      assertThat(in.read()).as("the end is no byte").isEqualTo(-1);
      assertThat(in.read(new byte[4], 0, 4)).isEqualTo(-1);
    }
  }

  private static InputStream zeros(int n) {
    return new ByteArrayInputStream(new byte[n]);
  }

  @Test
  void consulPortsAreOneTo65535AndAnIpv6AddressIsBracketed() throws IOException {
    for (int port : new int[] {1, 65535}) {
      Endpoint e =
          ConsulDiscovery.instance(
              json("{'Service':{'Address':'10.0.0.5','Port':" + port + "}}"),
              "http",
              "zone",
              new ArrayList<>());
      assertThat(e.url().port()).isEqualTo(port);
    }
    for (int port : new int[] {0, 65536, -1}) {
      assertThatThrownBy(
              () ->
                  ConsulDiscovery.instance(
                      json("{'Service':{'Address':'10.0.0.5','Port':" + port + "}}"),
                      "http",
                      "zone",
                      new ArrayList<>()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("1..65535");
    }
    Endpoint v6 =
        ConsulDiscovery.instance(
            json("{'Service':{'Address':'::1','Port':8080}}"), "http", "zone", new ArrayList<>());
    assertThat(v6.origin()).isEqualTo("http://[::1]:8080");
    Endpoint bracketed =
        ConsulDiscovery.instance(
            json("{'Service':{'Address':'[::1]','Port':8080}}"), "http", "zone", new ArrayList<>());
    assertThat(bracketed.origin()).isEqualTo("http://[::1]:8080");
  }

  @Test
  void kubernetesPortsAreOneTo65535() throws IOException {
    for (int port : new int[] {1, 65535}) {
      List<Endpoint> endpoints =
          KubernetesDiscovery.endpoints(slice(port), "http", null, new ArrayList<>());
      assertThat(endpoints).extracting(e -> e.url().port()).containsExactly(port);
    }
    for (int port : new int[] {0, 65536}) {
      assertThat(KubernetesDiscovery.endpoints(slice(port), "http", null, new ArrayList<>()))
          .as("port %s", port)
          .isEmpty();
    }
  }

  private static JsonNode slice(int port) throws IOException {
    return json(
        "{'metadata':{'name':'inventory-abc'},'addressType':'IPv4',"
            + "'ports':[{'name':'http','port':"
            + port
            + "}],"
            + "'endpoints':[{'addresses':['10.0.0.5']}]}");
  }

  @Test
  void atMost64MetadataEntriesAreKeptAndTheRestNamed() throws IOException {
    ObjectNode metadata = JSON.createObjectNode();
    for (int i = 0; i < 66; i++) {
      metadata.put("k" + i, "v");
    }
    Endpoint.Builder builder = Endpoint.builder("http://10.0.0.5:8080");
    List<String> problems = new ArrayList<>();
    Registries.metadata(metadata, builder, "/services/x", problems);
    assertThat(builder.build().metadata()).hasSize(64);
    assertThat(problems).hasSize(2).allSatisfy(p -> assertThat(p).contains("more than 64"));
  }

  @Test
  void aSelfRegistrationsTtlIsTwoSecondsToAnHour() {
    EtcdDiscovery etcd = EtcdDiscovery.builder("http://127.0.0.1:1").build();
    Endpoint self = Endpoint.of("http://127.0.0.1:8080");
    for (Duration ttl : new Duration[] {Duration.ofSeconds(2), Duration.ofHours(1)}) {
      assertThat(etcd.registration("inventory", "i-1", self, ttl)).isNotNull();
    }
    for (Duration ttl :
        new Duration[] {Duration.ofSeconds(2).minusMillis(1), Duration.ofHours(1).plusMillis(1)}) {
      assertThatThrownBy(() -> etcd.registration("inventory", "i-1", self, ttl))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("ttl");
    }
  }
}
