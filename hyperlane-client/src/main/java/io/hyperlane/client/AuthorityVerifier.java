package io.hyperlane.client;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Checks the certificate of an endpoint of one service that has a TLS authority ({@link
 * Hyperlane.ServiceBuilder#tlsAuthority(String)}) against that name instead of the endpoint's host.
 * The routing stage gives it to the calls it sends to that service's {@code https} endpoints only,
 * so it never judges another service's endpoint, a host that is no service, or a connection made
 * for either: OkHttp pools connections by their verifier, one instance per service.
 *
 * <p>Verification is never turned off: a certificate must name the authority in a subject
 * alternative name (DNS names, with a wildcard only as the whole left-most label; IP addresses as
 * IP entries), as RFC 6125 and RFC 9110 §4.3.4 say.
 */
final class AuthorityVerifier implements HostnameVerifier {

  private final String authority;

  AuthorityVerifier(String authority) {
    this.authority = authority;
  }

  @Override
  public boolean verify(String host, SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0
          && chain[0] instanceof X509Certificate leaf
          && matches(authority, leaf);
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "AuthorityVerifier{" + authority + "}";
  }

  static boolean matches(String name, X509Certificate certificate) {
    Collection<List<?>> alternatives;
    try {
      alternatives = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return false;
    }
    if (alternatives == null) {
      return false;
    }
    boolean ip = isIpLiteral(name);
    for (List<?> entry : alternatives) {
      if (entry.size() < 2
          || !(entry.get(0) instanceof Integer type)
          || !(entry.get(1) instanceof String value)) {
        continue;
      }
      if (ip && type == 7 && sameAddress(name, value)) {
        return true;
      }
      if (!ip
          && type == 2
          && dnsMatches(name.toLowerCase(Locale.ROOT), value.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  private static boolean dnsMatches(String name, String pattern) {
    name = stripDot(name);
    pattern = stripDot(pattern);
    if (name.isEmpty() || pattern.isEmpty()) {
      return false;
    }
    if (!pattern.startsWith("*.")) {
      return name.equals(pattern);
    }
    String suffix = pattern.substring(1); // ".example.com"
    if (suffix.indexOf('*') >= 0 || suffix.indexOf('.', 1) < 0) {
      return false; // one wildcard, not over a top-level domain alone
    }
    int firstDot = name.indexOf('.');
    return firstDot > 0 && name.substring(firstDot).equals(suffix);
  }

  private static String stripDot(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static boolean isIpLiteral(String name) {
    return name.indexOf(':') >= 0 || name.matches("[0-9.]+");
  }

  private static boolean sameAddress(String a, String b) {
    try {
      // Both are literals, so no lookup happens.
      return InetAddress.getByName(a).equals(InetAddress.getByName(b));
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
