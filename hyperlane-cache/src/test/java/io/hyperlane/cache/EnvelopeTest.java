package io.hyperlane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import okhttp3.Headers;
import okhttp3.Protocol;
import org.junit.jupiter.api.Test;

class EnvelopeTest {

  private final Envelope envelope = new Envelope("0123456789abcdef".getBytes());

  private static Variants sample() {
    StoredResponse en =
        new StoredResponse(
            List.of("accept-language"),
            List.of("en"),
            1000,
            1200,
            3000,
            200,
            "OK",
            Protocol.HTTP_2,
            new Headers.Builder()
                .add("Content-Type", "text/plain")
                .addUnsafeNonAscii("ETag", "\"é\"")
                .build(),
            "héllo".getBytes());
    StoredResponse fr =
        new StoredResponse(
            List.of("accept-language"),
            List.of("fr"),
            1000,
            1200,
            0,
            404,
            "Not Found",
            Protocol.HTTP_1_1,
            Headers.of(),
            new byte[0]);
    return new Variants(List.of(en, fr));
  }

  @Test
  void roundTripKeepsEveryField() throws IOException {
    Variants decoded = envelope.decode("svc:k", envelope.encode("svc:k", sample()));
    assertThat(decoded.entries).hasSize(2);
    StoredResponse en = decoded.entries.get(0);
    assertThat(en.varyValues).containsExactly("en");
    assertThat(en.requestMillis).isEqualTo(1000);
    assertThat(en.responseMillis).isEqualTo(1200);
    assertThat(en.initialAgeMillis).isEqualTo(3000);
    assertThat(en.protocol).isEqualTo(Protocol.HTTP_2);
    assertThat(en.headers.get("ETag")).isEqualTo("\"é\"");
    assertThat(new String(en.body)).isEqualTo("héllo");
    assertThat(decoded.entries.get(1).code).isEqualTo(404);
  }

  @Test
  void anEntryMovedToAnotherKeyOrSignedWithAnotherSecretIsRejected() throws IOException {
    byte[] value = envelope.encode("svc:k", sample());
    assertThat(envelope.decode("svc:other", value)).isNull();
    assertThat(new Envelope("fedcba9876543210".getBytes()).decode("svc:k", value)).isNull();
  }

  @Test
  void truncatedFlippedOrRandomBytesAreRejectedWithoutThrowing() throws IOException {
    byte[] value = envelope.encode("svc:k", sample());
    for (int length = 0; length < value.length; length += 7) {
      assertThat(envelope.decode("svc:k", Arrays.copyOf(value, length))).isNull();
    }
    for (int i = 0; i < value.length; i++) {
      byte[] flipped = value.clone();
      flipped[i] ^= 0x40;
      assertThat(envelope.decode("svc:k", flipped)).as("byte %d flipped", i).isNull();
    }
    Random random = new Random(42);
    for (int i = 0; i < 1000; i++) {
      byte[] garbage = new byte[random.nextInt(300)];
      random.nextBytes(garbage);
      assertThat(envelope.decode("svc:k", garbage)).isNull();
    }
    assertThat(envelope.decode("svc:k", null)).isNull();
  }
}
