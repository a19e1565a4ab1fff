package io.hyperlane.client;

import com.github.benmanes.caffeine.cache.Caffeine;
import io.hyperlane.resilience.Deadline;
import io.opentelemetry.context.Context;
import java.util.Map;
import okhttp3.Call;
import okhttp3.EventListener;
import org.jspecify.annotations.Nullable;

/**
 * What a call inherits from the thread that made it — the OpenTelemetry context and the {@link
 * Deadline} scope — for calls that run on another thread: those sent with {@code enqueue()}, and
 * hedges. OkHttp calls the event-listener factory inside {@code newCall()} on the caller's thread,
 * the one moment both are visible; the wrapping factory keeps them until the call's first stage
 * takes them back. Keys are weak and compared by identity, so a call that never runs is simply
 * forgotten.
 */
final class CallerState {

  /** What was current when a call was made. */
  record Captured(Context context, @Nullable Deadline deadline) {}

  private final Map<Call, Captured> captured =
      Caffeine.newBuilder()
          .weakKeys()
          .executor(
              Runnable::run) // its upkeep on the caller's thread: no wake-up of another per call
          .<Call, Captured>build()
          .asMap();

  /** Wraps {@code delegate}, capturing the caller's state of every call it is asked about. */
  EventListener.Factory capturing(EventListener.Factory delegate) {
    return call -> {
      Context context = Context.current();
      Deadline deadline = Deadline.current().orElse(null);
      if (context != Context.root() || deadline != null) {
        captured.put(call, new Captured(context, deadline));
      }
      return delegate.create(call);
    };
  }

  /** What was captured for {@code call}, removing it; null when nothing was. */
  @Nullable Captured take(Call call) {
    return captured.isEmpty() ? null : captured.remove(call);
  }
}
