/**
 * Retries, budgets, hedging, deadlines, circuit breakers and limits as OkHttp interceptors, and the
 * time sources every Hyperlane stage shares. {@code io.hyperlane.resilience.internal} is for the
 * client module only.
 */
module io.hyperlane.resilience {
  requires transitive okhttp3;
  // CircuitBreakerPolicy.of and RateLimit.of take Resilience4j's own configurations.
  requires transitive io.github.resilience4j.circuitbreaker;
  requires transitive io.github.resilience4j.ratelimiter;
  requires io.github.resilience4j.core;
  requires org.slf4j;
  requires static transitive org.jspecify;

  exports io.hyperlane.resilience;
  exports io.hyperlane.resilience.internal to
      io.hyperlane.client;
}
