package io.hyperlane.client;

import io.hyperlane.resilience.ResilienceEvent;
import io.hyperlane.resilience.ResilienceListener;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import java.util.Locale;

/**
 * Turns every decision into a span event on the logical call it was taken in (when there is one)
 * and into a count. Runs on the deciding thread: it only records.
 */
final class TelemetryListener implements ResilienceListener {

  static final AttributeKey<String> REASON = AttributeKey.stringKey("hyperlane.reason");
  static final AttributeKey<String> STATE = AttributeKey.stringKey("hyperlane.circuit.state");
  static final AttributeKey<String> CAUSE = AttributeKey.stringKey("hyperlane.cause");
  static final AttributeKey<Long> DELAY_MS = AttributeKey.longKey("hyperlane.delay_ms");

  private final Telemetry telemetry;

  TelemetryListener(Telemetry telemetry) {
    this.telemetry = telemetry;
  }

  /** The counters of one meter. */
  static final class Counters {
    final LongCounter retries;
    final LongCounter hedges;
    final LongCounter refusals;
    final LongCounter rejections;
    final LongCounter transitions;
    final LongCounter ejections;
    final LongCounter discoveryFailures;

    Counters(Meter meter) {
      retries =
          meter
              .counterBuilder("hyperlane.retries")
              .setDescription("Retries sent, per service.")
              .setUnit("{retry}")
              .build();
      hedges =
          meter
              .counterBuilder("hyperlane.hedges")
              .setDescription("Hedged attempts sent, per service.")
              .setUnit("{hedge}")
              .build();
      refusals =
          meter
              .counterBuilder("hyperlane.retry.refusals")
              .setDescription("Failed attempts not retried, per service and reason.")
              .setUnit("{refusal}")
              .build();
      rejections =
          meter
              .counterBuilder("hyperlane.calls.rejected")
              .setDescription("Calls refused before sending, per service and reason.")
              .setUnit("{call}")
              .build();
      transitions =
          meter
              .counterBuilder("hyperlane.circuit.transitions")
              .setDescription("Circuit state changes, per service, endpoint and new state.")
              .setUnit("{transition}")
              .build();
      ejections =
          meter
              .counterBuilder("hyperlane.endpoint.ejections")
              .setDescription("Endpoints ejected by outlier detection.")
              .setUnit("{ejection}")
              .build();
      discoveryFailures =
          meter
              .counterBuilder("hyperlane.discovery.failures")
              .setDescription("Discovery refreshes that failed or were refused.")
              .setUnit("{failure}")
              .build();
    }
  }

  /** Counts nothing: the meter is a no-op until an SDK is there. */
  private static final LongCounter NONE =
      new LongCounter() {
        @Override
        public void add(long value) {}

        @Override
        public void add(long value, Attributes attributes) {}

        @Override
        public void add(
            long value, Attributes attributes, io.opentelemetry.context.Context context) {}
      };

  @Override
  public void onEvent(ResilienceEvent event) {
    Telemetry.Instruments t = telemetry.current();
    Counters c = t.metering ? t.listenerCounters() : null;
    LongCounter retries = c == null ? NONE : c.retries;
    LongCounter hedges = c == null ? NONE : c.hedges;
    LongCounter refusals = c == null ? NONE : c.refusals;
    LongCounter rejections = c == null ? NONE : c.rejections;
    LongCounter transitions = c == null ? NONE : c.transitions;
    LongCounter ejections = c == null ? NONE : c.ejections;
    LongCounter discoveryFailures = c == null ? NONE : c.discoveryFailures;
    Span span = Span.current();
    if (event instanceof ResilienceEvent.Retry e) {
      retries.add(1, service(e.service()));
      span.addEvent(
          "hyperlane.retry",
          Attributes.of(
              Telemetry.RESEND_COUNT,
              (long) e.attempt(),
              DELAY_MS,
              e.delay().toMillis(),
              CAUSE,
              e.cause()));
    } else if (event instanceof ResilienceEvent.Hedge e) {
      hedges.add(1, service(e.service()));
      span.addEvent(
          "hyperlane.hedge",
          Attributes.of(
              Telemetry.RESEND_COUNT, (long) e.attempt(), DELAY_MS, e.delay().toMillis()));
    } else if (event instanceof ResilienceEvent.RetryRefused e) {
      String reason = e.reason().name().toLowerCase(Locale.ROOT);
      refusals.add(1, service(e.service()).toBuilder().put(REASON, reason).build());
      span.addEvent(
          e.reason() == ResilienceEvent.RefusalReason.BUDGET_EXHAUSTED
              ? "hyperlane.budget_refused"
              : "hyperlane.retry_refused",
          Attributes.of(REASON, reason, CAUSE, e.cause()));
    } else if (event instanceof ResilienceEvent.CallRejected e) {
      rejections.add(1, service(e.service()).toBuilder().put(REASON, "circuit_open").build());
      span.addEvent("hyperlane.circuit_open");
    } else if (event instanceof ResilienceEvent.LimitReached e) {
      String reason = e.kind().name().toLowerCase(Locale.ROOT) + "_limit";
      rejections.add(1, service(e.service()).toBuilder().put(REASON, reason).build());
      span.addEvent("hyperlane.limit_reached", Attributes.of(REASON, reason));
    } else if (event instanceof ResilienceEvent.CircuitStateChanged e) {
      AttributesBuilder a = service(e.service()).toBuilder().put(STATE, e.to().name());
      if (e.endpoint() != null) {
        a.put(Telemetry.ENDPOINT, e.endpoint());
      }
      Attributes attributes = a.build();
      transitions.add(1, attributes);
      span.addEvent("hyperlane.circuit_state", attributes);
    } else if (event instanceof RoutingEvent.EndpointEjected e) {
      Attributes attributes =
          Attributes.of(Telemetry.SERVICE, e.service(), Telemetry.ENDPOINT, e.endpoint());
      ejections.add(1, attributes);
      span.addEvent("hyperlane.endpoint_ejected", attributes);
    } else if (event instanceof RoutingEvent.DiscoveryFailed e) {
      discoveryFailures.add(1, service(e.service()));
    }
  }

  private static Attributes service(String service) {
    return Attributes.of(Telemetry.SERVICE, service);
  }
}
