package io.hyperlane.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import okhttp3.Headers;
import okhttp3.Protocol;
import org.jspecify.annotations.Nullable;

/**
 * The binary form of {@link Variants} in the shared tier: a versioned layout of plain fields (never
 * Java serialization) followed by an HMAC-SHA256 over the key and the fields. An entry that was
 * tampered with, written under another key or another secret, truncated, or of an unknown version
 * decodes to null, which the cache treats as a miss.
 *
 * <pre>
 *   "HLC" version(1 byte = 2)
 *   int variants
 *   per variant: int varyCount, (str name, str value)*, long requestMillis, long responseMillis,
 *                long initialAgeMillis, int code, str message, str protocol,
 *                int headerCount, (str name, str value)*, bytes body
 *   mac (32 bytes) = HMAC-SHA256(secret, utf8(key) 0x00 everything-before-the-mac)
 * </pre>
 *
 * where {@code str} and {@code bytes} are an int length then that many bytes (UTF-8 for strings).
 */
final class Envelope {

  private static final byte[] MAGIC = {'H', 'L', 'C', 2}; // 2: every variant selects on Host
  private static final int MAC_LENGTH = 32;
  private static final int MAX_FIELDS = 1024;

  private final Mac prototype;

  Envelope(byte[] secret) {
    try {
      prototype = Mac.getInstance("HmacSHA256");
      prototype.init(new SecretKeySpec(secret, "HmacSHA256"));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }

  byte[] encode(String key, Variants variants) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(MAGIC);
    out.writeInt(variants.entries.size());
    for (StoredResponse entry : variants.entries) {
      out.writeInt(entry.varyNames.size());
      for (int i = 0; i < entry.varyNames.size(); i++) {
        writeString(out, entry.varyNames.get(i));
        writeString(out, entry.varyValues.get(i));
      }
      out.writeLong(entry.requestMillis);
      out.writeLong(entry.responseMillis);
      out.writeLong(entry.initialAgeMillis);
      out.writeInt(entry.code);
      writeString(out, entry.message);
      writeString(out, entry.protocol.toString());
      out.writeInt(entry.headers.size());
      for (int i = 0; i < entry.headers.size(); i++) {
        writeString(out, entry.headers.name(i));
        writeString(out, entry.headers.value(i));
      }
      out.writeInt(entry.body.length);
      out.write(entry.body);
    }
    out.flush();
    byte[] payload = bytes.toByteArray();
    byte[] mac = mac(key, payload, payload.length);
    byte[] result = new byte[payload.length + MAC_LENGTH];
    System.arraycopy(payload, 0, result, 0, payload.length);
    System.arraycopy(mac, 0, result, payload.length, MAC_LENGTH);
    return result;
  }

  /** The variants in {@code value} when it is intact and was written for {@code key}; else null. */
  @Nullable Variants decode(String key, byte[] value) {
    if (value == null || value.length < MAGIC.length + 4 + MAC_LENGTH) {
      return null;
    }
    int payloadLength = value.length - MAC_LENGTH;
    byte[] expected = mac(key, value, payloadLength);
    byte[] actual = new byte[MAC_LENGTH];
    System.arraycopy(value, payloadLength, actual, 0, MAC_LENGTH);
    if (!MessageDigest.isEqual(expected, actual)) {
      return null;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (value[i] != MAGIC[i]) {
        return null; // another version: a miss until it is rewritten
      }
    }
    try {
      DataInputStream in =
          new DataInputStream(
              new ByteArrayInputStream(value, MAGIC.length, payloadLength - MAGIC.length));
      int count = bounded(in.readInt(), Variants.MAX);
      if (count == 0) {
        return null;
      }
      List<StoredResponse> entries = new ArrayList<>(count);
      for (int v = 0; v < count; v++) {
        int varyCount = bounded(in.readInt(), MAX_FIELDS);
        List<String> names = new ArrayList<>(varyCount);
        List<String> values = new ArrayList<>(varyCount);
        for (int i = 0; i < varyCount; i++) {
          names.add(readString(in));
          values.add(readString(in));
        }
        long requestMillis = in.readLong();
        long responseMillis = in.readLong();
        long initialAge = in.readLong();
        int code = in.readInt();
        if (code < 100 || code > 999) {
          return null;
        }
        String message = readString(in);
        Protocol protocol = Protocol.get(readString(in));
        int headerCount = bounded(in.readInt(), MAX_FIELDS);
        Headers.Builder headers = new Headers.Builder();
        for (int i = 0; i < headerCount; i++) {
          headers.addUnsafeNonAscii(readString(in), readString(in));
        }
        byte[] body = readBytes(in);
        entries.add(
            new StoredResponse(
                names,
                values,
                requestMillis,
                responseMillis,
                initialAge,
                code,
                message,
                protocol,
                headers.build(),
                body));
      }
      if (in.available() != 0) {
        return null;
      }
      return new Variants(entries);
    } catch (IOException | RuntimeException e) {
      return null; // authentic but unreadable: written by a buggy writer; still only a miss
    }
  }

  /**
   * The signature of a control message under the tier's secret, in a domain of its own (no message
   * can pass for an entry, nor an entry for a message).
   */
  String sign(String message) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(mac("\u0000message", message.getBytes(StandardCharsets.UTF_8), -1));
  }

  /** Whether {@code signature} is {@code message}'s; constant time. */
  boolean verify(String message, String signature) {
    byte[] given;
    try {
      given = Base64.getUrlDecoder().decode(signature);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(
        given, mac("\u0000message", message.getBytes(StandardCharsets.UTF_8), -1));
  }

  private byte[] mac(String key, byte[] payload, int length) {
    Mac mac;
    try {
      mac = (Mac) prototype.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
    mac.update(key.getBytes(StandardCharsets.UTF_8));
    mac.update((byte) 0);
    mac.update(payload, 0, length < 0 ? payload.length : length);
    return mac.doFinal();
  }

  private static int bounded(int value, int max) throws IOException {
    if (value < 0 || value > max) {
      throw new IOException("count out of range: " + value);
    }
    return value;
  }

  private static void writeString(DataOutputStream out, String value) throws IOException {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static String readString(DataInputStream in) throws IOException {
    return new String(readBytes(in), StandardCharsets.UTF_8);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new IOException("length out of range: " + length);
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }
}
