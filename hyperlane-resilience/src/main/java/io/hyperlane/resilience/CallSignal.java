package io.hyperlane.resilience;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Call;
import okhttp3.EventListener;
import org.jspecify.annotations.Nullable;

/**
 * What ends every wait inside one logical call at once: its cancellation, whether by its caller, by
 * its deadline (the deadline stage cancels the call) or by OkHttp's call timeout. OkHttp tells
 * every listener of a call when it is cancelled; a signal is such a listener, attached to the call
 * on the first wait that needs one (a call that never waits pays nothing). Each wait goes through
 * the {@link Sleeper}, on a queue the signal wakes.
 *
 * <p>Thread-safe.
 */
final class CallSignal extends EventListener {

  /** Put in a waiting queue when the call is cancelled. */
  static final Object CANCELLED =
      new Object() {
        @Override
        public String toString() {
          return "CANCELLED";
        }
      };

  private final Set<BlockingQueue<Object>> waiting = ConcurrentHashMap.newKeySet();
  private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();
  private final AtomicBoolean attached = new AtomicBoolean();
  private volatile boolean cancelled;

  private CallSignal() {}

  /** The signal of {@code call}, attached to it on first use. */
  static CallSignal of(Call call) {
    CallSignal signal = call.tag(CallSignal.class, CallSignal::new);
    if (signal.attached.compareAndSet(false, true)) {
      call.addEventListener(signal);
      if (call.isCanceled()) {
        signal.canceled(call); // cancelled before the listener was there to hear it
      }
    }
    return signal;
  }

  @Override
  public void canceled(Call call) {
    if (cancelled) {
      return;
    }
    cancelled = true;
    for (BlockingQueue<Object> queue : waiting) {
      queue.offer(CANCELLED);
    }
    for (Runnable action : onCancel) {
      action.run();
    }
  }

  boolean cancelled() {
    return cancelled;
  }

  /** Runs {@code action} when the call is cancelled, at once if it already is. */
  void onCancel(Runnable action) {
    onCancel.add(action);
    if (cancelled && onCancel.remove(action)) {
      action.run();
    }
  }

  /**
   * Takes the head of {@code queue}, waiting through {@code sleeper} up to {@code timeoutNanos};
   * null when nothing came in time, {@link #CANCELLED} as soon as the call is cancelled.
   */
  @Nullable Object poll(Sleeper sleeper, BlockingQueue<Object> queue, long timeoutNanos)
      throws InterruptedException {
    waiting.add(queue);
    try {
      if (cancelled) {
        return CANCELLED;
      }
      return sleeper.poll(queue, Math.max(0, timeoutNanos));
    } finally {
      waiting.remove(queue);
    }
  }

  /**
   * Pauses for {@code duration}, or less when the call is cancelled meanwhile.
   *
   * @throws IOException {@code Canceled}, as OkHttp says it, when the call was cancelled
   */
  void pause(Sleeper sleeper, Duration duration, String what) throws IOException {
    Object woken;
    try {
      woken = poll(sleeper, new LinkedBlockingQueue<>(1), duration.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting " + what);
    }
    if (woken == CANCELLED) {
      throw new IOException("Canceled");
    }
  }
}
