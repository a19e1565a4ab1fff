package io.hyperlane.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

/** Reading the ORCA {@code endpoint-load-metrics} header: its forms, and what it must refuse. */
class LoadReportTest {

  @Test
  void readsTheTextForm() {
    LoadReport r =
        LoadReport.parse(
            "TEXT cpu_utilization=0.3, mem_utilization=0.8, named_metrics.requests_in_flight=12");
    assertThat(r).isEqualTo(new LoadReport(12, 0.3));
  }

  @Test
  void applicationUtilizationWinsOverCpuWhenPositive() {
    assertThat(LoadReport.parse("TEXT cpu_utilization=0.3, application_utilization=0.9"))
        .isEqualTo(new LoadReport(Double.NaN, 0.9));
    assertThat(LoadReport.parse("TEXT cpu_utilization=0.3, application_utilization=0"))
        .isEqualTo(new LoadReport(Double.NaN, 0.3));
  }

  @Test
  void readsTheJsonFormInProtoAndCamelCaseNames() {
    assertThat(
            LoadReport.parse(
                "JSON {\"cpu_utilization\": 0.25, \"utilization\": {\"disk\": 0.1},"
                    + " \"named_metrics\": {\"requests_in_flight\": 7, \"queue\": 2}}"))
        .isEqualTo(new LoadReport(7, 0.25));
    assertThat(LoadReport.parse("JSON {\"applicationUtilization\":0.5,\"rpsFractional\":10}"))
        .isEqualTo(new LoadReport(Double.NaN, 0.5));
  }

  @Test
  void readsProto3JsonQuirksAndNormalisesNegativeZero() {
    // proto3 JSON quotes 64-bit integers and may quote doubles; whitespace may include newlines.
    assertThat(
            LoadReport.parse(
                "JSON {\"rps\": \"100\",\n \"cpu_utilization\": \"0.5\",\r\n"
                    + " \"named_metrics\": {\"requests_in_flight\": 3}}"))
        .isEqualTo(new LoadReport(3, 0.5));
    LoadReport zero = LoadReport.parse("TEXT named_metrics.requests_in_flight=-0");
    assertThat(zero).isNotNull();
    assertThat(Double.doubleToRawLongBits(zero.requestsInFlight())).isZero(); // +0.0, not -0.0
  }

  @Test
  void aReportWithNothingTheBalancerUsesIsNone() {
    assertThat(LoadReport.parse("TEXT mem_utilization=0.5")).isNull();
    assertThat(LoadReport.parse("JSON {}")).isNull();
  }

  @Test
  void refusesEveryMalformedOrHostileForm() {
    String[] hostile = {
      "",
      "cpu_utilization=0.3", // no format prefix
      "BIN CgQIARAB", // binary form: not read
      "TEXT cpu_utilization=0.3,", // empty pair
      "TEXT cpu_utilization", // no value
      "TEXT cpu_utilization=0.3, cpu_utilization=0.1", // duplicate
      "TEXT cpu_utilization=-0.3", // negative
      "TEXT cpu_utilization=NaN",
      "TEXT cpu_utilization=Infinity",
      "TEXT cpu_utilization=1e400", // overflows to infinity
      "TEXT cpu_utilization=0x1p3", // hex float, which Double.parseDouble takes
      "TEXT cpu_utilization=3d", // type suffix, which Double.parseDouble takes
      "TEXT cpu utilization=0.3", // space in a name
      "TEXT named_metrics.requests_in_flight=1\r\nX-Injected: 1",
      "JSON {\"cpu_utilization\": 0.3", // unterminated
      "JSON {\"cpu_utilization\": 0.3} trailing",
      "JSON {\"cpu_utilization\": \"high\"}", // a string that is not a number
      "JSON {\"named_metrics.requests_in_flight\": 7}", // a field posing as a named metric
      "JSON {\"namedMetrics.requestsInFlight\": 7}",
      "JSON {\"named_metrics\": {\"requests_in_flight\": 1}, \"named_metrics\": {}}",
      "JSON {\"cpu_utilization\": 0.3, \"cpu_utilization\": 0.4}",
      "JSON {\"cpuUtilization\": 0.3, \"cpu_utilization\": 0.4}", // the same field twice
      "JSON {\"named_metrics\": {\"a\": {\"b\": {\"c\": 1}}}, \"cpu_utilization\": 1}", // deep
      "JSON {\"na\\u006de\": 1}", // escapes
      "TEXT cpu_utilization=" + "1".repeat(40),
      "TEXT cpu_utilization=0.3, " + "x=1, ".repeat(1000) + "y=1",
    };
    for (String value : hostile) {
      assertThat(LoadReport.parse(value)).as(value).isNull();
    }
  }

  @Property
  void neverThrowsOnAnyInput(@ForAll String value) {
    LoadReport.parse(value);
    LoadReport.parse("TEXT " + value);
    LoadReport.parse("JSON " + value);
    LoadReport.parse("JSON {" + value);
  }

  @Property
  void whatIsWrittenIsReadInBothForms(
      @ForAll @DoubleRange(min = 0, max = 1e6) double rif,
      @ForAll @DoubleRange(min = 0, max = 100) double cpu) {
    String text =
        String.format(
            Locale.ROOT, "TEXT named_metrics.requests_in_flight=%s, cpu_utilization=%s", rif, cpu);
    String json =
        String.format(
            Locale.ROOT,
            "JSON {\"cpu_utilization\":%s,\"named_metrics\":{\"requests_in_flight\":%s}}",
            cpu,
            rif);
    assertThat(LoadReport.parse(text)).isEqualTo(new LoadReport(rif, cpu));
    assertThat(LoadReport.parse(json)).isEqualTo(new LoadReport(rif, cpu));
  }
}
