package io.hyperlane.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/**
 * How the instances sharing a tier tell each other what they invalidated: messages {@code version
 * instance kind subject millis nonce mac}, where the mac (under the tier's secret) covers the rest
 * and the time and the nonce keep a captured message from being replayed. Messages from the others
 * are untrusted: checked field by field, signed, at most a minute old (the instances' clocks must
 * agree that well), each acted on once.
 */
final class InvalidationChannel implements SharedTier.Subscriber {

  /** What the channel acts on: the cache whose tiers it keeps in step. */
  interface Target {
    /** Drops one key, as an invalidation from another instance. */
    void dropKey(String service, String key);

    /** Drops every key of one service, as an invalidation from another instance. */
    void dropService(String service);

    /** Drops everything: messages may have been missed. */
    void dropAll();
  }

  private static final String VERSION = "3";

  /** How old a message may be, by the sender's clock, and still be acted on. */
  private static final long LIFETIME_MILLIS = 60_000;

  private final String instanceId = UUID.randomUUID().toString();
  private final Envelope envelope;
  private final Clock clock;
  private final Target target;
  private final CacheListener listener;
  private final Cache<String, Boolean> seen =
      Caffeine.newBuilder()
          .maximumSize(100_000)
          .expireAfterWrite(Duration.ofMillis(2 * LIFETIME_MILLIS))
          .build();

  InvalidationChannel(Envelope envelope, Clock clock, Target target, CacheListener listener) {
    this.envelope = envelope;
    this.clock = clock;
    this.target = target;
    this.listener = listener;
  }

  /** The signed message telling the others to drop {@code subject}, a key or a service. */
  String message(String kind, String subject) {
    String body =
        VERSION
            + " "
            + instanceId
            + " "
            + kind
            + " "
            + subject
            + " "
            + clock.millis()
            + " "
            + UUID.randomUUID();
    return body + " " + envelope.sign(body);
  }

  @Override
  public void onMessage(String message) {
    String[] parts = message == null || message.length() > 1024 ? null : message.split(" ", -1);
    if (parts == null
        || parts.length != 7
        || !parts[0].equals(VERSION)
        || !envelope.verify(message.substring(0, message.lastIndexOf(' ')), parts[6])) {
      HttpCache.log.debug("ignored a cache invalidation message that is malformed or not signed");
      return;
    }
    if (parts[1].equals(instanceId)) {
      return; // our own, already applied
    }
    long sent;
    try {
      sent = Long.parseLong(parts[4]);
    } catch (NumberFormatException e) {
      return;
    }
    if (Math.abs(clock.millis() - sent) > LIFETIME_MILLIS
        || seen.asMap().putIfAbsent(parts[5], Boolean.TRUE) != null) {
      HttpCache.log.debug("ignored a cache invalidation message that is stale or replayed");
      return;
    }
    switch (parts[2]) {
      case "key" -> {
        String service = HttpCache.serviceOf(parts[3]);
        if (service == null) {
          HttpCache.log.debug("ignored a malformed cache invalidation message");
          return;
        }
        target.dropKey(service, parts[3]);
        CacheListener.notify(listener, new CacheEvent.Invalidated(service, null, true));
      }
      case "service" -> {
        if (parts[3].isEmpty()) {
          HttpCache.log.debug("ignored a malformed cache invalidation message");
          return;
        }
        target.dropService(parts[3]);
        CacheListener.notify(listener, new CacheEvent.Invalidated(parts[3], null, true));
      }
      default -> HttpCache.log.debug("ignored a cache invalidation message of unknown kind");
    }
  }

  @Override
  public void onReconnected() {
    target.dropAll();
  }
}
