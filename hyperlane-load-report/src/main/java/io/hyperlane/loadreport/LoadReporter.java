package io.hyperlane.loadreport;

import java.lang.management.ManagementFactory;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Counts the requests a server has in flight and writes its load report: the value of the ORCA
 * {@code endpoint-load-metrics} response header that Hyperlane's balancer (and gRPC's and Envoy's
 * weighted balancers) read, such as {@code TEXT named_metrics.requests_in_flight=3,
 * application_utilization=0.375}.
 *
 * <p>Requests in flight are the ones that {@link #begin()} counted and {@link #end()} has not: all
 * of the server's callers, which is what a caller cannot see by itself. Utilization is, by the
 * first of these that is set: requests in flight divided by {@link Builder#capacity(int)}; what
 * {@link Builder#utilization(DoubleSupplier)} returns; else the process's CPU load (sampled at most
 * once a second), reported as {@code cpu_utilization}.
 *
 * <p>One reporter per server, shared by all of its filters; thread-safe. {@link LoadReportFilter}
 * (servlets) and {@link LoadReportHttpFilter} (the JDK's {@code HttpServer}) use it; other servers
 * call {@link #begin()}, {@link #header(int)} and {@link #end()} themselves.
 */
public final class LoadReporter {

  /** The response header that carries the report. */
  public static final String HEADER = "endpoint-load-metrics";

  /** The named metric requests in flight are reported under. */
  public static final String REQUESTS_IN_FLIGHT = "requests_in_flight";

  private static final long CPU_SAMPLE_NANOS = 1_000_000_000L;

  private final AtomicInteger inFlight = new AtomicInteger();
  private final int capacity; // 0: none
  private final @Nullable DoubleSupplier utilization;
  private final boolean cpu;
  private volatile long cpuSampledAt;
  private volatile double cpuLoad = Double.NaN;

  private LoadReporter(Builder b) {
    this.capacity = b.capacity;
    this.utilization = b.utilization;
    this.cpu = b.capacity == 0 && b.utilization == null;
    this.cpuSampledAt = System.nanoTime() - CPU_SAMPLE_NANOS;
  }

  /** A reporter whose utilization is the process's CPU load. */
  public static LoadReporter create() {
    return builder().build();
  }

  /** A reporter to configure. */
  public static Builder builder() {
    return new Builder();
  }

  /** Counts a request in and returns the requests in flight, this one included. */
  public int begin() {
    return inFlight.incrementAndGet();
  }

  /** Counts a request out; call it once for each {@link #begin()}, however the request ended. */
  public void end() {
    inFlight.decrementAndGet();
  }

  /** The requests counted in and not yet out. */
  public int requestsInFlight() {
    return inFlight.get();
  }

  /**
   * The header value for a server with {@code requestsInFlight} requests in flight: {@code TEXT
   * named_metrics.requests_in_flight=N}, then the utilization when there is one (a supplier that
   * returns a negative, infinite or NaN value, or throws, gives none), rounded to three decimals.
   */
  public String header(int requestsInFlight) {
    StringBuilder b =
        new StringBuilder(96)
            .append("TEXT named_metrics.")
            .append(REQUESTS_IN_FLIGHT)
            .append('=')
            .append(Math.max(0, requestsInFlight));
    double u;
    if (capacity > 0) {
      u = Math.max(0, requestsInFlight) / (double) capacity;
    } else if (utilization != null) {
      try {
        u = utilization.getAsDouble();
      } catch (RuntimeException e) {
        u = Double.NaN; // the application's gauge failed: report requests in flight alone
      }
    } else {
      u = cpuLoad();
    }
    if (Double.isFinite(u) && u >= 0) {
      b.append(cpu ? ", cpu_utilization=" : ", application_utilization=");
      appendThreeDecimals(b, u);
    }
    return b.toString();
  }

  private double cpuLoad() {
    long now = System.nanoTime();
    if (now - cpuSampledAt >= CPU_SAMPLE_NANOS) {
      cpuSampledAt = now;
      var bean = ManagementFactory.getOperatingSystemMXBean();
      double load =
          bean instanceof com.sun.management.OperatingSystemMXBean os
              ? os.getProcessCpuLoad()
              : Double.NaN;
      cpuLoad = load < 0 ? Double.NaN : load; // negative: not available on this platform
    }
    return cpuLoad;
  }

  private static void appendThreeDecimals(StringBuilder b, double value) {
    long thousandths = Math.round(Math.min(value, 1e9) * 1000);
    long fraction = thousandths % 1000;
    b.append(thousandths / 1000).append('.');
    if (fraction < 100) {
      b.append('0');
    }
    if (fraction < 10) {
      b.append('0');
    }
    b.append(fraction);
  }

  @Override
  public String toString() {
    return "LoadReporter("
        + (capacity > 0
            ? "capacity=" + capacity
            : utilization != null ? "application utilization" : "cpu utilization")
        + ", requestsInFlight="
        + inFlight.get()
        + ")";
  }

  /** Configures a {@link LoadReporter}. */
  public static final class Builder {
    private int capacity;
    private @Nullable DoubleSupplier utilization;

    private Builder() {}

    /**
     * Reports utilization as requests in flight divided by {@code requests}: how many the server
     * serves at once at full speed (its worker threads, say).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder capacity(int requests) {
      if (requests < 1) {
        throw new IllegalArgumentException("capacity must be at least 1 but was " + requests);
      }
      this.capacity = requests;
      return this;
    }

    /**
     * Reports what {@code utilization} returns, called once per response, as {@code
     * application_utilization}: a fraction of what the server can do, 1.0 when it is full. Not used
     * when a capacity is set.
     */
    public Builder utilization(DoubleSupplier utilization) {
      this.utilization = Objects.requireNonNull(utilization, "utilization");
      return this;
    }

    public LoadReporter build() {
      return new LoadReporter(this);
    }
  }
}
