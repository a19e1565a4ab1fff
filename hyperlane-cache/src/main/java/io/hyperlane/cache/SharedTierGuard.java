package io.hyperlane.cache;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Every use of the shared tier (L2): reads and writes bounded by its timeout, entries sealed and
 * checked by the {@link Envelope}, and a health latch — after a failure the tier is left alone for
 * a second, so that a Redis outage costs each call nothing but one failed attempt a second. Every
 * failure is counted, logged once per outage and reported to the listener.
 */
final class SharedTierGuard {

  private static final long RETRY_MILLIS = 1000;

  private final SharedTier tier;
  private final Envelope envelope;
  private final long timeoutMillis;
  private final Clock clock;
  private final Function<String, Counters> counters;
  private final CacheListener listener;
  private final AtomicBoolean down = new AtomicBoolean();
  private volatile long retryAtMillis;

  SharedTierGuard(
      SharedTier tier,
      byte[] secret,
      Duration timeout,
      Clock clock,
      Function<String, Counters> counters,
      CacheListener listener) {
    this.tier = tier;
    this.envelope = new Envelope(secret);
    this.timeoutMillis = timeout.toMillis();
    this.clock = clock;
    this.counters = counters;
    this.listener = listener;
  }

  /** The tier itself, for its invalidation operations and its subscription. */
  SharedTier tier() {
    return tier;
  }

  /** The envelope, whose key also signs the invalidation messages. */
  Envelope envelope() {
    return envelope;
  }

  /** Whether to use the tier now: it works, or its second of rest after a failure is over. */
  boolean usable(long nowMillis) {
    return !down.get() || nowMillis >= retryAtMillis;
  }

  /**
   * Reads the tier's variants for the fill's key, recording the tier's fences on the fill; null on
   * a miss, a failure or a bad entry.
   */
  @Nullable Variants get(Fills.Fill fill) {
    String service = fill.service;
    SharedTier.Entry entry;
    try {
      entry =
          tier.get(service, fill.key)
              .toCompletableFuture()
              .get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      failed(service, "get", e.getCause());
      return null;
    } catch (TimeoutException | RuntimeException e) {
      failed(service, "get", e);
      return null;
    }
    worked();
    if (entry == null) {
      return null;
    }
    fill.sharedFences = entry.fences();
    byte[] value = entry.value();
    if (value == null) {
      return null;
    }
    Variants variants = envelope.decode(fill.key, value);
    fill.sharedVariants = variants;
    if (variants == null) {
      counters.apply(service).sharedTierErrors.increment();
      HttpCache.log.warn(
          "rejected a shared cache entry of service {} that failed its integrity check"
              + " (tampered with, or written with another secret)",
          service);
      CacheListener.notify(listener, new CacheEvent.SharedTierEntryRejected(service));
    }
    return variants;
  }

  /**
   * Writes {@code variants} under the fill's key for {@code ttlMillis} (a second at least), only if
   * no invalidation moved the fences the fill read; waits up to the tier's timeout.
   */
  void put(Fills.Fill fill, String fences, Variants variants, long ttlMillis) {
    byte[] value;
    try {
      value = envelope.encode(fill.key, variants);
    } catch (IOException e) {
      return; // an in-memory stream does not fail
    }
    Duration expiry = Duration.ofMillis(Math.max(1000, ttlMillis));
    await(
        watch(
            fill.service,
            "put",
            guarded(() -> tier.put(fill.service, fill.key, value, expiry, fences))));
  }

  /**
   * Runs {@code deletion} and, once it has succeeded, {@code afterDeletion}, then publishes {@code
   * message}: an instance that drops its heap entry on the message must not find the old entry in
   * the tier and put it back.
   */
  CompletionStage<Void> deleteThenPublish(
      String service,
      Supplier<CompletionStage<Void>> deletion,
      Runnable afterDeletion,
      Supplier<String> message) {
    CompletionStage<Void> deleted =
        watch(service, "delete", guarded(deletion))
            .thenApply(
                done -> {
                  afterDeletion.run();
                  return done;
                });
    return deleted.thenCompose(
        done -> watch(service, "publish", guarded(() -> tier.publish(message.get()))));
  }

  /** Waits up to the tier's timeout for {@code stage}; failures are already counted. */
  void await(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // counted and logged by watch(); the entry expires in the tier by its TTL
    }
  }

  /** A tier operation that may throw instead of completing exceptionally. */
  private static <T> CompletionStage<T> guarded(Supplier<CompletionStage<T>> operation) {
    try {
      return operation.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private <T> CompletionStage<T> watch(String service, String operation, CompletionStage<T> stage) {
    return stage.whenComplete(
        (ignored, error) -> {
          if (error == null) {
            worked();
          } else {
            failed(service, operation, error);
          }
        });
  }

  private void failed(String service, String operation, @Nullable Throwable cause) {
    counters.apply(service).sharedTierErrors.increment();
    retryAtMillis = clock.millis() + RETRY_MILLIS;
    if (down.compareAndSet(false, true)) {
      HttpCache.log.warn(
          "shared cache tier failed ({} for service {}: {}); serving from the heap and the"
              + " origin until it answers again",
          operation,
          service,
          String.valueOf(cause));
    }
    CacheListener.notify(listener, new CacheEvent.SharedTierFailed(service, operation, cause));
  }

  private void worked() {
    if (down.get() && down.compareAndSet(true, false)) {
      HttpCache.log.info("shared cache tier answers again");
    }
  }
}
