package io.hyperlane.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LocalReplicasTest {

  @RegisterExtension final LocalReplicas replicas = LocalReplicas.start(2);

  private final OkHttpClient client =
      new OkHttpClient.Builder().retryOnConnectionFailure(false).build();

  @AfterEach
  void stop() {
    client.dispatcher().executorService().shutdownNow();
    client.connectionPool().evictAll();
  }

  private Response get(int replica) throws IOException {
    return client
        .newCall(new Request.Builder().url(replicas.get(replica).url() + "/x").build())
        .execute();
  }

  @Test
  void eachReplicaAnswersWithItsNameAndIndexOnLoopbackAndCountsWhatItReceived() throws Exception {
    assertThat(replicas.urls()).hasSize(2).allMatch(u -> u.startsWith("http://127.0.0.1:"));
    for (int i = 0; i < 2; i++) {
      try (Response r = get(i)) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.header(LocalReplicas.REPLICA_HEADER)).isEqualTo(Integer.toString(i));
        assertThat(r.body().string()).isEqualTo("replica-" + i);
      }
    }
    assertThat(replicas.get(0).received()).isEqualTo(1);
    assertThat(replicas.get(1).received()).isEqualTo(1);
  }

  @Test
  void scriptedFaultsComeFirstInOrderThenTheSteadyBehaviour() throws Exception {
    replicas.get(0).next(Fault.status(503), Fault.reset()).always(Fault.status(429));
    try (Response r = get(0)) {
      assertThat(r.code()).isEqualTo(503);
    }
    assertThatThrownBy(() -> get(0).close()).isInstanceOf(IOException.class);
    try (Response r = get(0)) {
      assertThat(r.code()).isEqualTo(429);
    }
    replicas.get(0).always(Fault.none());
    try (Response r = get(0)) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(replicas.get(0).received()).isEqualTo(4);
  }

  @Test
  void aDelayedReplicaAnswersAfterItsDelay() throws Exception {
    replicas.get(1).always(Fault.delay(Duration.ofMillis(300)));
    long start = System.nanoTime();
    try (Response r = get(1)) {
      assertThat(r.body().string()).isEqualTo("replica-1");
    }
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
  }

  @Test
  void aBlackHoleNeverAnswersSoOnlyATimeoutEndsTheCall() {
    replicas.get(0).always(Fault.blackHole());
    OkHttpClient impatient = client.newBuilder().callTimeout(300, TimeUnit.MILLISECONDS).build();
    assertThatThrownBy(
            () ->
                impatient
                    .newCall(new Request.Builder().url(replicas.get(0).url()).build())
                    .execute())
        .isInstanceOf(InterruptedIOException.class);
    assertThat(replicas.get(0).received()).isEqualTo(1);
  }

  @Test
  void aSlowBodySendsItsHeadersAtOnceAndTheBodyInPieces() throws Exception {
    replicas.get(0).always(Fault.slowBody(3, Duration.ofMillis(100)));
    long start = System.nanoTime();
    try (Response r = get(0)) {
      long headers = System.nanoTime() - start;
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body().string()).isEqualTo("replica-0".repeat(3));
      long body = System.nanoTime() - start;
      assertThat(body - headers).isGreaterThanOrEqualTo(Duration.ofMillis(200).toNanos());
    }
  }

  @Test
  void closingEndsACallWaitingInABlackHole() throws Exception {
    LocalReplicas own = LocalReplicas.start(1);
    own.get(0).always(Fault.blackHole());
    Thread closer =
        new Thread(
            () -> {
              while (own.get(0).received() == 0) {
                Thread.onSpinWait();
              }
              own.close();
            });
    closer.start();
    OkHttpClient bounded = client.newBuilder().callTimeout(20, TimeUnit.SECONDS).build();
    long start = System.nanoTime();
    assertThatThrownBy(
            () -> bounded.newCall(new Request.Builder().url(own.get(0).url()).build()).execute())
        .isInstanceOf(IOException.class);
    assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(10).toNanos());
    closer.join(10_000);
  }

  @Test
  void badFaultsAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> Fault.status(42)).hasMessageContaining("42");
    assertThatThrownBy(() -> Fault.delay(Duration.ofMinutes(2))).hasMessageContaining("PT2M");
    assertThatThrownBy(() -> Fault.slowBody(0, Duration.ZERO)).hasMessageContaining("0");
    assertThatThrownBy(() -> LocalReplicas.start(0)).hasMessageContaining("0");
  }
}
