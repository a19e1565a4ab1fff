package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** SRV records as a DNS server may send them, hostile ones included. */
class DnsAnswerProperties {

  @Property(tries = 10_000)
  void anSrvRecordParsesWithinRangeOrIsRefusedByName(@ForAll("records") String text) {
    Throwable t =
        catchThrowable(
            () -> {
              DnsSrvDiscovery.SrvRecord r =
                  DnsSrvDiscovery.SrvRecord.parse(text, "_http._tcp.inventory");
              assertThat(r.priority()).isBetween(0, 65535);
              assertThat(r.weight()).isBetween(0, 65535);
              assertThat(r.target().isEmpty() || r.port() >= 1 && r.port() <= 65535).isTrue();
            });
    assertThat(t)
        .satisfiesAnyOf(
            x -> assertThat(x).isNull(),
            x ->
                assertThat(x)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("_http._tcp.inventory"));
  }

  @Provide
  Arbitrary<String> records() {
    Arbitrary<String> number =
        Arbitraries.oneOf(
            Arbitraries.integers().between(-2, 70_000).map(String::valueOf),
            Arbitraries.of("+1", "0x10", "99999999999", "\u0663", "1.5", ""));
    Arbitrary<String> target =
        Arbitraries.oneOf(
            Arbitraries.of(".", "a.example.", "a.example", "127.0.0.1.", "-"),
            Arbitraries.strings().ofMaxLength(12));
    Arbitrary<String> shaped =
        Combinators.combine(number, number, number, target)
            .as((p, w, port, t) -> p + " " + w + " " + port + " " + t);
    return Arbitraries.oneOf(
        shaped, Arbitraries.strings().ofMaxLength(40), shaped.map(s -> "  " + s + "\t"));
  }
}
