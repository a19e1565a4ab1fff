package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.testing.FakeTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SRV records from a real DNS server (dnsmasq on loopback), on fake time for the refreshes. */
class DnsSrvDiscoveryTest {

  private final FakeTime time = new FakeTime();

  private static final String[] RECORDS = {
    "srv-host=_http._tcp.inventory.test,a.inventory.test,8081,0,10",
    "srv-host=_http._tcp.inventory.test,b.inventory.test,8082,0,30",
    "srv-host=_http._tcp.inventory.test,backup.inventory.test,8083,10,10",
    "host-record=a.inventory.test,127.0.0.1",
    "host-record=b.inventory.test,127.0.0.2",
    "host-record=backup.inventory.test,127.0.0.3",
  };

  private Hyperlane start(Dnsmasq dns) {
    return FakeTimes.drive(time, Hyperlane.builder())
        .telemetry(false)
        .service(
            "inventory",
            s ->
                s.discovery(
                    DnsSrvDiscovery.builder("_http._tcp.inventory.test")
                        .dnsServer("127.0.0.1", dns.port())
                        .refreshEvery(Duration.ofSeconds(10))
                        .queryTimeout(Duration.ofMillis(100))
                        .build()))
        .build();
  }

  private static List<String> endpoints(Hyperlane hyperlane) {
    return hyperlane.snapshot().service("inventory").endpoints().stream()
        .map(e -> e.origin() + " w" + e.weight())
        .sorted()
        .toList();
  }

  @Test
  void theLowestPriorityRecordsBecomeEndpointsWithTheirPortsAndWeights() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(RECORDS);
        Hyperlane hyperlane = start(dns)) {
      assertThat(endpoints(hyperlane))
          .containsExactly("http://127.0.0.1:8081 w10", "http://127.0.0.2:8082 w30");
    }
  }

  @Test
  void aChangeIsSeenAtTheNextRefreshAndAnOutageKeepsTheLastGoodSet() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(RECORDS);
        Hyperlane hyperlane = start(dns)) {
      dns.serve(
          "srv-host=_http._tcp.inventory.test,c.inventory.test,9090,0,1",
          "host-record=c.inventory.test,127.0.0.4");
      assertThat(endpoints(hyperlane)).hasSize(2); // not before the refresh
      time.advance(Duration.ofSeconds(10));
      assertThat(endpoints(hyperlane)).containsExactly("http://127.0.0.4:9090 w1");

      dns.stop();
      time.advance(Duration.ofSeconds(10));
      assertThat(endpoints(hyperlane)).containsExactly("http://127.0.0.4:9090 w1");
      assertThat(hyperlane.snapshot().service("inventory").discoveryFailures()).isEqualTo(1);

      dns.serve(RECORDS); // back: used again at the next try (5 s after a failure)
      time.advance(Duration.ofSeconds(5));
      assertThat(endpoints(hyperlane)).hasSize(2);
    }
  }

  @Test
  void aNameWithoutRecordsIsAFailureNotAnEmptyService() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start("host-record=x.inventory.test,127.0.0.9");
        Hyperlane hyperlane = start(dns)) {
      assertThat(hyperlane.snapshot().service("inventory").endpoints()).isEmpty();
      assertThat(hyperlane.snapshot().service("inventory").discoveryFailures()).isEqualTo(1);
    }
  }

  @Test
  void badNamesAndServersAreRefusedByTheBuilder() {
    assertThatThrownBy(() -> DnsSrvDiscovery.builder("_http._tcp.in ventory"))
        .hasMessageContaining("must be a DNS name");
    assertThatThrownBy(() -> DnsSrvDiscovery.builder("_x._tcp.a").dnsServer("127.0.0.1", 0))
        .hasMessageContaining("port must be between 1 and 65535 but was 0");
  }
}
