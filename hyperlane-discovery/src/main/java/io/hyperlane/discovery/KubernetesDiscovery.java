package io.hyperlane.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import io.hyperlane.client.Endpoint;
import io.hyperlane.client.ServiceDiscovery;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints from the EndpointSlices of a Kubernetes Service ({@code discovery.k8s.io/v1}, selected
 * by the label {@code kubernetes.io/service-name}): the slices are listed, then watched from the
 * list's resource version, so a pod that becomes ready or goes away reaches Hyperlane as soon as
 * the API server reports it. Only endpoints whose {@code conditions.ready} is true (or unset, which
 * the API says to read as ready) are used; the zone comes from the endpoint; the port is the slice
 * port with the configured name, or its first port.
 *
 * <pre>{@code
 * Hyperlane.builder().service("inventory", s -> s.discovery(KubernetesDiscovery.inCluster()))…
 * }</pre>
 *
 * <p>The Hyperlane service name is the Kubernetes Service name. {@link #inCluster()} uses the pod's
 * service account: the API server from {@code KUBERNETES_SERVICE_HOST}/{@code _PORT}, the token
 * (read again for every request, since it rotates), the cluster CA and the namespace from {@code
 * /var/run/secrets/kubernetes.io/serviceaccount}. A watch that ends is resumed from the last
 * resource version; a {@code 410 Gone} lists again. Thread-safe.
 */
public final class KubernetesDiscovery implements ServiceDiscovery {

  private static final Path SERVICE_ACCOUNT =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private final HttpUrl apiServer;
  private final String namespace;
  private final Supplier<String> token;
  private final @Nullable String portName;
  private final String scheme;
  private final OkHttpClient http;

  private KubernetesDiscovery(Builder b) {
    this.apiServer = b.apiServer;
    this.namespace = b.namespace;
    this.token = b.token;
    this.portName = b.portName;
    this.scheme = b.scheme;
    this.http = Registries.client(b.client, "kubernetes");
  }

  /** A builder for the API server at {@code apiServerUrl}. */
  public static Builder builder(String apiServerUrl) {
    return new Builder(apiServerUrl);
  }

  /**
   * The discovery of a pod inside a cluster, with its service account.
   *
   * @throws IllegalStateException when not running in a Kubernetes pod
   */
  public static KubernetesDiscovery inCluster() {
    String host = System.getenv("KUBERNETES_SERVICE_HOST");
    String port = System.getenv("KUBERNETES_SERVICE_PORT");
    if (host == null || port == null || !Files.isReadable(SERVICE_ACCOUNT.resolve("token"))) {
      throw new IllegalStateException(
          "not in a Kubernetes pod: KUBERNETES_SERVICE_HOST/_PORT or "
              + SERVICE_ACCOUNT
              + "/token missing; use KubernetesDiscovery.builder(apiServerUrl)");
    }
    try {
      String namespace = Files.readString(SERVICE_ACCOUNT.resolve("namespace")).trim();
      X509TrustManager trust = trustManager(SERVICE_ACCOUNT.resolve("ca.crt"));
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {trust}, null);
      String url = "https://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
      Path tokenFile = SERVICE_ACCOUNT.resolve("token");
      return builder(url)
          .namespace(namespace)
          .token(
              () -> {
                try {
                  return Files.readString(tokenFile).trim();
                } catch (IOException e) {
                  return null;
                }
              })
          .client(
              new OkHttpClient.Builder().sslSocketFactory(tls.getSocketFactory(), trust).build())
          .build();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the pod's service account: " + e, e);
    }
  }

  private static X509TrustManager trustManager(Path caFile)
      throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      int i = 0;
      for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, ca);
      }
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return (X509TrustManager) factory.getTrustManagers()[0];
  }

  @Override
  public Subscription subscribe(Context context) {
    SliceWatch watch = new SliceWatch(context);
    watch.start();
    return watch;
  }

  @Override
  public String toString() {
    return "KubernetesDiscovery{" + apiServer + " namespace " + namespace + "}";
  }

  /** One service's list-then-watch loop over its EndpointSlices. */
  private final class SliceWatch extends Watch {
    private final Map<String, List<Endpoint>> slices = new LinkedHashMap<>();
    private @Nullable String resourceVersion; // null: list first

    SliceWatch(Context context) {
      super(context, http);
    }

    private HttpUrl.Builder url() {
      return apiServer
          .newBuilder()
          .addPathSegments("apis/discovery.k8s.io/v1/namespaces")
          .addPathSegment(namespace)
          .addPathSegment("endpointslices")
          .addQueryParameter(
              "labelSelector", "kubernetes.io/service-name=" + context.serviceName());
    }

    private Request request(HttpUrl url) {
      Request.Builder request = new Request.Builder().url(url).header("Accept", "application/json");
      String bearer = token.get();
      if (bearer != null && !bearer.isEmpty()) {
        request.header("Authorization", "Bearer " + bearer);
      }
      return request.build();
    }

    @Override
    void step() {
      if (resourceVersion == null) {
        send(request(url().build()), false, this::listed);
      } else {
        send(
            request(
                url()
                    .addQueryParameter("watch", "true")
                    .addQueryParameter("resourceVersion", resourceVersion)
                    .addQueryParameter("allowWatchBookmarks", "true")
                    .addQueryParameter("timeoutSeconds", "300")
                    .build()),
            true,
            this::watched);
      }
    }

    private void listed(Response response) throws IOException {
      JsonNode list = Registries.readJson(response.body());
      String version = list.path("metadata").path("resourceVersion").asText(null);
      if (version == null || !list.path("items").isArray()) {
        throw new IOException("EndpointSlice list without items or resourceVersion");
      }
      Map<String, List<Endpoint>> fresh = new LinkedHashMap<>();
      List<String> problems = new ArrayList<>();
      for (JsonNode slice : list.path("items")) {
        try {
          fresh.put(name(slice), endpoints(slice, scheme, portName, problems));
        } catch (IllegalArgumentException e) {
          problems.add(e.getMessage());
        }
      }
      slices.clear();
      slices.putAll(fresh);
      resourceVersion = version;
      succeeded();
      reportGarbage(problems);
      deliverAll();
      again(Duration.ZERO);
    }

    private void watched(Response response) throws IOException {
      Registries.BoundedStream stream = new Registries.BoundedStream(response.body().byteStream());
      try (MappingIterator<JsonNode> events =
          Registries.JSON.readerFor(JsonNode.class).readValues(stream)) {
        while (events.hasNextValue()) {
          JsonNode event = events.nextValue();
          stream.nextMessage();
          String type = event.path("type").asText("");
          JsonNode object = event.path("object");
          if (type.equals("ERROR")) {
            if (object.path("code").asInt() == 410) { // our version is too old: list again
              resourceVersion = null;
              again(Duration.ZERO);
              return;
            }
            throw new IOException("Kubernetes watch error: " + object.path("message").asText());
          }
          String version = object.path("metadata").path("resourceVersion").asText(null);
          if (!type.equals("ADDED")
              && !type.equals("MODIFIED")
              && !type.equals("DELETED")
              && !type.equals("BOOKMARK")) {
            throw new IOException("Kubernetes watch event of unknown type \"" + type + "\"");
          }
          if (type.equals("DELETED")) {
            try {
              slices.remove(name(object));
            } catch (IllegalArgumentException e) {
              context.failed(e);
            }
          } else if (!type.equals("BOOKMARK")) {
            List<String> problems = new ArrayList<>();
            try {
              slices.put(name(object), endpoints(object, scheme, portName, problems));
            } catch (IllegalArgumentException e) {
              problems.add(e.getMessage()); // a slice with no name: nothing to keep it under
            }
            reportGarbage(problems);
          }
          if (version != null) {
            resourceVersion = version;
          }
          if (!type.equals("BOOKMARK")) {
            succeeded();
            deliverAll();
          }
        }
      }
      if (!cancelled()) {
        again(Duration.ZERO); // the server ended the watch: resume from the last version
      }
    }

    private void deliverAll() {
      List<Endpoint> all = new ArrayList<>();
      slices.values().forEach(all::addAll);
      deliver(all);
    }
  }

  private static String name(JsonNode slice) {
    String name = slice.path("metadata").path("name").asText("");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("an EndpointSlice without metadata.name");
    }
    return name;
  }

  /**
   * The ready endpoints of one EndpointSlice; an endpoint that cannot be used is left out and what
   * is wrong with it added to {@code problems}.
   *
   * @throws IllegalArgumentException when the slice has no name: the only failure
   */
  static List<Endpoint> endpoints(
      JsonNode slice, String scheme, @Nullable String portName, List<String> problems) {
    String where = "EndpointSlice " + name(slice);
    int port = 0;
    for (JsonNode p : slice.path("ports")) {
      if (portName == null || portName.equals(p.path("name").asText(null))) {
        JsonNode number = p.path("port");
        port = number.isIntegralNumber() && number.canConvertToInt() ? number.asInt() : 0;
        break;
      }
    }
    List<Endpoint> endpoints = new ArrayList<>();
    if (port < 1 || port > 65535) {
      return endpoints; // no usable port: the slice serves nothing (yet)
    }
    boolean v6 = "IPv6".equals(slice.path("addressType").asText());
    for (JsonNode e : slice.path("endpoints")) {
      JsonNode ready = e.path("conditions").path("ready");
      if (ready.isBoolean() && !ready.asBoolean()) {
        continue;
      }
      JsonNode addresses = e.path("addresses");
      if (!addresses.isArray() || addresses.isEmpty() || !addresses.get(0).isTextual()) {
        problems.add(where + ": an endpoint without addresses");
        continue;
      }
      String address = addresses.get(0).asText();
      Endpoint.Builder endpoint =
          Endpoint.builder(scheme + "://" + (v6 ? "[" + address + "]" : address) + ":" + port);
      if (e.path("zone").isTextual()) {
        endpoint.zone(e.path("zone").asText());
      }
      if (e.path("nodeName").isTextual()) {
        endpoint.metadata("node", e.path("nodeName").asText());
      }
      try {
        endpoints.add(endpoint.build());
      } catch (IllegalArgumentException x) {
        problems.add(where + ": " + x.getMessage());
      }
    }
    return endpoints;
  }

  /** Configures a {@link KubernetesDiscovery}. */
  public static final class Builder {
    private final HttpUrl apiServer;
    private String namespace = "default";
    private Supplier<String> token = () -> null;
    private @Nullable String portName;
    private String scheme = "http";
    private OkHttpClient client = new OkHttpClient();

    private Builder(String apiServerUrl) {
      Objects.requireNonNull(apiServerUrl, "apiServerUrl");
      HttpUrl parsed = HttpUrl.parse(apiServerUrl);
      if (parsed == null) {
        throw new IllegalArgumentException(
            "apiServerUrl must be an http(s) URL but was " + apiServerUrl);
      }
      this.apiServer = parsed;
    }

    /** The namespace of the Services; {@code default} by default. */
    public Builder namespace(String namespace) {
      if (namespace == null || !namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        throw new IllegalArgumentException("namespace must be a DNS label but was " + namespace);
      }
      this.namespace = namespace;
      return this;
    }

    /** Where the bearer token comes from, asked before every request; none by default. */
    public Builder token(Supplier<String> token) {
      this.token = Objects.requireNonNull(token, "token");
      return this;
    }

    /** The slice port to use, by name; the first port by default. */
    public Builder portName(String portName) {
      this.portName = Objects.requireNonNull(portName, "portName");
      return this;
    }

    /** The scheme of the endpoints' URLs, {@code http} (the default) or {@code https}. */
    public Builder scheme(String scheme) {
      this.scheme = Registries.scheme(scheme);
      return this;
    }

    /** The client whose settings (the cluster's CA) the calls to the API server use. */
    public Builder client(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    public KubernetesDiscovery build() {
      return new KubernetesDiscovery(this);
    }
  }
}
