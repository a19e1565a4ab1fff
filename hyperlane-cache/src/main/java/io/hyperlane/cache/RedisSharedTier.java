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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link SharedTier} on Redis, through Lettuce: entries are plain keys with a TTL under a prefix,
 * invalidations go through a pub/sub channel. Lettuce is an optional dependency of {@code
 * hyperlane-cache}: add {@code io.lettuce:lettuce-core} to use this class.
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

  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final String prefix;
  private final String channel;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile StatefulRedisPubSubConnection<String, String> pubsub;

  private RedisSharedTier(Builder b) {
    this.prefix = b.keyPrefix;
    this.channel = b.channel;
    this.resources = ClientResources.builder()
        .ioThreadPoolSize(2)
        .computationThreadPoolSize(1)
        .reconnectDelay(Delay.exponential(Duration.ofMillis(10), b.maxReconnectDelay, 2,
            TimeUnit.MILLISECONDS))
        .build();
    this.client = RedisClient.create(resources, b.uri);
    client.setOptions(ClientOptions.builder()
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
      throw new IllegalStateException("cannot connect to Redis at " + b.uri.getHost() + ":"
          + b.uri.getPort() + ": " + e.getMessage(), e);
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
  public CompletionStage<byte[]> get(String key) {
    return connection.async().get(prefix + key);
  }

  @Override
  public CompletionStage<Void> put(String key, byte[] value, Duration ttl) {
    return connection.async().set(prefix + key, value, SetArgs.Builder.px(ttl.toMillis()))
        .thenApply(ok -> null);
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    return connection.async().unlink(prefix + key).thenApply(n -> null);
  }

  @Override
  public CompletionStage<Void> deletePrefix(String keyPrefix) {
    ScanArgs match = ScanArgs.Builder.matches(glob(prefix + keyPrefix) + "*").limit(500);
    CompletableFuture<Void> done = new CompletableFuture<>();
    scanAndUnlink(ScanCursor.INITIAL, match, done);
    return done;
  }

  private void scanAndUnlink(ScanCursor cursor, ScanArgs match, CompletableFuture<Void> done) {
    connection.async().scan(cursor, match).whenComplete((KeyScanCursor<String> page, Throwable e) -> {
      if (e != null) {
        done.completeExceptionally(e);
        return;
      }
      List<String> keys = page.getKeys();
      CompletionStage<?> unlinked = keys.isEmpty() ? CompletableFuture.completedFuture(null)
          : connection.async().unlink(keys.toArray(new String[0]));
      unlinked.whenComplete((n, error) -> {
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
    return connection.async().publish(channel, message.getBytes(StandardCharsets.UTF_8))
        .thenApply(n -> null);
  }

  @Override
  public void subscribe(Subscriber subscriber) {
    Objects.requireNonNull(subscriber, "subscriber");
    AtomicBoolean lost = new AtomicBoolean();
    client.addListener(new RedisConnectionStateListener() {
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
    connection.addListener(new RedisPubSubAdapter<>() {
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
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive but was " + value);
      }
      return value;
    }
  }
}
