/** Hyperlane behind Spring's HTTP clients: a {@code ClientHttpRequestFactory}. */
module io.hyperlane.spring {
  requires transitive io.hyperlane.client;
  requires transitive spring.web; // the application's: every user of this module has it
  requires static transitive org.jspecify;

  exports io.hyperlane.spring;
}
