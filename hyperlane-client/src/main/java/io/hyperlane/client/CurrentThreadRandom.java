package io.hyperlane.client;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The default source of Hyperlane's random choices: the calling thread's {@link ThreadLocalRandom},
 * looked up on each draw (it cannot be stored: each thread has its own).
 */
enum CurrentThreadRandom implements RandomGenerator {
  INSTANCE;

  @Override
  public long nextLong() {
    return ThreadLocalRandom.current().nextLong();
  }

  @Override
  public int nextInt(int bound) {
    return ThreadLocalRandom.current().nextInt(bound);
  }
}
