/**
 * Hyperlane behind Spring's HTTP clients: {@link
 * io.hyperlane.spring.HyperlaneClientHttpRequestFactory} lets {@code RestClient}, {@code
 * RestTemplate} and {@code @HttpExchange} interfaces call {@code http://<service>/…} through a
 * Hyperlane-wrapped {@code OkHttpClient}.
 */
@NullMarked
package io.hyperlane.spring;

import org.jspecify.annotations.NullMarked;
