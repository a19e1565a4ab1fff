package io.hyperlane.loadreport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What the reporter counts and writes, and the values it refuses. */
class LoadReporterTest {

  @Test
  void countsRequestsInAndOut() {
    LoadReporter reporter = LoadReporter.builder().capacity(8).build();
    assertThat(reporter.begin()).isEqualTo(1);
    assertThat(reporter.begin()).isEqualTo(2);
    reporter.end();
    assertThat(reporter.requestsInFlight()).isEqualTo(1);
    assertThat(reporter).hasToString("LoadReporter(capacity=8, requestsInFlight=1)");
  }

  @Test
  void writesRequestsInFlightAndUtilizationAgainstTheCapacity() {
    LoadReporter reporter = LoadReporter.builder().capacity(8).build();
    assertThat(reporter.header(3))
        .isEqualTo("TEXT named_metrics.requests_in_flight=3, application_utilization=0.375");
    assertThat(reporter.header(20))
        .isEqualTo("TEXT named_metrics.requests_in_flight=20, application_utilization=2.500");
    assertThat(LoadReporter.builder().capacity(3).build().header(1))
        .endsWith("application_utilization=0.333");
    assertThat(reporter.header(-4))
        .isEqualTo("TEXT named_metrics.requests_in_flight=0, application_utilization=0.000");
  }

  @Test
  void writesWhatTheApplicationSaysItsUtilizationIs() {
    double[] value = {0.0456};
    LoadReporter reporter = LoadReporter.builder().utilization(() -> value[0]).build();
    assertThat(reporter.header(2))
        .isEqualTo("TEXT named_metrics.requests_in_flight=2, application_utilization=0.046");
    for (double hostile : new double[] {Double.NaN, -0.1, Double.POSITIVE_INFINITY}) {
      value[0] = hostile;
      assertThat(reporter.header(2)).isEqualTo("TEXT named_metrics.requests_in_flight=2");
    }
    LoadReporter failing =
        LoadReporter.builder()
            .utilization(
                () -> {
                  throw new IllegalStateException("gauge broken");
                })
            .build();
    assertThat(failing.header(5)).isEqualTo("TEXT named_metrics.requests_in_flight=5");
    value[0] = 1e300;
    assertThat(reporter.header(2)).endsWith("application_utilization=1000000000.000");
  }

  @Test
  void withoutCapacityOrSupplierReportsTheProcessCpuLoadWhenThePlatformHasIt() {
    String header = LoadReporter.create().header(1);
    assertThat(header)
        .matches("TEXT named_metrics\\.requests_in_flight=1(, cpu_utilization=\\d+\\.\\d{3})?");
  }

  @Test
  void refusesACapacityBelowOne() {
    assertThatThrownBy(() -> LoadReporter.builder().capacity(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("capacity must be at least 1 but was 0");
  }
}
