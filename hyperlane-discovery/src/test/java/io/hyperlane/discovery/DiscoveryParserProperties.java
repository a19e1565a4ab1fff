package io.hyperlane.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hyperlane.client.Endpoint;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The registries' parsers over generated answers: JSON trees built from each registry's own field
 * names with values of every JSON type, random names among them. Each instance parses to an
 * endpoint or is refused with an {@link IllegalArgumentException} naming it; nothing else escapes.
 */
class DiscoveryParserProperties {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final List<String> NAMES =
      List.of(
          "url",
          "zone",
          "weight",
          "metadata",
          "Service",
          "Node",
          "Address",
          "Port",
          "Weights",
          "Passing",
          "Meta",
          "ID",
          "ports",
          "port",
          "name",
          "endpoints",
          "addresses",
          "conditions",
          "ready",
          "nodeName",
          "addressType",
          "metadata",
          "key",
          "value",
          "version",
          "x");

  @Property(tries = 10_000)
  void anEtcdInstanceParsesOrIsRefusedByName(
      @ForAll("instances") JsonNode value, @ForAll("json") JsonNode kv) {
    ObjectNode record = F.objectNode();
    record.put("key", EtcdDiscovery.b64("/hyperlane/services/inventory/a"));
    record.put("value", EtcdDiscovery.b64(value.toString()));
    for (JsonNode node : List.of(record, kv)) {
      Throwable t = catchThrowable(() -> EtcdDiscovery.instance("/k", node, new ArrayList<>()));
      assertThat(t)
          .satisfiesAnyOf(
              x -> assertThat(x).isNull(),
              x ->
                  assertThat(x)
                      .isInstanceOf(IllegalArgumentException.class)
                      .hasMessageStartingWith("etcd key /k"));
    }
    assertThat(EtcdDiscovery.revision(kv)).isGreaterThanOrEqualTo(-1);
  }

  @Property(tries = 10_000)
  void aConsulEntryParsesOrIsRefusedByName(@ForAll("consulEntries") JsonNode entry) {
    Throwable t =
        catchThrowable(
            () -> {
              Endpoint e = ConsulDiscovery.instance(entry, "http", "zone", new ArrayList<>());
              assertThat(e.weight()).isBetween(1, Endpoint.MAX_WEIGHT);
              assertThat(e.url().port()).isBetween(1, 65535);
            });
    assertThat(t)
        .satisfiesAnyOf(
            x -> assertThat(x).isNull(),
            x ->
                assertThat(x)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("Consul instance"));
  }

  @Property(tries = 10_000)
  void anEndpointSliceGivesItsUsableEndpointsAndNamesTheRest(@ForAll("slices") JsonNode slice) {
    List<String> problems = new ArrayList<>();
    Throwable t =
        catchThrowable(
            () -> {
              List<Endpoint> endpoints =
                  KubernetesDiscovery.endpoints(slice, "http", "http", problems);
              assertThat(endpoints.size() + problems.size())
                  .isLessThanOrEqualTo(slice.path("endpoints").size());
            });
    assertThat(t)
        .satisfiesAnyOf(
            x -> assertThat(x).isNull(),
            x ->
                assertThat(x)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("metadata.name"));
    assertThat(problems).allSatisfy(p -> assertThat(p).startsWith("EndpointSlice "));
  }

  /** Any JSON value, three levels deep at most, with the registries' field names. */
  @Provide
  Arbitrary<JsonNode> json() {
    return json(3);
  }

  private static Arbitrary<JsonNode> json(int depth) {
    Arbitrary<JsonNode> leaf =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(20).map(F::textNode),
            Arbitraries.of(
                    "http://127.0.0.1:8081",
                    "https://[::1]:8443",
                    "http://10.0.0.1",
                    "ftp://x",
                    "http://a b:1",
                    "10.0.0.1",
                    "::1",
                    "zone-a",
                    "IPv6",
                    "")
                .map(F::textNode),
            Arbitraries.integers().between(-5, 70_000).map(i -> (JsonNode) F.numberNode(i)),
            Arbitraries.longs().map(l -> (JsonNode) F.numberNode(l)),
            Arbitraries.just(F.numberNode(new BigInteger("4294967376"))),
            Arbitraries.just(F.numberNode(1.5)),
            Arbitraries.of(true, false).map(F::booleanNode),
            Arbitraries.just(F.nullNode()));
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<JsonNode> child = json(depth - 1);
    Arbitrary<JsonNode> object =
        net.jqwik.api.Combinators.combine(
                Arbitraries.oneOf(Arbitraries.of(NAMES), Arbitraries.strings().ofMaxLength(8))
                    .list()
                    .ofMaxSize(5),
                child.list().ofSize(5))
            .as(
                (names, values) -> {
                  ObjectNode o = F.objectNode();
                  for (int i = 0; i < names.size(); i++) {
                    o.set(names.get(i), values.get(i));
                  }
                  return (JsonNode) o;
                });
    Arbitrary<JsonNode> array =
        child
            .list()
            .ofMaxSize(4)
            .map(
                values -> {
                  ArrayNode a = F.arrayNode();
                  values.forEach(a::add);
                  return (JsonNode) a;
                });
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, leaf),
        net.jqwik.api.Tuple.of(3, object),
        net.jqwik.api.Tuple.of(1, array));
  }

  /** etcd instance records: mostly the right shape, with hostile values. */
  @Provide
  Arbitrary<JsonNode> instances() {
    return Arbitraries.oneOf(
        json(2),
        json(1)
            .list()
            .ofSize(4)
            .map(
                v -> {
                  ObjectNode o = F.objectNode();
                  o.set("url", v.get(0));
                  o.set("zone", v.get(1));
                  o.set("weight", v.get(2));
                  o.set("metadata", v.get(3));
                  return o;
                }));
  }

  @Provide
  Arbitrary<JsonNode> consulEntries() {
    return Arbitraries.oneOf(
        json(3),
        json(2)
            .list()
            .ofSize(6)
            .map(
                v -> {
                  ObjectNode service = F.objectNode();
                  service.set("ID", v.get(0));
                  service.set("Address", v.get(1));
                  service.set("Port", v.get(2));
                  service.set("Meta", v.get(3));
                  service.set("Weights", F.objectNode().set("Passing", v.get(4)));
                  ObjectNode entry = F.objectNode();
                  entry.set("Service", service);
                  entry.set("Node", F.objectNode().set("Address", v.get(5)));
                  return entry;
                }));
  }

  @Provide
  Arbitrary<JsonNode> slices() {
    return Arbitraries.oneOf(
        json(3),
        json(2)
            .list()
            .ofSize(5)
            .map(
                v -> {
                  ObjectNode slice = F.objectNode();
                  slice.set("metadata", F.objectNode().set("name", v.get(0)));
                  slice.set("addressType", v.get(1));
                  slice.set(
                      "ports",
                      F.arrayNode().add(F.objectNode().put("name", "http").set("port", v.get(2))));
                  ArrayNode endpoints = F.arrayNode();
                  endpoints.add(F.objectNode().set("addresses", F.arrayNode().add(v.get(3))));
                  endpoints.add(v.get(4));
                  slice.set("endpoints", endpoints);
                  return slice;
                }));
  }
}
