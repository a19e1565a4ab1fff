package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.discovery.KubernetesDiscovery;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;

/**
 * Kubernetes: the ready endpoints of a Service, from its EndpointSlices, listed then watched. Copy
 * {@link #inCluster} for a pod (the service account's token, CA and namespace), or {@link
 * #fromOutside} for a process with its own access to the API server. The Hyperlane service name is
 * the Kubernetes Service name; the pod's service account needs {@code list} and {@code watch} on
 * {@code endpointslices.discovery.k8s.io}.
 */
public final class KubernetesRecipe {

  /** In a pod: everything comes from its service account. */
  static Hyperlane.Builder inCluster(Hyperlane.Builder builder) {
    KubernetesDiscovery kubernetes = KubernetesDiscovery.inCluster();
    return builder.service("inventory", s -> s.discovery(kubernetes));
  }

  /**
   * Outside the cluster: the API server, the namespace, a token and a client that trusts the
   * cluster's CA (its {@code sslSocketFactory}).
   */
  static Hyperlane.Builder fromOutside(
      Hyperlane.Builder builder,
      String apiServerUrl,
      String namespace,
      Supplier<String> token,
      OkHttpClient trustingTheClusterCa) {
    KubernetesDiscovery kubernetes =
        KubernetesDiscovery.builder(apiServerUrl)
            .namespace(namespace)
            .token(token) // asked before every request, so a rotating token is read again
            .client(trustingTheClusterCa)
            // .portName("http")  // only if the Service's port is named: the first port otherwise
            .build();
    return builder.service("inventory", s -> s.discovery(kubernetes));
  }

  public static void main(String[] args) {
    try (Hyperlane hyperlane = inCluster(Hyperlane.builder()).build()) {
      System.out.println(hyperlane.describe());
    }
  }
}
