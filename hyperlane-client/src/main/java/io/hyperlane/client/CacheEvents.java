package io.hyperlane.client;

import io.hyperlane.cache.CacheEvent;
import io.hyperlane.cache.CacheListener;
import io.hyperlane.cache.CacheResult;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a service call's cache lookup becomes: attributes of the logical call's span (the tier that
 * answered and how), a {@code hyperlane.stale_served} span event, a count per service, tier and
 * result, and a DEBUG line on {@code io.hyperlane.decisions}. Runs on the calling thread, inside
 * the logical call's span, which the telemetry stage made current.
 */
final class CacheEvents implements CacheListener {

  static final AttributeKey<String> TIER = AttributeKey.stringKey("hyperlane.cache.tier");
  static final AttributeKey<String> RESULT = AttributeKey.stringKey("hyperlane.cache.result");

  private static final Logger log = LoggerFactory.getLogger("io.hyperlane.decisions");

  private final Telemetry telemetry;

  CacheEvents(Telemetry telemetry) {
    this.telemetry = telemetry;
  }

  @Override
  public void onEvent(CacheEvent event) {
    if (!(event instanceof CacheEvent.Lookup lookup)) {
      return;
    }
    String tier = lookup.tier().name().toLowerCase(Locale.ROOT);
    String result = lookup.result().name().toLowerCase(Locale.ROOT);
    Span span = Span.current();
    if (span.isRecording()) {
      span.setAttribute(TIER, tier);
      span.setAttribute(RESULT, result);
      if (lookup.result() == CacheResult.STALE_WHILE_REVALIDATE
          || lookup.result() == CacheResult.STALE_IF_ERROR) {
        span.addEvent(
            "hyperlane.stale_served", Attributes.of(TelemetryListener.REASON, result, TIER, tier));
      }
    }
    Telemetry.Instruments t = telemetry.enabled ? telemetry.current() : null;
    if (t != null && t.metering) {
      LongCounter results = t.cacheResults();
      results.add(
          1, Attributes.of(Telemetry.SERVICE, lookup.service(), TIER, tier, RESULT, result));
    }
    if (log.isDebugEnabled()) {
      log.debug("{}", lookup);
    }
  }
}
