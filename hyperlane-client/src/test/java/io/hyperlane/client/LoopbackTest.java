package io.hyperlane.client;

import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;

/**
 * What every test against loopback replicas shares: the application's own client, to be wrapped,
 * and the replicas the test starts; both are released after each test.
 */
abstract class LoopbackTest {

  /** The client an application already has; tests wrap it. */
  final OkHttpClient base = new OkHttpClient();

  /** The replicas of the test, if it started any. */
  Replicas replicas;

  @AfterEach
  final void releaseLoopback() {
    if (replicas != null) {
      replicas.close();
    }
    base.dispatcher().executorService().shutdown();
    base.connectionPool().evictAll();
  }
}
