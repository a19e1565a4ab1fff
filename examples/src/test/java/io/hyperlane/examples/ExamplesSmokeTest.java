package io.hyperlane.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.client.EndpointSnapshot;
import io.hyperlane.client.ServiceSnapshot;
import org.junit.jupiter.api.Test;

/** Runs every recipe and the demo, and checks that each still does what its README section says. */
class ExamplesSmokeTest {

  @Test
  void quickStartCallsTheServiceByNameAcrossBothReplicas() throws Exception {
    try (LocalReplica a = LocalReplica.start("a"); LocalReplica b = LocalReplica.start("b")) {
      String out = QuickStart.run(a.url(), b.url());
      assertThat(out).contains("200 hello from ").endsWith("4 calls\n");
      assertThat(a.served() + b.served()).isEqualTo(4);
    }
  }

  @Test
  void dnsRecipeReachesTheReplicaThroughTheResolvedName() throws Exception {
    try (LocalReplica replica = LocalReplica.start("dns")) {
      ServiceSnapshot snapshot = DnsDiscoveryRecipe.run(replica.port());
      assertThat(snapshot.endpoints()).extracting(EndpointSnapshot::origin)
          .contains("http://127.0.0.1:" + replica.port());
      assertThat(replica.served()).isEqualTo(1);
    }
  }

  @Test
  void loadBalancingRecipeHonoursWeightsAndEjectsTheBrokenReplica() throws Exception {
    try (LocalReplica big = LocalReplica.start("big");
        LocalReplica small = LocalReplica.start("small");
        LocalReplica broken = LocalReplica.start("broken")) {
      broken.status(503);
      ServiceSnapshot snapshot = LoadBalancingRecipe.run(big.url(), small.url(), broken.url());
      EndpointSnapshot brokenState = snapshot.endpoint(broken.url()).orElseThrow();
      assertThat(brokenState.ejected()).isTrue();
      assertThat(brokenState.failures()).isEqualTo(3);
      // 3:1 between the healthy two; the 3 failed attempts were retried on them, so all 40 calls
      // ended at a healthy replica.
      assertThat(big.served()).isGreaterThan(2 * small.served());
      assertThat(big.served() + small.served()).isEqualTo(40);
      assertThat(broken.served()).isEqualTo(3);
    }
  }

  @Test
  void theDemoSendsTheSlowReplicaFarLessThanRoundRobinDoes() throws Exception {
    Demo.Comparison c = Demo.run(600);
    assertThat(c.roundRobin().perReplica()).containsExactly(200, 200, 200);
    assertThat(c.hyperlane().errors()).isZero();
    assertThat(c.hyperlane().share(2)).isLessThan(0.10);
    assertThat(Demo.table(c)).contains("requests to replica-3 (slow)").contains("p99 latency");
  }
}
