package io.hyperlane.client;

import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;

/** TLS material given to {@link Hyperlane.Builder#tls}, as OkHttp takes it. */
record Tls(SSLSocketFactory socketFactory, X509TrustManager trustManager) {}
