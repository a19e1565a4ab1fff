package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Test;

/**
 * Which certificates prove a service's TLS authority: subject alternative names only, a wildcard
 * only as the whole left-most label and never over a top-level domain, IP names against IP entries
 * only. Certificates are real, made by okhttp-tls; no handshake.
 */
class AuthorityVerifierTest {

  private static X509Certificate certificate(String... alternativeNames) {
    HeldCertificate.Builder b = new HeldCertificate.Builder().commonName("inventory.internal");
    for (String name : alternativeNames) {
      b.addSubjectAlternativeName(name);
    }
    return b.build().certificate();
  }

  private static boolean matches(String name, String... alternativeNames) {
    return AuthorityVerifier.matches(name, certificate(alternativeNames));
  }

  @Test
  void aDnsNameMatchesItselfWhateverTheCaseOrAFinalDot() {
    assertThat(matches("inventory.internal", "inventory.internal")).isTrue();
    assertThat(matches("Inventory.Internal", "inventory.INTERNAL")).isTrue();
    assertThat(matches("inventory.internal.", "inventory.internal")).isTrue();
    assertThat(matches("inventory.internal", "inventory.internal.")).isTrue();
    assertThat(matches("inventory.internal", "orders.internal", "inventory.internal")).isTrue();
    assertThat(matches("inventory.internal", "orders.internal")).isFalse();
    assertThat(matches("inventory.internal", "inventory.internal.evil")).isFalse();
    assertThat(matches("inventory", "inventory.internal")).isFalse();
  }

  @Test
  void theCommonNameAloneProvesNothing() {
    assertThat(matches("inventory.internal")).isFalse();
  }

  @Test
  void aWildcardCoversExactlyOneWholeLeftMostLabel() {
    assertThat(matches("inventory.svc.internal", "*.svc.internal")).isTrue();
    assertThat(matches("INVENTORY.svc.internal", "*.SVC.internal")).isTrue();
    assertThat(matches("svc.internal", "*.svc.internal")).as("no label").isFalse();
    assertThat(matches("a.inventory.svc.internal", "*.svc.internal")).as("two labels").isFalse();
    assertThat(matches(".svc.internal", "*.svc.internal")).as("an empty label").isFalse();
    assertThat(matches("inventory.svc.internal", "inv*.svc.internal"))
        .as("a partial label")
        .isFalse();
    assertThat(matches("inventory.svc.internal", "*.*.internal")).as("two wildcards").isFalse();
    assertThat(matches("inventory.internal", "*.internal"))
        .as("over a top-level domain alone")
        .isFalse();
    assertThat(matches("inventory.internal", "*")).isFalse();
  }

  @Test
  void emptyNamesNeverMatch() {
    assertThat(matches("", "inventory.internal")).isFalse();
    assertThat(matches(".", "inventory.internal")).isFalse();
  }

  @Test
  void anIpAddressMatchesOnlyAnIpEntryForTheSameAddressInAnyOfItsForms() {
    assertThat(matches("127.0.0.1", "127.0.0.1")).isTrue();
    assertThat(matches("127.0.0.2", "127.0.0.1")).isFalse();
    assertThat(matches("::1", "::1")).isTrue();
    assertThat(matches("0:0:0:0:0:0:0:1", "::1")).isTrue();
    assertThat(matches("::2", "::1")).isFalse();
    assertThat(matches("127.0.0.1", "localhost")).as("a DNS entry never proves an IP").isFalse();
    assertThat(matches("localhost", "127.0.0.1")).as("an IP entry never proves a name").isFalse();
  }

  @Test
  void verifyChecksTheLeafAndRefusesAnUnverifiedPeerOrAnEmptyChain() {
    AuthorityVerifier verifier = new AuthorityVerifier("inventory.internal");
    X509Certificate good = certificate("inventory.internal");
    X509Certificate other = certificate("orders.internal");
    assertThat(verifier.verify("127.0.0.1", session(good, other))).isTrue();
    assertThat(verifier.verify("inventory.internal", session(other, good)))
        .as("the leaf must name it, not another certificate of the chain")
        .isFalse();
    assertThat(verifier.verify("inventory.internal", session())).isFalse();
    assertThat(verifier.verify("inventory.internal", unverified())).isFalse();
    assertThat(verifier).hasToString("AuthorityVerifier{inventory.internal}");
  }

  private static SSLSession unverified() {
    return session((Certificate[]) null);
  }

  /** A session whose peer presented {@code chain}; null: a peer that is not verified. */
  private static SSLSession session(Certificate... chain) {
    return (SSLSession)
        Proxy.newProxyInstance(
            SSLSession.class.getClassLoader(),
            new Class<?>[] {SSLSession.class},
            (proxy, method, args) -> {
              if (!method.getName().equals("getPeerCertificates")) {
                throw new UnsupportedOperationException(method.getName());
              }
              if (chain == null) {
                throw new SSLPeerUnverifiedException("no certificate");
              }
              return chain;
            });
  }
}
