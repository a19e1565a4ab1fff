package io.hyperlane.examples;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.hyperlane.client.Hyperlane;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * TLS: an {@code https} endpoint reached by IP address whose certificate names the service's
 * authority ({@code inventory.internal}), with mutual TLS — the client presents its own
 * certificate, the server requires it. The certificates are made here with okhttp-tls; yours come
 * from your PKI.
 */
public final class TlsRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(HandshakeCertificates client, String endpoint) {
    return Hyperlane.builder()
        .tls(client.trustManager(), client.keyManager()) // whom to trust, what to present
        .service(
            "inventory",
            s ->
                s.endpoint(endpoint)
                    .tlsAuthority("inventory.internal")) // the name the certificate must carry
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  public static void main(String[] args) throws Exception {
    System.out.println(run());
  }

  /** Starts an mTLS server, calls it through Hyperlane, returns what the server answered. */
  public static String run() throws Exception {
    HeldCertificate ca =
        new HeldCertificate.Builder().certificateAuthority(0).commonName("example CA").build();
    HeldCertificate serverCertificate =
        new HeldCertificate.Builder()
            .signedBy(ca)
            .addSubjectAlternativeName("inventory.internal")
            .build();
    HeldCertificate clientCertificate =
        new HeldCertificate.Builder().signedBy(ca).commonName("orders").build();
    HandshakeCertificates server =
        new HandshakeCertificates.Builder()
            .heldCertificate(serverCertificate)
            .addTrustedCertificate(ca.certificate())
            .build();
    HandshakeCertificates client =
        new HandshakeCertificates.Builder()
            .heldCertificate(clientCertificate)
            .addTrustedCertificate(ca.certificate())
            .build();

    HttpsServer https =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    SSLContext serverTls = server.sslContext();
    https.setHttpsConfigurator(
        new HttpsConfigurator(serverTls) {
          @Override
          public void configure(HttpsParameters parameters) {
            SSLParameters tls = serverTls.getDefaultSSLParameters();
            tls.setNeedClientAuth(true); // mutual TLS: no client certificate, no call
            parameters.setSSLParameters(tls);
          }
        });
    https.createContext(
        "/",
        exchange -> {
          String who = ((HttpsExchange) exchange).getSSLSession().getPeerPrincipal().getName();
          byte[] body = ("hello over mutual TLS, " + who).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    https.start();
    OkHttpClient okHttp = new OkHttpClient();
    try (Hyperlane hyperlane =
        configure(client, "https://127.0.0.1:" + https.getAddress().getPort())) {
      try (Response response =
          hyperlane
              .wrap(okHttp)
              .newCall(new Request.Builder().url("https://inventory/items/42").build())
              .execute()) {
        return response.body().string();
      }
    } finally {
      https.stop(0);
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
  }
}
