/**
 * Hyperlane's facade: discovery, balancing, routing, TLS and telemetry over the resilience and
 * cache stages.
 */
module io.hyperlane.client {
  requires transitive io.hyperlane.resilience;
  requires transitive io.hyperlane.cache;
  requires transitive okhttp3;
  requires transitive io.opentelemetry.api; // Builder.openTelemetry takes the application's
  requires io.opentelemetry.context;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;
  requires java.naming; // DNS SRV through JNDI's DNS provider
  requires jdk.naming.dns;
  requires static transitive org.jspecify;

  exports io.hyperlane.client;
}
