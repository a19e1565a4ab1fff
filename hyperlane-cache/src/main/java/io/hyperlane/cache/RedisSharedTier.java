package io.hyperlane.cache;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SharedTier} on Redis, through Lettuce: entries are plain keys with a TTL under a prefix,
 * fences are keys beside them (a write checks them in a Lua script, atomically), invalidations go
 * through a pub/sub channel. Lettuce is an optional dependency of {@code hyperlane-cache}: add
 * {@code io.lettuce:lettuce-core} to use this class.
 *
 * <pre>{@code
 * SharedTier redis = RedisSharedTier.builder("redis://127.0.0.1:6379")
 *     .timeout(Duration.ofMillis(50))
 *     .build();
 * HttpCache cache = HttpCache.builder().sharedTier(redis, secret).build();
 * }</pre>
 *
 * <p>While Redis is unreachable every command fails at once (none is queued), so the cache goes on
 * with its heap and the origin; Lettuce reconnects in the background, at most {@link
 * Builder#maxReconnectDelay(Duration)} apart, and the pub/sub subscription is restored, after which
 * the cache clears the heap entries that missed invalidations may have left behind.
 *
 * <p>Thread-safe. {@link #close()} (or the owning cache's) closes the connections and Lettuce's
 * threads.
 */
public final class RedisSharedTier implements SharedTier {

  private static final RedisCodec<String, byte[]> CODEC =
      RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  /** Writes the entry only while neither fence moved: one atomic step in Redis. */
  private static final String PUT_UNLESS_FENCED =
      "if (redis.call('GET', KEYS[2]) or '') ~= ARGV[3] then return 0 end "
          + "if (redis.call('GET', KEYS[3]) or '') ~= ARGV[4] then return 0 end "
          + "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1";

  /** A new fence on the key, then the entry gone, as one step. */
  private static final String FENCE_THEN_DELETE =
      "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) redis.call('UNLINK', KEYS[2]) return 1";

  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final String prefix;
  private final String channel;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile @Nullable StatefulRedisPubSubConnection<String, String> pubsub;

  private RedisSharedTier(Builder b) {
    this.prefix = b.keyPrefix;
    this.channel = b.channel;
    this.resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(1)
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), b.maxReconnectDelay, 2, TimeUnit.MILLISECONDS))
            .build();
    this.client = RedisClient.create(resources, b.uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(b.timeout))
            .socketOptions(SocketOptions.builder().connectTimeout(b.connectTimeout).build())
            .build());
    StatefulRedisConnection<String, byte[]> c;
    try {
      c = client.connect(CODEC);
    } catch (RedisException e) {
      shutdown();
      throw new IllegalStateException(
          "cannot connect to Redis at "
              + b.uri.getHost()
              + ":"
              + b.uri.getPort()
              + ": "
              + e.getMessage(),
          e);
    }
    this.connection = c;
  }

  /** Connects to {@code redisUri} (such as {@code redis://127.0.0.1:6379}) with the defaults. */
  public static RedisSharedTier create(String redisUri) {
    return builder(redisUri).build();
  }

  /** A builder for a tier on {@code redisUri}, such as {@code redis://127.0.0.1:6379/0}. */
  public static Builder builder(String redisUri) {
    return new Builder(redisUri);
  }

  @Override
  public CompletionStage<Entry> get(String service, String key) {
    return connection
        .async()
        .mget(prefix + key, keyFence(key), serviceFence(service))
        .thenApply(
            values ->
                new Entry(
                    values.get(0).getValueOrElse(null),
                    text(values.get(1).getValueOrElse(null))
                        + "|"
                        + text(values.get(2).getValueOrElse(null))));
  }

  @Override
  public CompletionStage<Boolean> put(
      String service, String key, byte[] value, Duration ttl, String fences) {
    int bar = fences.indexOf('|');
    if (bar < 0) {
      return CompletableFuture.completedFuture(false);
    }
    return connection
        .async()
        .<Long>eval(
            PUT_UNLESS_FENCED,
            ScriptOutputType.INTEGER,
            new String[] {prefix + key, keyFence(key), serviceFence(service)},
            value,
            bytes(Long.toString(Math.max(1000, ttl.toMillis()))),
            bytes(fences.substring(0, bar)),
            bytes(fences.substring(bar + 1)))
        .thenApply(written -> written != null && written == 1L);
  }

  @Override
  public CompletionStage<Void> invalidate(String service, String key) {
    return connection
        .async()
        .<Long>eval(
            FENCE_THEN_DELETE,
            ScriptOutputType.INTEGER,
            new String[] {keyFence(key), prefix + key},
            bytes(UUID.randomUUID().toString()),
            bytes(Long.toString(FENCE_LIFETIME.toMillis())))
        .thenApply(n -> null);
  }

  @Override
  public CompletionStage<Void> invalidateService(String service) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    connection
        .async()
        .set(
            serviceFence(service),
            bytes(UUID.randomUUID().toString()),
            SetArgs.Builder.px(FENCE_LIFETIME.toMillis()))
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                done.completeExceptionally(error);
                return;
              }
              ScanArgs match =
                  ScanArgs.Builder.matches(glob(prefix + HttpCache.servicePrefix(service)) + "*")
                      .limit(500);
              scanAndUnlink(ScanCursor.INITIAL, match, done);
            });
    return done;
  }

  private String keyFence(String key) {
    return prefix + "#fence#" + key; // '#' is in no service name: no service's scan matches it
  }

  private String serviceFence(String service) {
    return prefix + "#fence-service#" + service;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return b == null ? "" : new String(b, StandardCharsets.UTF_8);
  }

  private void scanAndUnlink(ScanCursor cursor, ScanArgs match, CompletableFuture<Void> done) {
    connection
        .async()
        .scan(cursor, match)
        .whenComplete(
            (KeyScanCursor<String> page, Throwable e) -> {
              if (e != null) {
                done.completeExceptionally(e);
                return;
              }
              List<String> keys = page.getKeys();
              CompletionStage<?> unlinked =
                  keys.isEmpty()
                      ? CompletableFuture.completedFuture(null)
                      : connection.async().unlink(keys.toArray(new String[0]));
              unlinked.whenComplete(
                  (n, error) -> {
                    if (error != null) {
                      done.completeExceptionally(error);
                    } else if (page.isFinished()) {
                      done.complete(null);
                    } else {
                      scanAndUnlink(page, match, done);
                    }
                  });
            });
  }

  @Override
  public CompletionStage<Void> publish(String message) {
    return connection
        .async()
        .publish(channel, message.getBytes(StandardCharsets.UTF_8))
        .thenApply(n -> null);
  }

  @Override
  public void subscribe(Subscriber subscriber) {
    Objects.requireNonNull(subscriber, "subscriber");
    AtomicBoolean lost = new AtomicBoolean();
    client.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
            if (handler == pubsub && !closed.get()) {
              lost.set(true);
            }
          }

          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
            if (handler == pubsub && lost.compareAndSet(true, false)) {
              subscriber.onReconnected();
            }
          }
        });
    StatefulRedisPubSubConnection<String, String> connection = client.connectPubSub();
    connection.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String from, String message) {
            if (channel.equals(from)) {
              subscriber.onMessage(message);
            }
          }
        });
    connection.sync().subscribe(channel);
    this.pubsub = connection;
  }

  /** Closes the connections and stops Lettuce's threads. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    StatefulRedisPubSubConnection<String, String> p = pubsub;
    if (p != null) {
      p.close();
    }
    connection.close();
    shutdown();
  }

  @SuppressWarnings("FutureReturnValueIgnored") // best effort: nothing waits for the threads to end
  private void shutdown() {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }

  @Override
  public String toString() {
    return "RedisSharedTier{prefix=" + prefix + ", channel=" + channel + "}";
  }

  private static String glob(String literal) {
    StringBuilder escaped = new StringBuilder(literal.length() + 8);
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if ("*?[]\\".indexOf(c) >= 0) {
        escaped.append('\\');
      }
      escaped.append(c);
    }
    return escaped.toString();
  }

  /** Configures a {@link RedisSharedTier}. */
  public static final class Builder {
    private final RedisURI uri;
    private Duration timeout = Duration.ofMillis(100);
    private Duration connectTimeout = Duration.ofSeconds(1);
    private Duration maxReconnectDelay = Duration.ofSeconds(1);
    private String keyPrefix = "hyperlane:cache:";
    private String channel = "hyperlane:cache:invalidations";

    private Builder(String redisUri) {
      Objects.requireNonNull(redisUri, "redisUri");
      try {
        this.uri = RedisURI.create(redisUri);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("redisUri is not a Redis URI: " + redisUri, e);
      }
    }

    /** The time a command may take before it fails; 100 ms by default. */
    public Builder timeout(Duration timeout) {
      this.timeout = positive("timeout", timeout);
      return this;
    }

    /** The time a connection attempt may take; 1 s by default. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /** The longest wait between reconnection attempts (they start at 10 ms); 1 s by default. */
    public Builder maxReconnectDelay(Duration delay) {
      this.maxReconnectDelay = positive("maxReconnectDelay", delay);
      return this;
    }

    /** The prefix of every key this tier writes; {@code hyperlane:cache:} by default. */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      this.keyPrefix = keyPrefix;
      return this;
    }

    /** The pub/sub channel of invalidations; {@code hyperlane:cache:invalidations} by default. */
    public Builder channel(String channel) {
      Objects.requireNonNull(channel, "channel");
      if (channel.isEmpty()) {
        throw new IllegalArgumentException("channel must not be empty");
      }
      this.channel = channel;
      return this;
    }

    /**
     * Connects and returns the tier.
     *
     * @throws IllegalStateException when Redis cannot be reached now (later outages are tolerated)
     */
    public RedisSharedTier build() {
      return new RedisSharedTier(this);
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero() || value.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            name + " must be between 1 ns and 1 hour but was " + value);
      }
      return value;
    }
  }
}
