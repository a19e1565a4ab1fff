/** A test kit: fake time and local replicas with scripted faults, for JUnit 5. */
module io.hyperlane.testing {
  requires transitive io.hyperlane.resilience;
  requires transitive org.junit.jupiter.api;
  requires jdk.httpserver;
  requires static transitive org.jspecify;

  exports io.hyperlane.testing;
}
