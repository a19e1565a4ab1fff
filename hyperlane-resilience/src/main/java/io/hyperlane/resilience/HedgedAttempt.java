package io.hyperlane.resilience;

import io.hyperlane.resilience.ResilienceEvent.RefusalReason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One attempt of a logical call that may be hedged: the request goes out as a call of its own; if no
 * good response has come after the hedging delay, and the budget allows, the same request goes out
 * again (to an endpoint not tried yet), up to the policy's limit. The first good response wins; every
 * other call is cancelled, and a response that arrives after the winner is closed. When no attempt
 * gives a good response, the last outcome is the attempt's outcome.
 *
 * <p>The waiting thread wakes at least every 50 ms to notice that its own call was cancelled, and
 * exactly at the deadline when there is one. It waits through the {@link Sleeper}, so that fake and
 * simulated time drive hedging as they drive retries.
 */
final class HedgedAttempt {

  private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /** How one call of the group ended. */
  private record Outcome(Call call, Response response, IOException failure) {}

  private final BlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
  private final List<Call> calls = new ArrayList<>(2);
  private volatile boolean done;
  private AttemptContext context;
  private volatile Call winner;

  private final Call.Factory client;
  private final RetryPolicy policy;
  private final LatencyWindow latencies;
  private final Ticker ticker;
  private final Sleeper sleeper;

  HedgedAttempt(Call.Factory client, RetryPolicy policy, LatencyWindow latencies, Ticker ticker,
      Sleeper sleeper) {
    this.client = client;
    this.policy = policy;
    this.latencies = latencies;
    this.ticker = ticker;
    this.sleeper = sleeper;
  }

  Response run(Interceptor.Chain chain, Request request, AttemptContext context, String service,
      HedgingPolicy hedging, long delayNanos, BudgetState budget, BudgetState hedgeRate,
      Deadline deadline, ResilienceListener listener) throws IOException {
    long started = ticker.read();
    this.context = context;
    launch(request);
    int outstanding = 1;
    int hedges = 0;
    long nextHedge = started + delayNanos;
    Outcome last = null;
    try {
      while (outstanding > 0) {
        long wait = SLICE_NANOS;
        if (hedges < hedging.maxHedges) {
          wait = Math.min(wait, Math.max(0, nextHedge - ticker.read()));
        }
        if (deadline != null) {
          wait = Math.min(wait, Math.max(0, deadline.remainingNanos()));
        }
        Outcome outcome;
        try {
          outcome = sleeper.poll(outcomes, wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for " + service);
        }
        if (chain.call().isCanceled()) {
          throw new IOException("Canceled");
        }
        if (outcome == null) {
          long now = ticker.read();
          if (hedges < hedging.maxHedges && now - nextHedge >= 0) {
            RefusalReason refusal = hedgeRate != null && !hedgeRate.tryWithdraw(now)
                ? RefusalReason.HEDGE_RATE
                : !budget.tryWithdraw(now) ? RefusalReason.BUDGET_EXHAUSTED : null;
            if (refusal == null) {
              hedges++;
              outstanding++;
              context.nextAttempt();
              ResilienceListener.notify(listener,
                  new ResilienceEvent.Hedge(service, hedges, Duration.ofNanos(now - started)));
              launch(request);
              nextHedge = now + delayNanos;
            } else {
              ResilienceListener.notify(listener, new ResilienceEvent.RetryRefused(service,
                  hedges + 1, refusal, "hedge"));
              hedges = hedging.maxHedges;
            }
          }
          continue;
        }
        outstanding--;
        if (outcome.response() != null && isGood(outcome.response())) {
          winner = outcome.call();
          return outcome.response();
        }
        if (last != null && last.response() != null) {
          last.response().close();
        }
        last = outcome;
      }
      if (last.response() != null) {
        winner = last.call();
        return last.response();
      }
      throw last.failure();
    } finally {
      done = true;
      if (last != null && last.response() != null && last.call() != winner) {
        last.response().close(); // a failed attempt that came in before the winner
      }
      boolean beforeWinner = winner != null;
      for (Call call : calls) { // in the order they were sent
        if (call == winner) {
          beforeWinner = false;
        } else {
          if (beforeWinner) {
            context.markLostRace(call); // outrun by a later attempt: a sign of a slow endpoint
          }
          call.cancel(); // the losers: their endpoints count them as cancelled, not failed
        }
      }
      closeLosers();
    }
  }

  private boolean isGood(Response response) {
    return !policy.retriesStatus(response.code()) && response.code() != 429;
  }

  private void launch(Request request) {
    Call call = client.newCall(request);
    AttemptContext shared = context;
    call.tag(AttemptContext.class, () -> shared); // the hedge's routing stage reads it there
    calls.add(call);
    long start = ticker.read();
    call.enqueue(new Callback() {
      @Override
      public void onResponse(Call c, Response response) {
        try {
          if (isGood(response)) {
            RetryInterceptor.preloadBody(response, policy);
          }
        } catch (IOException e) {
          response.close();
          onFailure(c, e);
          return;
        }
        if (response.code() < 500) {
          latencies.record(ticker.read() - start, ticker.read());
        }
        deliver(new Outcome(c, response, null));
      }

      @Override
      public void onFailure(Call c, IOException e) {
        deliver(new Outcome(c, null, e));
      }
    });
  }

  private void deliver(Outcome outcome) {
    outcomes.add(outcome);
    if (done) {
      closeLosers(); // the group is over: nobody will read this one
    }
  }

  private void closeLosers() {
    Outcome o;
    while ((o = outcomes.poll()) != null) {
      if (o.response() != null && o.call() != winner) {
        o.response().close();
      }
    }
  }
}
