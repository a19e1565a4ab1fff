package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hyperlane.resilience.CallFailedException;
import io.hyperlane.resilience.RetryPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code https} endpoints against a loopback TLS server, with certificates made in the test: a
 * private CA, a server certificate for one name, a client certificate for mutual TLS.
 */
class TlsTest {

  private final HeldCertificate ca =
      new HeldCertificate.Builder().certificateAuthority(0).commonName("test CA").build();
  private final HeldCertificate clientCertificate =
      new HeldCertificate.Builder().commonName("orders-service").signedBy(ca).build();
  private final HandshakeCertificates clientTrust =
      new HandshakeCertificates.Builder().addTrustedCertificate(ca.certificate()).build();
  private final OkHttpClient base = new OkHttpClient();
  private MockWebServer server;

  @BeforeEach
  void startServer() {
    server = new MockWebServer();
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    base.connectionPool().evictAll();
  }

  /** Starts the server with a certificate that names {@code names} only. */
  private String serve(boolean requireClientCertificate, String... names) throws IOException {
    HeldCertificate.Builder certificate =
        new HeldCertificate.Builder().signedBy(ca).commonName(names[0]);
    for (String name : names) {
      certificate.addSubjectAlternativeName(name);
    }
    HandshakeCertificates serverCertificates =
        new HandshakeCertificates.Builder()
            .heldCertificate(certificate.build())
            .addTrustedCertificate(ca.certificate())
            .build();
    server.useHttps(serverCertificates.sslSocketFactory());
    if (requireClientCertificate) {
      server.requireClientAuth();
    }
    server.enqueue(new MockResponse.Builder().code(200).body("secure").build());
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    return "https://127.0.0.1:" + server.getPort();
  }

  private Hyperlane.Builder builder() {
    return Hyperlane.builder().telemetry(false).retry(RetryPolicy.none());
  }

  private static String get(OkHttpClient client) throws IOException {
    try (Response response =
        client.newCall(new Request.Builder().url("https://inventory/items").build()).execute()) {
      return response.body().string();
    }
  }

  @Test
  void anEndpointWhoseCertificateNamesAnotherHostIsRefused() throws IOException {
    String endpoint = serve(false, "someone-else.example");
    try (Hyperlane hyperlane =
        builder().tls(clientTrust.trustManager(), null).service("inventory", endpoint).build()) {
      assertThatThrownBy(() -> get(hyperlane.wrap(base)))
          .isInstanceOf(CallFailedException.class)
          .cause()
          .isInstanceOf(SSLException.class)
          .hasMessageContaining("127.0.0.1");
    }
  }

  @Test
  void aCertificateForTheEndpointsOwnAddressIsAccepted() throws Exception {
    String endpoint = serve(false, "127.0.0.1");
    try (Hyperlane hyperlane =
        builder().tls(clientTrust.trustManager(), null).service("inventory", endpoint).build()) {
      assertThat(get(hyperlane.wrap(base))).isEqualTo("secure");
    }
  }

  @Test
  void aConfiguredAuthorityIsWhatTheCertificateMustNameAndOnlyThat() throws Exception {
    String endpoint = serve(false, "inventory.internal");
    try (Hyperlane hyperlane =
        builder()
            .tls(clientTrust.trustManager(), null)
            .service("inventory", s -> s.endpoint(endpoint).tlsAuthority("inventory.internal"))
            .build()) {
      assertThat(get(hyperlane.wrap(base))).isEqualTo("secure");
    }
    server.enqueue(new MockResponse.Builder().code(200).body("secure").build());
    base.connectionPool().evictAll();
    try (Hyperlane hyperlane =
        builder()
            .tls(clientTrust.trustManager(), null)
            .service("inventory", s -> s.endpoint(endpoint).tlsAuthority("payments.internal"))
            .build()) {
      assertThatThrownBy(() -> get(hyperlane.wrap(base)))
          .isInstanceOf(CallFailedException.class)
          .cause()
          .isInstanceOf(SSLException.class);
    }
  }

