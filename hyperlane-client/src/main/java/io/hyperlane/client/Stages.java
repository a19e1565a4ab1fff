package io.hyperlane.client;

import java.util.ArrayList;
import java.util.List;
import okhttp3.Interceptor;

/**
 * The one place where the order of Hyperlane's stages is written down (DESIGN.md, "One call,
 * outermost to innermost"). Each stage is an OkHttp application interceptor; they are appended
 * after the wrapped client's own interceptors, outermost first:
 *
 * <ol>
 *   <li>caller state: what the calling thread had when the call was made (trace context, deadline
 *       scope), given back to a call that runs on a dispatcher thread ({@link CallerState});
 *   <li>telemetry: the span and duration metric of the logical call;
 *   <li>deadline: holds the whole call to its deadline — a wait for an identical request in flight
 *       (the cache's L0) as much as every attempt and the body;
 *   <li>cache: answers from L0/L1/L2 when allowed, and then nothing below runs;
 *   <li>resilience: service limits, service circuit, then retries and hedges; every attempt
 *       re-enters the stage below;
 *   <li>routing: the endpoint of this attempt ({@link RoutingInterceptor});
 *   <li>the user's attempt interceptors, which see the endpoint's URL.
 * </ol>
 *
 * <p>A stage that is not configured is left out rather than installed as a no-op, so it costs
 * nothing.
 */
final class Stages {

  private Stages() {}

  static List<Interceptor> inOrder(
      CallerStateInterceptor callerState,
      Interceptor telemetry,
      Interceptor deadline,
      Interceptor cache,
      List<Interceptor> resilience,
      RoutingInterceptor routing,
      List<Interceptor> attempt) {
    List<Interceptor> stages = new ArrayList<>(5 + resilience.size() + attempt.size());
    stages.add(callerState);
    addIfPresent(stages, telemetry);
    stages.add(deadline);
    addIfPresent(stages, cache);
    stages.addAll(resilience); // limits, service circuit, retries: each spans those below
    stages.add(routing);
    stages.addAll(attempt);
    return List.copyOf(stages);
  }

  private static void addIfPresent(List<Interceptor> stages, Interceptor stage) {
    if (stage != null) {
      stages.add(stage);
    }
  }
}
