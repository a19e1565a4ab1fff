package io.hyperlane.resilience;

import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * One attempt of a logical call that may be hedged. The request goes out as a call of its own,
 * executed on the caller's thread: a call that never hedges never changes threads. If no good
 * response has come after the hedging delay, and the budget allows, a timer has the same request
 * sent again (to an endpoint not tried yet) as a call on a thread of the shared work pool, up to
 * the policy's limit. The first good response wins; every other call is cancelled at once — the
 * first one too, which ends the caller's wait — and a response that arrives after the winner is
 * closed. When no call gives a good response, the last outcome is the attempt's outcome.
 *
 * <p>Every call of the group is cancelled with the logical call: by its caller, its deadline or its
 * call timeout, and so is the winner while its body is read. The caller waits for hedges through
 * the {@link Sleeper}, so fake and simulated time drive hedging as they drive retries, and the wait
 * ends at once on cancellation.
 */
final class HedgedAttempt {

  /** How one call of the group ended. */
  private record Outcome(Call call, @Nullable Response response, @Nullable IOException failure) {}

  private static final Object WAKE = new Object();

  /** One wait of the caller for the hedges: it loops, and cancellation ends it at once. */
  private static final long MAX_WAIT_NANOS = TimeUnit.HOURS.toNanos(1);

  private final Call.Factory client;
  private final RetryPolicy policy;
  private final LatencyWindow latencies;
  private final Ticker ticker;
  private final Sleeper sleeper;
  private final Scheduler scheduler;
  private final Executor work;
  private final BlockingQueue<Object> wakeUps = new LinkedBlockingQueue<>();

  // Guarded by this.
  private final List<Call> calls = new ArrayList<>(2); // in the order they were sent
  private final List<Call> answered = new ArrayList<>(2); // their outcome is in: never cancelled
  private int pending; // calls sent whose outcome has not been delivered
  private int hedges;
  private @Nullable Outcome winner;
  private boolean winnerReturned;
  private @Nullable Outcome last; // the latest failed outcome, its response still open
  private boolean done;
  private Scheduler.@Nullable Cancellable timer;

  // Set once by run(), before anything reads them.
  private AttemptContext context;
  private Request request;
  private String service;
  private HedgingPolicy hedging;
  private long delayNanos;
  private BudgetState budget;
  private @Nullable BudgetState hedgeRate;
  private ResilienceListener listener;
  private long started;

  @SuppressWarnings("NullAway.Init") // the fields run() sets are read only after it sets them
  HedgedAttempt(
      Call.Factory client,
      RetryPolicy policy,
      LatencyWindow latencies,
      Ticker ticker,
      Sleeper sleeper,
      Scheduler scheduler,
      Executor work) {
    this.client = client;
    this.policy = policy;
    this.latencies = latencies;
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.scheduler = scheduler;
    this.work = work;
  }

  Response run(
      Interceptor.Chain chain,
      Request request,
      AttemptContext context,
      String service,
      HedgingPolicy hedging,
      long delayNanos,
      BudgetState budget,
      @Nullable BudgetState hedgeRate,
      ResilienceListener listener)
      throws IOException {
    this.context = context;
    this.request = request;
    this.service = service;
    this.hedging = hedging;
    this.delayNanos = delayNanos;
    this.budget = budget;
    this.hedgeRate = hedgeRate;
    this.listener = listener;
    this.started = ticker.read();
    CallSignal signal = CallSignal.of(chain.call());
    Call first = newCall();
    synchronized (this) {
      calls.add(first);
      pending++;
      timer = scheduler.schedule(Duration.ofNanos(delayNanos), this::hedgeLater);
    }
    // Kept for the life of the logical call: cancelling it cancels the winner while its body is
    // read, as it cancels every other call of the group (at once, if it is already cancelled).
    signal.onCancel(this::cancelAll);
    try {
      Response response = null;
      IOException failure = null;
      long sent = ticker.read();
      try {
        response = first.execute();
        if (isGood(response)) {
          RetryInterceptor.preloadBody(response, policy);
        }
      } catch (IOException e) {
        if (response != null) {
          response.close();
          response = null;
        }
        failure = e;
      }
      if (response != null) {
        long now = ticker.read();
        latencies.recordAnswer(response.code(), now - sent, now);
      }
      deliver(new Outcome(first, response, failure));
      return awaitWinner(signal);
    } finally {
      finish();
    }
  }

  /** Waits for a good outcome while calls are pending; the last outcome when none was good. */
  private Response awaitWinner(CallSignal signal) throws IOException {
    while (true) {
      synchronized (this) {
        if (winner != null) {
          winnerReturned = true;
          return Objects.requireNonNull(winner.response(), "a winner has a response");
        }
        if (pending == 0) {
          // Every call sent has answered badly: no hedge is sent after that, the retry stage
          // decides what comes next.
          if (timer != null) {
            timer.cancel();
          }
          done = true;
          Outcome outcome = Objects.requireNonNull(last, "every call sent has answered");
          last = null;
          Response response = outcome.response();
          if (response != null) {
            return response;
          }
          throw Objects.requireNonNull(outcome.failure(), "an outcome with no response failed");
        }
      }
      Object woken;
      try {
        woken = signal.poll(sleeper, wakeUps, MAX_WAIT_NANOS); // a call's cancellation ends it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for " + service);
      }
      if (woken == CallSignal.CANCELLED) {
        throw new IOException("Canceled");
      }
    }
  }

