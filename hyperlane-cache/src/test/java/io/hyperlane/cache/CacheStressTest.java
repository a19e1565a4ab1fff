package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.hyperlane.cache.Origin.Answer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * Read-your-write under load: two instances share a real Redis, readers read all the time (fills,
 * revalidations with {@code ETag}, stale-while-revalidate, identical requests waiting on each
 * other), and writes (PUTs through either instance) and {@code invalidate()} calls come one after
 * another. The origin answers after a random pause, so fills overlap the writes in every order.
 *
 * <p>Invariant: a read that starts after a write completed on its instance, or after its instance
 * took in the write's invalidation message, returns that version or a later one. Bounded: 400
 * writes, or 20 s.
 */
class CacheStressTest {

  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes();
  private static final int WRITES = 400;

  /** What one read saw. */
  private record Read(int instance, long startedNanos, int version) {}

  @Test
  void noReadAnywhereReturnsABodyOlderThanAWriteItCouldKnowOf() throws Exception {
    AtomicInteger version = new AtomicInteger();
    String prefix = "stress:" + UUID.randomUUID() + ":";
    try (Origin origin = new Origin()) {
      origin.handler(
          request -> {
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(3_000_000)); // 0-3 ms
            if (request.method().equals("PUT")) {
              return Answer.of(200, Integer.toString(version.incrementAndGet()));
            }
            if (request.path().equals("/bump")) { // a change the caches hear of by invalidate()
              return Answer.of(200, Integer.toString(version.incrementAndGet()));
            }
            String v = Integer.toString(version.get()); // read when the request arrives
            String etag = "\"" + v + "\"";
            if (etag.equals(request.header("If-None-Match"))) {
              return Answer.of(
                  304, "", "ETag", etag, "Cache-Control", "max-age=0, stale-while-revalidate=1");
            }
            return Answer.of(
                200,
                v,
                "ETag",
                etag,
                "Cache-Control",
                ThreadLocalRandom.current().nextBoolean()
                    ? "max-age=60"
                    : "max-age=0, stale-while-revalidate=1");
          });
      HttpUrl url = origin.url("/item");
      AtomicLong[] heard = {new AtomicLong(), new AtomicLong()}; // remote invalidations taken in
      HttpCache[] caches = {cache(prefix, heard[0]), cache(prefix, heard[1])};
      OkHttpClient[] clients = new OkHttpClient[2];
      for (int i = 0; i < 2; i++) {
        clients[i] = new OkHttpClient.Builder().addInterceptor(caches[i].interceptor()).build();
      }
      // visible[i]: the version a read starting now on instance i must see at least, with the time
      // from which that holds.
      List<long[]> visible0 = new CopyOnWriteArrayList<>();
      List<long[]> visible1 = new CopyOnWriteArrayList<>();
      ConcurrentLinkedQueue<Read> reads = new ConcurrentLinkedQueue<>();
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService readers = Executors.newFixedThreadPool(6);
      List<Future<?>> readerDone = new ArrayList<>();
      for (int r = 0; r < 6; r++) {
        int instance = r % 2;
        readerDone.add(
            readers.submit(
                () -> {
                  while (running.get()) {
                    long started = System.nanoTime();
                    try {
                      Reply reply = TestClients.call(clients[instance], "GET", url);
                      if (reply.code() == 200) {
                        reads.add(new Read(instance, started, Integer.parseInt(reply.body())));
                      }
                    } catch (IOException e) {
                      // a read that failed saw nothing
                    }
                  }
                  return null;
                }));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      int writes = 0;
      for (; writes < WRITES && System.nanoTime() < deadline; writes++) {
        int writer = ThreadLocalRandom.current().nextInt(2);
        int other = 1 - writer;
        long heardBefore = heard[other].get();
        int written;
        if (ThreadLocalRandom.current().nextBoolean()) {
          written = Integer.parseInt(TestClients.call(clients[writer], "PUT", url).body());
        } else {
          written =
              Integer.parseInt(
                  new OkHttpClient()
                      .newCall(new okhttp3.Request.Builder().url(origin.url("/bump")).build())
                      .execute()
                      .body()
                      .string());
          caches[writer].invalidate(url).toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        (writer == 0 ? visible0 : visible1).add(new long[] {System.nanoTime(), written});
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (heard[other].get() == heardBefore && System.nanoTime() < until) {
          Thread.onSpinWait(); // the other instance takes in the message
        }
        assertThat(heard[other].get())
            .as("the message reached the other instance")
            .isGreaterThan(heardBefore);
        (other == 0 ? visible0 : visible1).add(new long[] {System.nanoTime(), written});
      }
      running.set(false);
      for (Future<?> f : readerDone) {
        f.get(30, TimeUnit.SECONDS);
      }
      readers.shutdown();
      int checked = 0;
      for (Read read : reads) {
        List<long[]> known = read.instance() == 0 ? visible0 : visible1;
        long floor = 0;
        for (long[] k : known) {
          if (k[0] <= read.startedNanos()) {
            floor = Math.max(floor, k[1]);
          }
        }
        assertThat((long) read.version())
            .as(
                "a read on instance %d that started after version" + " %d was known there",
                read.instance(), floor)
            .isGreaterThanOrEqualTo(floor);
        checked++;
      }
      System.out.printf(
          "cache stress: %d writes, %d reads checked, %d L0 waits seen%n",
          writes,
          checked,
          caches[0].stats().service("127.0.0.1").l0Hits()
              + caches[1].stats().service("127.0.0.1").l0Hits());
      assertThat(writes).isGreaterThanOrEqualTo(100);
      assertThat(checked).isGreaterThan(writes);
      for (HttpCache c : caches) {
        c.close();
      }
    }
  }

  private static HttpCache cache(String prefix, AtomicLong heard) {
    return HttpCache.builder()
        .listener(listenerCounting(heard))
        .sharedTier(
            RedisSharedTier.builder(Redis.sharedUri())
                .keyPrefix(prefix)
                .channel(prefix + "invalidations")
                .build(),
            SECRET)
        .sharedTierTimeout(Duration.ofMillis(500))
        .build();
  }

  private static CacheListener listenerCounting(AtomicLong heard) {
    return event -> {
      if (event instanceof CacheEvent.Invalidated i && i.remote()) {
        heard.incrementAndGet();
      }
    };
  }
}
