/** Registries over their HTTP APIs: etcd (with self-registration), Consul, Kubernetes. */
module io.hyperlane.discovery {
  requires transitive io.hyperlane.client;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;
  requires static transitive org.jspecify;

  exports io.hyperlane.discovery;
}