  /**
   * The timer's task: hands the hedge to a thread of the shared work pool, so that the user's
   * listeners and event-listener factory never run on (and never delay) the timer every call
   * shares.
   */
  private void hedgeLater() {
    try {
      work.execute(this::hedgeIfDue);
    } catch (RuntimeException e) { // an executor that refused it: no hedge, the call goes on
      org.slf4j.LoggerFactory.getLogger(HedgedAttempt.class)
          .debug("hedge not sent: {}", e.toString());
    }
  }

  /** Sends a hedge if no call has won yet and the budget allows. */
  private void hedgeIfDue() {
    RefusalReason refusal;
    long now = ticker.read();
    synchronized (this) {
      if (done || winner != null || pending == 0 || hedges >= hedging.maxHedges) {
        return;
      }
      refusal =
          hedgeRate != null && !hedgeRate.tryWithdraw(now)
              ? RefusalReason.HEDGE_RATE
              : !budget.tryWithdraw(now) ? RefusalReason.BUDGET_EXHAUSTED : null;
      if (refusal != null) {
        hedges = hedging.maxHedges; // no more tries for this attempt
      } else {
        hedges++;
        pending++;
        if (hedges < hedging.maxHedges) {
          timer = scheduler.schedule(Duration.ofNanos(delayNanos), this::hedgeLater);
        }
      }
    }
    if (refusal != null) {
      ResilienceListener.notify(
          listener, new ResilienceEvent.RetryRefused(service, hedges + 1, refusal, "hedge"));
      return;
    }
    context.nextAttempt();
    ResilienceListener.notify(
        listener, new ResilienceEvent.Hedge(service, hedges, Duration.ofNanos(now - started)));
    launch();
  }

  private Call newCall() {
    Call call = client.newCall(request);
    AttemptContext shared = context;
    call.tag(AttemptContext.class, () -> shared); // the attempt's routing stage reads it there
    return call;
  }

  private void launch() {
    Call call = newCall();
    boolean cancelled;
    synchronized (this) {
      calls.add(call);
      cancelled = done || winner != null;
    }
    if (cancelled) {
      call.cancel(); // it would lose anyway; it still reports, and pending is settled
    }
    // On a thread of the shared work pool (the timer handed the hedge to it): the hedge runs
    // here, never on the caller's executor, which may be full of calls waiting for their hedges.
    long sent = ticker.read();
    Outcome outcome;
    Response response = null;
    try {
      response = call.execute();
      if (isGood(response)) {
        RetryInterceptor.preloadBody(response, policy);
      }
      long now = ticker.read();
      latencies.recordAnswer(response.code(), now - sent, now);
      outcome = new Outcome(call, response, null);
    } catch (IOException e) {
      if (response != null) {
        response.close();
      }
      outcome = new Outcome(call, null, e);
    } catch (RuntimeException e) {
      if (response != null) {
        response.close();
      }
      outcome = new Outcome(call, null, new IOException("hedge failed: " + e, e));
    }
    deliver(outcome);
  }

  /**
   * Takes in one call's outcome, from the caller's thread or a dispatcher thread. The first good
   * one wins and every other call is cancelled at once; calls sent before it lost a race.
   */
  private void deliver(Outcome outcome) {
    List<Call> toCancel = List.of();
    Response toClose = null;
    synchronized (this) {
      pending--;
      answered.add(outcome.call()); // cancelling it now would break its pooled connection
      if (done || winner != null) {
        toClose = outcome.response(); // the group is decided: nobody will read this one
      } else if (outcome.response() != null && isGood(outcome.response())) {
        winner = outcome;
        toCancel = new ArrayList<>(calls.size());
        boolean beforeWinner = true;
        for (Call call : calls) {
          if (call == outcome.call()) {
            beforeWinner = false;
          } else if (!answered.contains(call)) {
            if (beforeWinner) {
              context.markLostRace(call); // outrun by a later attempt: a sign of a slow endpoint
            }
            toCancel.add(call);
          }
        }
      } else {
        if (last != null && last.response() != null) {
          toClose = last.response(); // a failed attempt that came in before this one
        }
        last = outcome;
      }
    }
    if (toClose != null) {
      toClose.close();
    }
    toCancel.forEach(Call::cancel); // the losers: their endpoints count them as cancelled
    wakeUps.offer(WAKE);
  }

  /** The logical call was cancelled: so is every call of the group, the winner's too. */
  private void cancelAll() {
    List<Call> all;
    synchronized (this) {
      all = new ArrayList<>(calls);
    }
    all.forEach(Call::cancel);
  }

  /** The attempt is over: no more hedges; a failed response nobody returned is closed. */
  private void finish() {
    Response unread = null;
    Response unreturned = null;
    List<Call> losers = new ArrayList<>();
    synchronized (this) {
      done = true;
      if (timer != null) {
        timer.cancel();
      }
      if (last != null && last.response() != null) {
        unread = last.response();
      }
      if (winner != null && !winnerReturned) {
        unreturned = winner.response(); // a cancellation or an interrupt ended the wait for it
      }
      for (Call call : calls) {
        if (!answered.contains(call)) {
          losers.add(call); // still under way: nobody wants its answer
        }
      }
    }
    if (unread != null) {
      unread.close();
    }
    if (unreturned != null) {
      unreturned.close();
    }
    losers.forEach(Call::cancel);
  }

  private boolean isGood(Response response) {
    return !policy.retriesStatus(response.code()) && response.code() != 429;
  }
}
