package io.hyperlane.cache;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * One stored variant of a response: what the origin said, the request header values it varies on,
 * and the times that give its age (RFC 9111 §4.2.3). Times are wall-clock milliseconds so that an
 * entry written by one instance keeps its age when another reads it from the shared tier.
 * Immutable.
 */
final class StoredResponse {

  /** Fields a cache must not store or forward from storage (RFC 9110 §7.6.1; RFC 9111 §3.1). */
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "te",
          "transfer-encoding",
          "upgrade",
          "proxy-authenticate",
          "proxy-authorization",
          "trailer",
          "age",
          "cache-status");

  /** Fields a 304 must not overwrite in the stored entry (RFC 9111 §3.2). */
  private static final Set<String> KEPT_ON_UPDATE =
      Set.of(
          "content-length",
          "content-encoding",
          "content-type",
          "content-range",
          "transfer-encoding");

  final List<String> varyNames; // lower case
  final List<String> varyValues; // normalised values of the request, "" when absent
  final long requestMillis;
  final long responseMillis;
  final long initialAgeMillis; // corrected_initial_age
  final int code;
  final String message;
  final Protocol protocol;
  final Headers headers;
  final byte[] body;
  final Directives directives;

  /** The origin's {@code Date}, or the time of receipt when it gave none or garbage. */
  final long dateMillis;

  /** {@code Expires}, -1 when absent or not one valid date. */
  final long expiresMillis;

  /** {@code Last-Modified}, -1 when absent or invalid. */
  final long lastModifiedMillis;

  StoredResponse(
      List<String> varyNames,
      List<String> varyValues,
      long requestMillis,
      long responseMillis,
      long initialAgeMillis,
      int code,
      String message,
      Protocol protocol,
      Headers headers,
      byte[] body) {
    this.varyNames = List.copyOf(varyNames);
    this.varyValues = List.copyOf(varyValues);
    this.requestMillis = requestMillis;
    this.responseMillis = responseMillis;
    this.initialAgeMillis = Math.max(0, initialAgeMillis);
    this.code = code;
    this.message = message;
    this.protocol = protocol;
    this.headers = headers;
    this.body = body;
    this.directives = Directives.parse(headers.values("Cache-Control"), List.of());
    long date = HttpDates.parse(headers, "Date", responseMillis);
    this.dateMillis = date < 0 ? responseMillis : date;
    this.expiresMillis =
        headers.get("Expires") == null ? -1 : HttpDates.parse(headers, "Expires", responseMillis);
    this.lastModifiedMillis = HttpDates.parse(headers, "Last-Modified", responseMillis);
  }

  /**
   * Builds the entry for a response just received. {@code varyNames} are the fields the response's
   * {@code Vary} names; the entry also varies on what the cache itself must keep apart: the {@code
   * Host} a caller set (two virtual hosts behind one address are two resources), and, for a body
   * with a content coding, the caller's {@code Accept-Encoding} (a caller that left decoding to
   * OkHttp must never be handed compressed bytes).
   */
  static StoredResponse of(
      Request request,
      Response response,
      @Nullable List<String> varyNames,
      byte[] body,
      long requestMillis,
      long responseMillis) {
    Headers headers = storable(response.headers());
    List<String> selecting = new ArrayList<>(varyNames);
    if (!selecting.contains("host")) {
      selecting.add("host");
    }
    String coding = response.header("Content-Encoding");
    if (coding != null
        && !coding.trim().equalsIgnoreCase("identity")
        && !selecting.contains("accept-encoding")) {
      selecting.add("accept-encoding");
    }
    return new StoredResponse(
        selecting,
        varyValues(request, selecting),
        requestMillis,
        responseMillis,
        initialAge(response.headers(), requestMillis, responseMillis),
        response.code(),
        response.message(),
        response.protocol(),
        headers,
        body);
  }

  /**
   * This entry with {@code body}: for an entry decided on from the headers, the body read since.
   */
  StoredResponse withBody(byte[] body) {
    return new StoredResponse(
        varyNames,
        varyValues,
        requestMillis,
        responseMillis,
        initialAgeMillis,
        code,
        message,
        protocol,
        headers,
        body);
  }

  /**
   * RFC 9111 §4.2.3: the corrected initial age of a response received at {@code responseMillis}.
   */
  static long initialAge(Headers headers, long requestMillis, long responseMillis) {
    long date = HttpDates.parse(headers, "Date", responseMillis);
    long apparentAge = date < 0 ? 0 : Math.max(0, responseMillis - date);
    long ageValue = 0;
    String age = headers.get("Age");
    if (age != null) {
      // a list-valued Age uses its first member; an invalid one is ignored (RFC 9111 §5.1)
      int comma = age.indexOf(',');
      long seconds = Directives.parseSeconds((comma < 0 ? age : age.substring(0, comma)).trim());
      ageValue = seconds < 0 ? 0 : seconds * 1000;
    }
    long correctedAge = ageValue + Math.max(0, responseMillis - requestMillis);
    return Math.max(apparentAge, correctedAge);
  }

  long ageMillis(long nowMillis) {
    return initialAgeMillis + Math.max(0, nowMillis - responseMillis);
  }

  boolean hasValidators() {
    return headers.get("ETag") != null || headers.get("Last-Modified") != null;
  }

  /** True when {@code request} selects this variant (RFC 9111 §4.1). */
  boolean matches(Request request) {
    for (int i = 0; i < varyNames.size(); i++) {
      if (!varyValues.get(i).equals(normalised(request.headers(varyNames.get(i))))) {
        return false;
      }
    }
    return true;
  }

  boolean sameVariant(StoredResponse other) {
    return varyNames.equals(other.varyNames) && varyValues.equals(other.varyValues);
  }

  /**
   * A conditional form of {@code request} that asks whether this entry is still good. A validator
   * that could not be written as a request field (OkHttp reads response fields leniently: a
   * non-ASCII {@code ETag}) is not sent; with none left, the request goes unconditional.
   */
  Request conditional(Request request) {
    Request.Builder builder = request.newBuilder();
    String etag = headers.get("ETag");
    if (etag != null && isWritable(etag)) {
      builder.header("If-None-Match", etag);
    }
    String lastModified = headers.get("Last-Modified");
    if (lastModified != null && isWritable(lastModified)) {
      builder.header("If-Modified-Since", lastModified);
    }
    return builder.build();
  }

  /** Whether every validator of this entry can be sent in a request. */
  boolean hasWritableValidators() {
    String etag = headers.get("ETag");
    String lastModified = headers.get("Last-Modified");
    return etag != null && isWritable(etag) || lastModified != null && isWritable(lastModified);
  }

  private static boolean isWritable(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** This entry with its header fields updated from a 304 received now (RFC 9111 §4.3.4). */
  StoredResponse refreshed(Response notModified, long requestMillis, long responseMillis) {
    Headers update = storable(notModified.headers());
    Headers.Builder merged = new Headers.Builder();
    for (int i = 0; i < headers.size(); i++) {
      String name = headers.name(i);
      if (update.get(name) == null || KEPT_ON_UPDATE.contains(name.toLowerCase(Locale.ROOT))) {
        merged.addUnsafeNonAscii(name, headers.value(i));
      }
    }
    for (int i = 0; i < update.size(); i++) {
      String name = update.name(i);
      if (!KEPT_ON_UPDATE.contains(name.toLowerCase(Locale.ROOT))) {
        merged.addUnsafeNonAscii(name, update.value(i));
      }
    }
    Headers headers = merged.build();
    return new StoredResponse(
        varyNames,
        varyValues,
        requestMillis,
        responseMillis,
        initialAge(notModified.headers(), requestMillis, responseMillis),
        code,
        message,
        protocol,
        headers,
        body);
  }

  /**
   * A response for {@code request} made from this entry, with {@code Age} and {@code Cache-Status}.
   */
  Response toResponse(Request request, long nowMillis, String cacheStatus) {
    String type = headers.get("Content-Type");
    MediaType mediaType = type == null ? null : MediaType.parse(type);
    return new Response.Builder()
        .request(request)
        .protocol(protocol)
        .code(code)
        .message(message)
        .headers(headers)
        .header("Age", Long.toString(ageMillis(nowMillis) / 1000))
        .header("Cache-Status", cacheStatus)
        .body(ResponseBody.create(body, mediaType))
        .sentRequestAtMillis(requestMillis)
        .receivedResponseAtMillis(responseMillis)
        .build();
  }

  /** Bytes this entry holds in the heap, roughly: what the L1 weigher counts. */
  int weight() {
    long weight = 96L + body.length;
    for (int i = 0; i < headers.size(); i++) {
      weight += 2L * (headers.name(i).length() + headers.value(i).length()) + 32;
    }
    for (int i = 0; i < varyValues.size(); i++) {
      weight += 2L * (varyNames.get(i).length() + varyValues.get(i).length()) + 32;
    }
    return (int) Math.min(Integer.MAX_VALUE, weight);
  }

  static List<String> varyValues(Request request, List<String> varyNames) {
    String[] values = new String[varyNames.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = normalised(request.headers(varyNames.get(i)));
    }
    return List.of(values);
  }

  /** All lines of a field joined by ", ", whitespace around the commas removed. */
  private static String normalised(List<String> values) {
    if (values.isEmpty()) {
      return "";
    }
    StringBuilder result = new StringBuilder();
    for (String value : values) {
      for (String member : value.split(",")) {
        String trimmed = member.trim();
        if (!trimmed.isEmpty()) {
          if (result.length() > 0) {
            result.append(',');
          }
          result.append(trimmed);
        }
      }
    }
    return result.toString();
  }

  /**
   * The fields a cache keeps of {@code headers}: not hop-by-hop, not named by {@code Connection},
   * and with a valid field name (OkHttp reads a response's fields leniently, so a broken server's
   * field can have a name that could not be written again).
   */
  private static Headers storable(Headers headers) {
    Set<String> connectionNamed = Set.of();
    String connection = headers.get("Connection");
    if (connection != null) {
      connectionNamed = new HashSet<>();
      for (String token : connection.split(",")) {
        connectionNamed.add(token.trim().toLowerCase(Locale.ROOT));
      }
    }
    Headers.Builder kept = new Headers.Builder();
    for (int i = 0; i < headers.size(); i++) {
      String name = headers.name(i);
      String lower = name.toLowerCase(Locale.ROOT);
      if (!HOP_BY_HOP.contains(lower) && !connectionNamed.contains(lower) && isFieldName(name)) {
        kept.addUnsafeNonAscii(name, headers.value(i));
      }
    }
    return kept.build();
  }

  /** What OkHttp accepts as a field name when it writes one: visible ASCII, at least one. */
  private static boolean isFieldName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
