package io.hyperlane.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * RFC 9111 for a shared cache, with the settings of one {@link HttpCache}: what may be stored, for
 * how long it is fresh, and whether a stored response may answer a request. Stateless and
 * thread-safe; every method tolerates malformed fields (an invalid freshness value makes the
 * response stale, an invalid {@code Vary} makes it unstorable).
 */
final class CacheRules {

  /** Codes a cache may give heuristic freshness to (RFC 9110 §15.1). */
  private static final Set<Integer> HEURISTIC_CODES =
      Set.of(200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501);

  /** How long an entry with validators is kept past its stale windows, for conditional requests. */
  static final long VALIDATOR_RETENTION_MILLIS = 3_600_000;

  private static final long MAX_MILLIS = Directives.MAX_SECONDS * 1000;

  /** What may be done with a stored response for one request. */
  enum Use {
    FRESH,
    STALE_WHILE_REVALIDATE,
    FORWARD
  }

  private final Set<Integer> cacheableCodes;
  private final double heuristicFraction; // 0: off
  private final long heuristicMaxMillis;
  private final long defaultStaleWhileRevalidateMillis;
  private final long defaultStaleIfErrorMillis;
  final long maxBodyBytes;

  CacheRules(
      Set<Integer> cacheableCodes,
      double heuristicFraction,
      long heuristicMaxMillis,
      long defaultStaleWhileRevalidateMillis,
      long defaultStaleIfErrorMillis,
      long maxBodyBytes) {
    this.cacheableCodes = Set.copyOf(cacheableCodes);
    this.heuristicFraction = heuristicFraction;
    this.heuristicMaxMillis = heuristicMaxMillis;
    this.defaultStaleWhileRevalidateMillis = defaultStaleWhileRevalidateMillis;
    this.defaultStaleIfErrorMillis = defaultStaleIfErrorMillis;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** True when a GET may be looked up and its response stored; false means pass it through. */
  static boolean cacheableRequest(Request request, Directives directives) {
    return request.method().equals("GET")
        && !directives.has("no-store")
        && request.header("Range") == null
        // the caller validates its own copy: its conditional request and the answer are its own
        && request.header("If-None-Match") == null
        && request.header("If-Modified-Since") == null
        && request.header("If-Match") == null
        && request.header("If-Unmodified-Since") == null
        && request.header("If-Range") == null;
  }

  /**
   * The lower-case field names of {@code Vary}, empty when there is none, or null when the response
   * must not be stored ({@code Vary: *} or a member that is not a field name).
   */
  static @Nullable List<String> varyNames(Response response) {
    List<String> lines = response.headers("Vary");
    if (lines.isEmpty()) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (String line : lines) {
      for (String member : line.split(",")) {
        String name = member.trim().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
          continue;
        }
        if (!isToken(name)) {
          return null; // includes "*"
        }
        if (!names.contains(name)) {
          names.add(name);
        }
      }
    }
    return names;
  }

  /**
   * Why {@code response} to {@code request} may not be stored by a shared cache (RFC 9111 §3), or
   * null when it may; decided from the header fields alone, before any of the body is read. {@code
   * varyNames} is {@link #varyNames}'s answer.
   *
   * <p>The credentials checked are those of every request that actually went out for it — the one
   * the cache forwarded, the one the network saw ({@code response.request()}), and those of every
   * earlier response in the chain — since credentials may be added below the cache: by an
   * interceptor, or by OkHttp's {@code Authenticator} after a 401.
   */
  @Nullable String unstorableReason(Request request, Response response, List<String> varyNames) {
    return unstorableReason(request, response, varyNames, false);
  }

  /**
   * As {@link #unstorableReason(Request, Response, List)}, when {@code credentialsSent} says
   * whether the network saw credentials on any request sent for this one.
   */
  @Nullable String unstorableReason(
      Request request,
      Response response,
      @Nullable List<String> varyNames,
      boolean credentialsSent) {
    if (!cacheableCodes.contains(response.code())) {
      return "status " + response.code();
    }
    Directives directives = Directives.parse(response.headers("Cache-Control"), List.of());
    if (directives.has("no-store")) {
      return "no-store";
    }
    if (directives.has("private")) {
      return "private";
    }
    if ((credentialsSent || authorized(request, response))
        && !directives.has("public")
        && !directives.has("s-maxage")
        && !directives.has("must-revalidate")) {
      return "authorized request";
    }
    if (!response.headers("Set-Cookie").isEmpty()) {
      return "Set-Cookie"; // one user's session must never reach another
    }
    for (Response prior = response.priorResponse(); prior != null; prior = prior.priorResponse()) {
      if (prior.code() >= 300 && prior.code() < 400) {
        return "followed a redirect"; // the answer is another URL's, and the hop's rules unknown
      }
    }
    if (varyNames == null) {
      return "Vary";
    }
    String type = response.header("Content-Type");
    if (type != null && type.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
      return "event stream"; // never ends, never buffered
    }
    long length = response.body() == null ? -1 : response.body().contentLength();
    if (length > maxBodyBytes) {
      return "larger than " + maxBodyBytes + " bytes";
    }
    return null;
  }

  /**
   * Why an entry refreshed by a 304 may not be stored (the 304's fields now in it: {@code
   * no-store}, {@code private}, a cookie, credentials sent), or null when it may.
   */
  static @Nullable String unstorableRefresh(StoredResponse refreshed, boolean credentialsSent) {
    Directives d = refreshed.directives;
    if (d.has("no-store")) {
      return "no-store";
    }
    if (d.has("private")) {
      return "private";
    }
    if (refreshed.headers.get("Set-Cookie") != null) {
      return "Set-Cookie";
    }
    if (credentialsSent && !d.has("public") && !d.has("s-maxage") && !d.has("must-revalidate")) {
      return "authorized request";
    }
    return null;
  }

