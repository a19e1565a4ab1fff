package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  private final HeldCertificate ca = new HeldCertificate.Builder()
      .certificateAuthority(0).commonName("test CA").build();
  private final HeldCertificate clientCertificate = new HeldCertificate.Builder()
      .commonName("orders-service").signedBy(ca).build();
  private final HandshakeCertificates clientTrust = new HandshakeCertificates.Builder()
      .addTrustedCertificate(ca.certificate()).build();
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
    HeldCertificate.Builder certificate = new HeldCertificate.Builder().signedBy(ca)
        .commonName(names[0]);
    for (String name : names) {
      certificate.addSubjectAlternativeName(name);
    }
    HandshakeCertificates serverCertificates = new HandshakeCertificates.Builder()
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
    try (Response response = client.newCall(new Request.Builder()
        .url("https://inventory/items").build()).execute()) {
      return response.body().string();
    }
  }

  @Test
  void anEndpointWhoseCertificateNamesAnotherHostIsRefused() throws IOException {
    String endpoint = serve(false, "someone-else.example");
    try (Hyperlane hyperlane = builder().tls(clientTrust.trustManager(), null)
        .service("inventory", endpoint).build()) {
      assertThatThrownBy(() -> get(hyperlane.wrap(base)))
          .isInstanceOf(SSLException.class)
          .hasMessageContaining("127.0.0.1");
    }
  }

  @Test
  void aCertificateForTheEndpointsOwnAddressIsAccepted() throws Exception {
    String endpoint = serve(false, "127.0.0.1");
    try (Hyperlane hyperlane = builder().tls(clientTrust.trustManager(), null)
        .service("inventory", endpoint).build()) {
      assertThat(get(hyperlane.wrap(base))).isEqualTo("secure");
    }
  }

  @Test
  void aConfiguredAuthorityIsWhatTheCertificateMustNameAndOnlyThat() throws Exception {
    String endpoint = serve(false, "inventory.internal");
    try (Hyperlane hyperlane = builder().tls(clientTrust.trustManager(), null)
        .service("inventory", s -> s.endpoint(endpoint).tlsAuthority("inventory.internal"))
        .build()) {
      assertThat(get(hyperlane.wrap(base))).isEqualTo("secure");
    }
    server.enqueue(new MockResponse.Builder().code(200).body("secure").build());
    base.connectionPool().evictAll();
    try (Hyperlane hyperlane = builder().tls(clientTrust.trustManager(), null)
        .service("inventory", s -> s.endpoint(endpoint).tlsAuthority("payments.internal"))
        .build()) {
      assertThatThrownBy(() -> get(hyperlane.wrap(base))).isInstanceOf(SSLException.class);
    }
  }

  @Test
  void anUntrustedCertificateAuthorityIsRefusedEvenWithTheRightName() throws Exception {
    String endpoint = serve(false, "127.0.0.1");
    try (Hyperlane hyperlane = builder().service("inventory", endpoint).build()) {
      assertThatThrownBy(() -> get(hyperlane.wrap(base))).isInstanceOf(SSLException.class);
    }
  }

  @Test
  void mutualTlsWorksEndToEnd() throws Exception {
    String endpoint = serve(true, "127.0.0.1");
    HandshakeCertificates withClientCertificate = new HandshakeCertificates.Builder()
        .addTrustedCertificate(ca.certificate())
        .heldCertificate(clientCertificate)
        .build();
    try (Hyperlane hyperlane = builder()
        .tls(withClientCertificate.trustManager(), withClientCertificate.keyManager())
        .service("inventory", endpoint).build()) {
      assertThat(get(hyperlane.wrap(base))).isEqualTo("secure");
    }
    RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(request.getHandshake().peerCertificates())
        .first().satisfies(c -> assertThat(((X509Certificate) c).getSubjectX500Principal()
            .getName()).contains("CN=orders-service"));
  }

  @Test
  void withoutAClientCertificateAServerThatRequiresOneRefusesTheCall() throws Exception {
    String endpoint = serve(true, "127.0.0.1");
    try (Hyperlane hyperlane = builder().tls(clientTrust.trustManager(), null)
        .service("inventory", endpoint).build()) {
      assertThatThrownBy(() -> get(hyperlane.wrap(base))).isInstanceOf(IOException.class);
    }
  }
}