  @Test
  void anUntrustedCertificateAuthorityIsRefusedEvenWithTheRightName() throws Exception {
    String endpoint = serve(false, "127.0.0.1");
    try (Hyperlane hyperlane = builder().service("inventory", endpoint).build()) {
      assertThatThrownBy(() -> get(hyperlane.wrap(base)))
          .isInstanceOf(CallFailedException.class)
          .cause()
          .isInstanceOf(SSLException.class);
    }
  }

  @Test
  void mutualTlsWorksEndToEnd() throws Exception {
    String endpoint = serve(true, "127.0.0.1");
    HandshakeCertificates withClientCertificate =
        new HandshakeCertificates.Builder()
            .addTrustedCertificate(ca.certificate())
            .heldCertificate(clientCertificate)
            .build();
    try (Hyperlane hyperlane =
        builder()
            .tls(withClientCertificate.trustManager(), withClientCertificate.keyManager())
            .service("inventory", endpoint)
            .build()) {
      assertThat(get(hyperlane.wrap(base))).isEqualTo("secure");
    }
    RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(request.getHandshake().peerCertificates())
        .first()
        .satisfies(
            c ->
                assertThat(((X509Certificate) c).getSubjectX500Principal().getName())
                    .contains("CN=orders-service"));
  }

  @Test
  void withoutAClientCertificateAServerThatRequiresOneRefusesTheCall() throws Exception {
    String endpoint = serve(true, "127.0.0.1");
    try (Hyperlane hyperlane =
        builder().tls(clientTrust.trustManager(), null).service("inventory", endpoint).build()) {
      assertThatThrownBy(() -> get(hyperlane.wrap(base))).isInstanceOf(IOException.class);
    }
  }

  /** Starts another loopback TLS server whose certificate names {@code names} only. */
  private MockWebServer another(HeldCertificate signer, String... names) throws IOException {
    HeldCertificate.Builder certificate =
        new HeldCertificate.Builder().signedBy(signer).commonName(names[0]);
    for (String name : names) {
      certificate.addSubjectAlternativeName(name);
    }
    MockWebServer other = new MockWebServer();
    other.useHttps(
        new HandshakeCertificates.Builder()
            .heldCertificate(certificate.build())
            .build()
            .sslSocketFactory());
    for (int i = 0; i < 4; i++) {
      other.enqueue(new MockResponse.Builder().code(200).body("from " + names[0]).build());
    }
    other.start(InetAddress.getByName("127.0.0.1"), 0);
    return other;
  }