  /**
   * Whether a reason {@link #unstorableReason} gave is the response's own (so identical calls will
   * get the same: not worth waiting on each other), rather than this call's (its credentials) or
   * the origin's state (an error status).
   */
  static boolean intrinsic(@Nullable String reason) {
    return reason != null
        && !reason.equals("authorized request")
        && !reason.startsWith("status 5")
        && !reason.equals("followed a redirect");
  }

  /** Whether any request that went out for {@code response} carried credentials. */
  static boolean authorized(Request request, Response response) {
    if (request.header("Authorization") != null) {
      return true;
    }
    for (Response r = response; r != null; r = r.priorResponse()) {
      if (r.request().header("Authorization") != null) {
        return true;
      }
    }
    return false;
  }

  /** True when the stored entry is worth keeping: fresh for a while, or able to be revalidated. */
  boolean worthStoring(StoredResponse entry) {
    return freshnessMillis(entry) > 0 || entry.hasValidators();
  }

  /** RFC 9111 §4.2.1 for a shared cache; 0 when the response is stale from the start. */
  long freshnessMillis(StoredResponse entry) {
    Directives directives = entry.directives;
    long sMaxAge = directives.seconds("s-maxage");
    if (sMaxAge != Directives.ABSENT) {
      return sMaxAge == Directives.INVALID ? 0 : sMaxAge * 1000;
    }
    long maxAge = directives.seconds("max-age");
    if (maxAge != Directives.ABSENT) {
      return maxAge == Directives.INVALID ? 0 : maxAge * 1000;
    }
    if (entry.headers.get("Expires") != null) {
      long at = entry.expiresMillis; // an invalid or repeated Expires means stale (§5.3)
      return at < 0 ? 0 : Math.min(MAX_MILLIS, Math.max(0, at - entry.dateMillis));
    }
    if (heuristicFraction > 0 && HEURISTIC_CODES.contains(entry.code)) {
      long lastModified = entry.lastModifiedMillis;
      if (lastModified >= 0) {
        long since = Math.max(0, entry.dateMillis - lastModified);
        return Math.min(heuristicMaxMillis, (long) (since * heuristicFraction));
      }
    }
    return 0;
  }

  /** True when a stale copy must never be served without validation (RFC 9111 §5.2.2). */
  static boolean mustRevalidate(StoredResponse entry) {
    Directives d = entry.directives;
    return d.has("must-revalidate")
        || d.has("proxy-revalidate")
        || d.has("s-maxage")
        || d.has("no-cache");
  }

  long staleWhileRevalidateMillis(StoredResponse entry) {
    return staleWindow(entry, "stale-while-revalidate", defaultStaleWhileRevalidateMillis);
  }

  long staleIfErrorMillis(StoredResponse entry) {
    return staleWindow(entry, "stale-if-error", defaultStaleIfErrorMillis);
  }

  private static long staleWindow(StoredResponse entry, String directive, long fallback) {
    if (mustRevalidate(entry)) {
      return 0;
    }
    long seconds = entry.directives.seconds(directive);
    if (seconds == Directives.INVALID) {
      return 0;
    }
    return seconds == Directives.ABSENT ? fallback : seconds * 1000;
  }

  /** What a stored entry may do for a request that carries {@code requestDirectives}. */
  Use use(StoredResponse entry, Directives requestDirectives, long nowMillis) {
    if (entry.directives.has("no-cache") || requestDirectives.has("no-cache")) {
      return Use.FORWARD;
    }
    long age = entry.ageMillis(nowMillis);
    long fresh = freshnessMillis(entry);
    long maxAge = requestDirectives.seconds("max-age");
    if (maxAge == Directives.INVALID || (maxAge >= 0 && age > maxAge * 1000)) {
      return Use.FORWARD;
    }
    long minFresh = requestDirectives.seconds("min-fresh");
    long needed = age + (minFresh > 0 ? minFresh * 1000 : 0);
    if (needed < fresh) {
      return Use.FRESH;
    }
    if (mustRevalidate(entry)) {
      return Use.FORWARD;
    }
    long maxStale = requestDirectives.maxStale();
    if (maxStale >= 0 && age - fresh <= maxStale * 1000) {
      return Use.FRESH; // the client accepts this much staleness (RFC 9111 §5.2.1.2)
    }
    if (age - fresh <= staleWhileRevalidateMillis(entry)) {
      return Use.STALE_WHILE_REVALIDATE;
    }
    return Use.FORWARD;
  }

  /** True when {@code entry} may answer in place of a failed origin (RFC 5861 §4). */
  boolean servableOnError(StoredResponse entry, long nowMillis) {
    if (entry.directives.has("no-cache")) {
      return false;
    }
    long stale = entry.ageMillis(nowMillis) - freshnessMillis(entry);
    return stale <= staleIfErrorMillis(entry);
  }

  /**
   * The wall-clock time after which the entry can serve nothing, not even a conditional request.
   */
  long servableUntil(StoredResponse entry) {
    long window = Math.max(staleWhileRevalidateMillis(entry), staleIfErrorMillis(entry));
    long until = entry.responseMillis - entry.initialAgeMillis + freshnessMillis(entry) + window;
    return entry.hasValidators() ? until + VALIDATOR_RETENTION_MILLIS : until;
  }

  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok || c == '*') {
        return false;
      }
    }
    return true;
  }
}
