package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.resilience.CircuitBreakerPolicy;
import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.testing.FakeTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What a service does with the endpoint sets discovery delivers, including the shapes registries
 * really produce: one endpoint listed twice (Kubernetes documents that an endpoint can be in two
 * EndpointSlices; etcd can hold one URL under two instance ids; Consul under two service ids), null
 * entries, and the same set again.
 */
class DiscoveryUpdateTest {

  private final FakeTime time = new FakeTime();
  private final List<ResilienceEvent> events = new CopyOnWriteArrayList<>();

  private ServiceState service(LoadBalancerPolicy policy) {
    return new ServiceState(
        "inventory",
        policy,
        OutlierDetection.disabled(),
        SlowStart.disabled(),
        CircuitBreakerPolicy.disabled(),
        ZonePreference.none(),
        events::add,
        time,
        time,
        time,
        CurrentThreadRandom.INSTANCE);
  }

  private static List<String> origins(ServiceState service) {
    return service.snapshot().endpoints().stream().map(EndpointSnapshot::origin).sorted().toList();
  }

  private static List<Endpoint> endpoints(String... origins) {
    return new ArrayList<>(Arrays.stream(origins).map(Endpoint::of).toList());
  }

  @Test
  void aDuplicateAtStartUpStillGivesTheServiceItsEndpoints() {
    ServiceState service = service(LoadBalancerPolicy.peakEwma());
    service.update(endpoints("http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.1:80"));
    assertThat(origins(service)).containsExactly("http://10.0.0.1:80", "http://10.0.0.2:80");
    assertThat(service.snapshot().discoveryFailures()).isZero();
  }

  @Test
  void aDuplicateLaterDoesNotFreezeTheSet() {
    ServiceState service = service(LoadBalancerPolicy.peakEwma());
    service.update(endpoints("http://10.0.0.1:80", "http://10.0.0.2:80"));
    // the pod on .1 died; .3 came; .2 is in two slices while they are being rebalanced
    service.update(endpoints("http://10.0.0.2:80", "http://10.0.0.3:80", "http://10.0.0.2:80"));
    assertThat(origins(service)).containsExactly("http://10.0.0.2:80", "http://10.0.0.3:80");
  }

  @Test
  void duplicatesMergeToTheLargestWeightAndTheFirstListingsZoneAndMetadata() {
    ServiceState service = service(LoadBalancerPolicy.peakEwma());
    service.update(
        List.of(
            Endpoint.builder("http://10.0.0.1:80").weight(2).zone("a").metadata("v", "1").build(),
            Endpoint.builder("http://10.0.0.1:80").weight(5).zone("b").metadata("v", "2").build(),
            Endpoint.of("http://10.0.0.2:80")));
    EndpointSnapshot merged =
        service.snapshot().endpoints().stream()
            .filter(e -> e.origin().equals("http://10.0.0.1:80"))
            .findFirst()
            .orElseThrow();
    assertThat(merged.weight()).isEqualTo(5);
    assertThat(merged.zone()).isEqualTo("a");
    assertThat(merged.metadata()).containsEntry("v", "1");
  }

  @Test
  void nullEntriesAreLeftOutAndTheRestIsUsed() {
    ServiceState service = service(LoadBalancerPolicy.peakEwma());
    List<Endpoint> withNull = endpoints("http://10.0.0.1:80");
    withNull.add(null);
    service.update(withNull);
    assertThat(origins(service)).containsExactly("http://10.0.0.1:80");
  }

  @Test
  void onlyASetThatIsUnusableAsAWholeIsRefused() {
    ServiceState service = service(LoadBalancerPolicy.peakEwma());
    service.update(endpoints("http://10.0.0.1:80"));
    List<Endpoint> nulls = new ArrayList<>();
    nulls.add(null);
    service.update(nulls);
    service.update(List.of());
    service.update(null);
    assertThat(origins(service)).containsExactly("http://10.0.0.1:80");
    assertThat(service.snapshot().discoveryFailures()).isEqualTo(3);
  }

  @Test
  void theSameSetAgainChangesNothingAndRebuildsNothing() throws Exception {
    ServiceState service = service(LoadBalancerPolicy.consistentHash("X-User"));
    service.update(endpoints("http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.3:80"));
    Object ring = service.balancerState();
    service.update(endpoints("http://10.0.0.3:80", "http://10.0.0.1:80", "http://10.0.0.2:80"));
    assertThat(service.balancerState()).as("the ring of the same set").isSameAs(ring);
    service.update(endpoints("http://10.0.0.3:80", "http://10.0.0.1:80"));
    assertThat(service.balancerState()).as("a new set has its own ring").isNotSameAs(ring);
  }

  @Test
  void theRingIsBuiltWithTheSetAndBoundedWhateverTheWeights() throws Exception {
    ServiceState service = service(LoadBalancerPolicy.consistentHash("X-User"));
    List<Endpoint> heavy = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      heavy.add(Endpoint.of("http://10.0.%d.%d:80".formatted(i / 250, i % 250 + 1), 10_000));
    }
    service.update(heavy);
    Balancer.ConsistentHash.Ring ring = (Balancer.ConsistentHash.Ring) service.balancerState();
    assertThat(ring.size())
        .as("2,000,000 weight units, bounded")
        .isBetween(
            Balancer.ConsistentHash.MAX_POINTS - 200, Balancer.ConsistentHash.MAX_POINTS + 200);
    okhttp3.Request keyed =
        new okhttp3.Request.Builder().url("http://inventory/").header("X-User", "alice").build();
    EndpointState first = service.pick(time.read(), null, keyed, Map.of());
    for (int i = 0; i < 10; i++) {
      assertThat(service.pick(time.read(), null, keyed, Map.of())).isSameAs(first);
    }
    assertThat(service.balancerState()).as("a pick builds nothing").isSameAs(ring);

    service.update(
        List.of(Endpoint.of("http://10.1.0.1:80", 1), Endpoint.of("http://10.1.0.2:80", 3)));
    ring = (Balancer.ConsistentHash.Ring) service.balancerState();
    assertThat(ring.size()).as("100 points per unit of weight").isEqualTo(400);
  }
}
