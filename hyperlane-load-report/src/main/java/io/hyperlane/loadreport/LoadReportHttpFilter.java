package io.hyperlane.loadreport;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Objects;

/**
 * A filter for the JDK's {@link com.sun.net.httpserver.HttpServer}: counts each exchange in flight
 * and adds the {@link LoadReporter#HEADER} to its response, with the requests in flight when it
 * arrived (itself included). An exchange is counted until its handler returns: a handler that hands
 * the exchange to another thread and returns is counted out early.
 *
 * <pre>{@code
 * HttpContext context = server.createContext("/", handler);
 * context.getFilters().add(new LoadReportHttpFilter(LoadReporter.builder().capacity(16).build()));
 * }</pre>
 */
public final class LoadReportHttpFilter extends Filter {

  private final LoadReporter reporter;

  /** A filter that counts with {@code reporter}. */
  public LoadReportHttpFilter(LoadReporter reporter) {
    this.reporter = Objects.requireNonNull(reporter, "reporter");
  }

  @Override
  public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
    int inFlight = reporter.begin();
    try {
      exchange.getResponseHeaders().set(LoadReporter.HEADER, reporter.header(inFlight));
      chain.doFilter(exchange);
    } finally {
      reporter.end();
    }
  }

  @Override
  public String description() {
    return "reports requests in flight and utilization in " + LoadReporter.HEADER;
  }
}
