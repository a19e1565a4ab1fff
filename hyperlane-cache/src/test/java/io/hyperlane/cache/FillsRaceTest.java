package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A fill that starts while an invalidation of its key begins is fenced, whatever the interleaving:
 * it is either registered when the invalidation fences the key's fills, or it sees the
 * invalidation's mark. Before the fix a fill could read "no invalidation" just before the mark was
 * set and register just after the fence had run — unfenced, it then copied the old entry from the
 * shared tier back into the heap, where later reads found it (CacheStressTest caught it once).
 */
class FillsRaceTest {

  @Test
  void aFillRacingTheStartOfAnInvalidationIsAlwaysFenced() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < 20_000; i++) {
        Fills fills = new Fills();
        CyclicBarrier together = new CyclicBarrier(2);
        Future<Fills.Fill> reader =
            threads.submit(
                () -> {
                  together.await(5, TimeUnit.SECONDS);
                  return fills.start("inventory", "key", 0);
                });
        Future<?> writer =
            threads.submit(
                () -> {
                  together.await(5, TimeUnit.SECONDS);
                  fills.beginInvalidation("key");
                  fills.fence("key", () -> {});
                  return null;
                });
        writer.get(5, TimeUnit.SECONDS);
        Fills.Fill fill = reader.get(5, TimeUnit.SECONDS);
        assertThat(fill.fenced).as("iteration %s: the racing fill is fenced", i).isTrue();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void aFillRacingTheStartOfAServiceInvalidationIsAlwaysFenced() throws Exception {
    String key = HttpCache.servicePrefix("inventory") + "GET http://inventory/items/1";
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < 20_000; i++) {
        Fills fills = new Fills();
        CyclicBarrier together = new CyclicBarrier(2);
        Future<Fills.Fill> reader =
            threads.submit(
                () -> {
                  together.await(5, TimeUnit.SECONDS);
                  return fills.start("inventory", key, 0);
                });
        Future<?> writer =
            threads.submit(
                () -> {
                  together.await(5, TimeUnit.SECONDS);
                  fills.beginInvalidation(Fills.serviceMark("inventory"));
                  fills.fenceService("inventory");
                  return null;
                });
        writer.get(5, TimeUnit.SECONDS);
        Fills.Fill fill = reader.get(5, TimeUnit.SECONDS);
        assertThat(fill.fenced).as("iteration %s: the racing fill is fenced", i).isTrue();
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
