package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Invalid configuration fails in build() with a message naming the setting and the bad value. */
class ConfigurationTest {

  @Test
  void buildReportsEveryProblemOfEveryServiceOnePerLine() {
    assertThatThrownBy(
            () ->
                Hyperlane.builder()
                    .service("Inventory", "htp:/127.0.0.1")
                    .service("orders_v2", "http://127.0.0.1:8081/api")
                    .service("users")
                    .service("users", "http://127.0.0.1:8082")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid Hyperlane configuration, 6 problems:\n  - ")
        .hasMessageContaining("\n  - service name must be a lower-case host name")
        .hasMessageContaining("but was \"Inventory\"")
        .hasMessageContaining("service \"Inventory\": ")
        .hasMessageContaining("\"htp:/127.0.0.1\"")
        .hasMessageContaining("but was \"orders_v2\"")
        .hasMessageContaining("service \"orders_v2\": ")
        .hasMessageContaining("service \"users\": has no endpoints")
        .hasMessageContaining("service \"users\" is registered twice");
  }

  @Test
  void oneProblemIsSaidSo() {
    assertThatThrownBy(() -> Hyperlane.builder().service("inventory").build())
        .hasMessageStartingWith("invalid Hyperlane configuration, 1 problem:\n  - service");
  }

  @Test
  void aServiceWithNoEndpointsIsRefused() {
    assertThatThrownBy(() -> Hyperlane.builder().service("inventory").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service \"inventory\": has no endpoints");
  }

  @Test
  void aMalformedUrlIsRefusedAndNamed() {
    assertThatThrownBy(() -> Hyperlane.builder().service("inventory", "htp:/127.0.0.1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service \"inventory\"")
        .hasMessageContaining("\"htp:/127.0.0.1\"");
  }

  @Test
  void anEndpointWithAPathIsRefused() {
    assertThatThrownBy(
            () -> Hyperlane.builder().service("inventory", "http://127.0.0.1:8081/api").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no path, query or fragment")
        .hasMessageContaining("http://127.0.0.1:8081/api");
  }

  @Test
  void credentialsInAnEndpointAreRefusedWithoutBeingEchoed() {
    assertThatThrownBy(
            () ->
                Hyperlane.builder()
                    .service("inventory", "http://bob:s3cret@127.0.0.1:8081")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not carry credentials")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void aDuplicateServiceNameIsRefused() {
    assertThatThrownBy(
            () ->
                Hyperlane.builder()
                    .service("inventory", "http://127.0.0.1:8081")
                    .service("inventory", "http://127.0.0.1:8082")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service \"inventory\" is registered twice");
  }

  @Test
  void aNegativeWeightIsRefusedAndNamed() {
    assertThatThrownBy(
            () ->
                Hyperlane.builder()
                    .service("inventory", s -> s.endpoint("http://127.0.0.1:8081", -2))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight must be between 1 and 10000 but was -2")
        .hasMessageContaining("http://127.0.0.1:8081");
  }

  @Test
  void aServiceNameThatIsNotALowerCaseHostNameIsRefused() {
    assertThatThrownBy(
            () -> Hyperlane.builder().service("Inventory_v2", "http://127.0.0.1:1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"Inventory_v2\"");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(
            () ->
                Hyperlane.builder()
                    .service("a")
                    .service("b", "nope")
                    .service(
                        "c", s -> s.endpoint("http://127.0.0.1:1").endpoint("http://127.0.0.1:1"))
                    .build())
        .hasMessageContaining("service \"a\": has no endpoints")
        .hasMessageContaining("service \"b\"")
        .hasMessageContaining("service \"c\": endpoint http://127.0.0.1:1 is listed twice");
  }

  @Test
  void staticEndpointsAndADiscoveryTogetherAreRefused() {
    assertThatThrownBy(
            () ->
                Hyperlane.builder()
                    .service(
                        "inventory",
                        s ->
                            s.endpoint("http://127.0.0.1:1")
                                .discovery(DnsDiscovery.builder("inventory.test").build()))
                    .build())
        .hasMessageContaining("both static endpoints and a discovery");
  }

  @Test
  void policyBuildersFailFastNamingTheSetting() {
    assertThatThrownBy(() -> OutlierDetection.builder().consecutiveFailures(0))
        .hasMessage("consecutiveFailures must be between 1 and 1000 but was 0");
    assertThatThrownBy(() -> OutlierDetection.builder().maxEjectedShare(1.5))
        .hasMessage("maxEjectedShare must be between 0.0 and 1.0 but was 1.5");
    assertThatThrownBy(
            () ->
                OutlierDetection.builder()
                    .baseEjectionTime(Duration.ofMinutes(10))
                    .maxEjectionTime(Duration.ofMinutes(1))
                    .build())
        .hasMessageContaining("maxEjectionTime (PT1M) must not be shorter than baseEjectionTime");
    assertThatThrownBy(() -> SlowStart.of(Duration.ZERO, 0.1))
        .hasMessageContaining("slow start window must be between 1ms and 1h but was PT0S");
    assertThatThrownBy(
            () -> LoadBalancerPolicy.peakEwma(Duration.ofSeconds(10), Duration.ofSeconds(-1)))
        .hasMessageContaining("failurePenalty must be between 0 and 10m but was PT-1S");
    assertThatThrownBy(() -> DnsDiscovery.builder("x").port(70000))
        .hasMessage("port must be between 1 and 65535 but was 70000");
  }

  @Test
  void aValidConfigurationBuilds() {
    try (Hyperlane hyperlane =
        Hyperlane.builder()
            .service("inventory", "http://127.0.0.1:8081", "https://[::1]:8443")
            .build()) {
      assertThat(hyperlane.snapshot().service("inventory").endpoints())
          .extracting(EndpointSnapshot::origin)
          .containsExactly("http://127.0.0.1:8081", "https://[::1]:8443");
    }
  }
}
