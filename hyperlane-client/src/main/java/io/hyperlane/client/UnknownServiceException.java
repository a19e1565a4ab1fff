package io.hyperlane.client;

import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * A call went to a short host name (one label, such as {@code inventroy}) that is no registered
 * service, while {@link Hyperlane.Builder#typoGuard(boolean)} is on: most likely a misspelt service
 * name, which without the guard would leave the mesh — an {@code UnknownHostException} at best, a
 * call with no retries, circuits or deadline if a DNS search domain resolves it. The message names
 * the nearest registered service. Nothing was sent.
 */
public final class UnknownServiceException extends UnknownHostException {

  private static final long serialVersionUID = 1L;

  /** How many service names the message lists at most. */
  private static final int LISTED = 20;

  private final String host;
  private final @Nullable String suggestion;

  /**
   * Creates the exception.
   *
   * @param host the host the call was written with
   * @param suggestion the registered service whose name is nearest, or null when none is near
   * @param services every registered service, listed in the message
   */
  public UnknownServiceException(
      String host, @Nullable String suggestion, Collection<String> services) {
    super(
        "\""
            + Objects.requireNonNull(host, "host")
            + "\" is not a registered service"
            + (suggestion == null ? "" : " (did you mean \"" + suggestion + "\"?)")
            + "; the services are "
            + listed(services)
            + ". Hyperlane.Builder.typoGuard(false) lets calls to other short host names through.");
    this.host = host;
    this.suggestion = suggestion;
  }

  /** The first {@value #LISTED} service names, in order, and how many more there are. */
  private static String listed(Collection<String> services) {
    List<String> sorted = new ArrayList<>(new TreeSet<>(services));
    if (sorted.size() <= LISTED) {
      return sorted.toString();
    }
    return sorted.subList(0, LISTED) + " and " + (sorted.size() - LISTED) + " more";
  }

  /**
   * The host the call was written with.
   *
   * @return the host
   */
  public String host() {
    return host;
  }

  /**
   * The registered service whose name is nearest to {@link #host()} (at most two edits away).
   *
   * @return the suggestion, or empty when no service name is that near
   */
  public Optional<String> suggestion() {
    return Optional.ofNullable(suggestion);
  }
}
