package io.hyperlane.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import io.hyperlane.client.SelfRegistration;
import io.hyperlane.resilience.Scheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance's key in etcd under a lease: granted and written on start, kept alive every third of
 * its TTL, granted and written again if etcd lost it, revoked on close. Calls run on Hyperlane's
 * blocking executor; failures are retried after a growing pause and logged once per outage.
 */
final class EtcdRegistration implements SelfRegistration {

  private static final Logger log = LoggerFactory.getLogger(EtcdRegistration.class);

  private final EtcdDiscovery etcd;
  private final String key;
  private final String value;
  private final Duration ttl;

  EtcdRegistration(EtcdDiscovery etcd, String key, String value, Duration ttl) {
    this.etcd = etcd;
    this.key = key;
    this.value = value;
    this.ttl = ttl;
  }

  @Override
  public Handle start(Context context) {
    Running running = new Running(context);
    context.blockingExecutor().execute(running::register);
    return running;
  }

  @Override
  public String toString() {
    return "EtcdRegistration{" + key + "}";
  }

  private final class Running implements Handle {
    private final Context context;
    private volatile boolean closed;
    private volatile @Nullable String lease; // etcd's lease ID, as the gateway writes it
    private volatile Scheduler.@Nullable Cancellable timer;
    private int failures;
    private boolean down;

    Running(Context context) {
      this.context = context;
    }

    private synchronized void register() {
      if (closed) {
        return;
      }
      try {
        JsonNode granted =
            call(
                etcd.post(
                    "/v3/lease/grant",
                    Registries.JSON.createObjectNode().put("TTL", ttl.toSeconds())));
        String id = granted.path("ID").asText(null);
        if (id == null) {
          throw new IOException("etcd granted no lease: " + granted);
        }
        call(
            etcd.post(
                "/v3/kv/put",
                Registries.JSON
                    .createObjectNode()
                    .put("key", EtcdDiscovery.b64(key))
                    .put("value", EtcdDiscovery.b64(value))
                    .put("lease", id)));
        lease = id;
        worked();
        log.debug("registered {} in etcd under lease {}", key, id);
        schedule(ttl.dividedBy(3), this::keepAlive);
      } catch (IOException | RuntimeException e) {
        failed(e);
        schedule(Registries.backoff(failures), this::register);
      }
    }

    private synchronized void keepAlive() {
      if (closed) {
        return;
      }
      try {
        JsonNode answer =
            call(
                etcd.post(
                    "/v3/lease/keepalive", Registries.JSON.createObjectNode().put("ID", lease)));
        long left = answer.path("result").path("TTL").asLong(0);
        if (left <= 0) { // the lease expired (etcd was away too long): register again
          log.warn("the etcd lease of {} expired; registering it again", key);
          register();
          return;
        }
        worked();
        schedule(ttl.dividedBy(3), this::keepAlive);
      } catch (IOException | RuntimeException e) {
        failed(e);
        schedule(Registries.backoff(failures), this::keepAlive);
      }
    }

    private JsonNode call(Request request) throws IOException {
      return call(request, Registries.CALL_TIMEOUT);
    }

    private JsonNode call(Request request, Duration timeout) throws IOException {
      Call call = etcd.http.newCall(request);
      call.timeout().timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
      try (Response response = call.execute()) {
        if (!response.isSuccessful()) {
          throw new IOException(
              "etcd answered HTTP " + response.code() + " to " + request.url().encodedPath());
        }
        return Registries.readJson(response.body());
      }
    }

    private void schedule(Duration delay, Runnable task) {
      if (!closed) {
        timer = context.scheduler().schedule(delay, () -> context.blockingExecutor().execute(task));
      }
    }

    private void worked() {
      failures = 0;
      if (down) {
        down = false;
        log.info("registration of {} in etcd works again", key);
      }
    }

    private void failed(Exception e) {
      failures++;
      if (!down) {
        down = true;
        log.warn("registration of {} in etcd failed, retrying: {}", key, e.toString());
      }
    }

    @Override
    public void close() {
      closed = true;
      Scheduler.Cancellable t = timer;
      if (t != null) {
        t.cancel();
      }
      synchronized (this) { // after a register or keep-alive in progress
        String id = lease;
        if (id == null) {
          return;
        }
        try {
          // bounded tighter than other calls: Hyperlane.close() should not hang on an absent etcd
          call(
              etcd.post("/v3/lease/revoke", Registries.JSON.createObjectNode().put("ID", id)),
              Duration.ofSeconds(2));
          log.debug("revoked the etcd lease of {}", key);
        } catch (IOException | RuntimeException e) {
          log.warn(
              "could not revoke the etcd lease of {} (the key goes when it expires): {}",
              key,
              e.toString());
        }
      }
    }
  }
}