  private static String get(OkHttpClient client, String url) throws IOException {
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return response.body().string();
    }
  }

  @Test
  void anAuthorityBelongsToItsServicesEndpointsOnlyNeverToAnotherServiceOrHostOnTheSameIp()
      throws Exception {
    try (MockWebServer alphaServer = another(ca, "alpha.internal");
        MockWebServer gammaServer = another(ca, "alpha.internal"); // wrongly presents alpha's
        MockWebServer betaServer = another(ca, "127.0.0.1")) {
      String alpha = "https://127.0.0.1:" + alphaServer.getPort();
      String gamma = "https://127.0.0.1:" + gammaServer.getPort();
      String beta = "https://127.0.0.1:" + betaServer.getPort();
      try (Hyperlane hyperlane =
          builder()
              .tls(clientTrust.trustManager(), null)
              .service("alpha", s -> s.endpoint(alpha).tlsAuthority("alpha.internal"))
              .service("gamma", gamma)
              .service("beta", beta)
              .build()) {
        OkHttpClient client =
            hyperlane.wrap(
                new OkHttpClient.Builder()
                    .sslSocketFactory(clientTrust.sslSocketFactory(), clientTrust.trustManager())
                    .build());
        assertThat(get(client, "https://alpha/")).isEqualTo("from alpha.internal");
        assertThatThrownBy(() -> get(client, "https://gamma/"))
            .as("gamma has no authority: its certificate must name its own host")
            .isInstanceOf(CallFailedException.class)
            .cause()
            .isInstanceOf(SSLException.class);
        assertThat(get(client, "https://beta/"))
            .as("beta's certificate names its IP")
            .isEqualTo("from 127.0.0.1");
        assertThat(get(client, beta + "/direct"))
            .as("a host that is no service")
            .isEqualTo("from 127.0.0.1");
        assertThatThrownBy(() -> get(client, gamma + "/direct"))
            .as("not a service: the client's own verifier, not alpha's authority")
            .isInstanceOf(SSLException.class);
      }
    }
  }

  @Test
  void theTlsMaterialOfHyperlaneIsForServiceEndpointsOnlyAndConnectionsAreReused()
      throws Exception {
    HeldCertificate publicCa =
        new HeldCertificate.Builder().certificateAuthority(0).commonName("a public CA").build();
    try (MockWebServer external = another(publicCa, "127.0.0.1");
        MockWebServer internal = another(ca, "127.0.0.1")) {
      HandshakeCertificates platform =
          new HandshakeCertificates.Builder().addTrustedCertificate(publicCa.certificate()).build();
      OkHttpClient application =
          new OkHttpClient.Builder()
              .sslSocketFactory(platform.sslSocketFactory(), platform.trustManager())
              .build();
      try (Hyperlane hyperlane =
          builder()
              .tls(clientTrust.trustManager(), null)
              .service("inventory", "https://127.0.0.1:" + internal.getPort())
              .build()) {
        OkHttpClient client = hyperlane.wrap(application);
        String externalUrl = "https://127.0.0.1:" + external.getPort() + "/";
        assertThat(get(client, externalUrl))
            .as("the application's own trust for other hosts")
            .isEqualTo("from 127.0.0.1");
        for (int i = 0; i < 3; i++) {
          assertThat(get(client, "https://inventory/")).isEqualTo("from 127.0.0.1");
        }
        int[] connections = new int[3];
        for (int i = 0; i < 3; i++) {
          connections[i] = internal.takeRequest(5, TimeUnit.SECONDS).getConnectionIndex();
        }
        assertThat(connections)
            .as("one pooled connection for the three calls")
            .containsOnly(connections[0]);
      }
      application.connectionPool().evictAll();
    }
  }

  @Test
  void aCallWrittenAsHttpsNeverLeavesInCleartext() throws Exception {
    try (MockWebServer plain = new MockWebServer();
        MockWebServer secure = another(ca, "127.0.0.1")) {
      for (int i = 0; i < 12; i++) {
        plain.enqueue(new MockResponse.Builder().code(200).body("cleartext").build());
      }
      plain.start(InetAddress.getByName("127.0.0.1"), 0);
      String http = "http://127.0.0.1:" + plain.getPort();
      String https = "https://127.0.0.1:" + secure.getPort();
      try (Hyperlane hyperlane =
          builder()
              .tls(clientTrust.trustManager(), null)
              .retry(RetryPolicy.ofDefaults())
              .service("registry-says-http", http)
              .service("mixed", https, http)
              .service("opted-in", s -> s.endpoint(http).allowCleartext())
              .routing(
                  RoutingRules.of(
                      RouteRule.named("to-plain")
                          .service("redirected")
                          .to("registry-says-http", 1)
                          .build()))
              .service("redirected", https)
              .build()) {
        OkHttpClient client = hyperlane.wrap(base);
        for (String service : new String[] {"registry-says-http", "redirected"}) {
          assertThatThrownBy(() -> get(client, "https://" + service + "/secret"))
              .isInstanceOf(CallFailedException.class)
              .cause()
              .isInstanceOf(NoEndpointException.class)
              .hasMessageContaining("registry-says-http")
              .hasMessageContaining("https");
        }
        assertThat(plain.getRequestCount()).as("nothing left in cleartext").isZero();
        for (int i = 0; i < 3; i++) {
          assertThat(get(client, "https://mixed/")).isEqualTo("from 127.0.0.1");
        }
        assertThat(plain.getRequestCount()).as("https calls take the https endpoint").isZero();
        assertThat(get(client, "https://opted-in/")).isEqualTo("cleartext");
        assertThat(get(client, "http://registry-says-http/")).isEqualTo("cleartext");
      }
    }
  }
}
