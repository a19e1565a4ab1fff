package io.hyperlane.loadreport;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A servlet filter (Servlet 5.0 and later, {@code jakarta.servlet}): counts each request in flight
 * until its response is complete — an asynchronous request until it completes, fails or times out —
 * and adds the {@link LoadReporter#HEADER} to its response, with the requests in flight when it
 * arrived (itself included). Only requests as they arrive are counted: a forward, an include or an
 * asynchronous dispatch of one already counted is not.
 *
 * <p>Registered with a {@link LoadReporter} ({@code new LoadReportFilter(reporter)}), or by class
 * name, in which case the init parameter {@code capacity} (requests served at once at full speed),
 * when given, sets the reporter's capacity and the process's CPU load is reported otherwise.
 */
@SuppressWarnings("exports") // the servlet API is the container's: not required transitively
public final class LoadReportFilter implements Filter {

  private volatile @Nullable LoadReporter reporter;

  /** A filter whose reporter {@link #init} makes from the init parameters. */
  public LoadReportFilter() {}

  /** A filter that counts with {@code reporter}. */
  public LoadReportFilter(LoadReporter reporter) {
    this.reporter = Objects.requireNonNull(reporter, "reporter");
  }

  /**
   * Makes the reporter, unless one was given.
   *
   * @throws ServletException if the {@code capacity} init parameter is not a positive integer
   */
  @Override
  public synchronized void init(FilterConfig config) throws ServletException {
    if (reporter != null) {
      return;
    }
    String capacity = config.getInitParameter("capacity");
    if (capacity == null) {
      reporter = LoadReporter.create();
      return;
    }
    try {
      reporter = LoadReporter.builder().capacity(Integer.parseInt(capacity.strip())).build();
    } catch (IllegalArgumentException e) { // NumberFormatException included
      throw new ServletException(
          "init parameter capacity of "
              + config.getFilterName()
              + " must be a positive integer but was \""
              + capacity
              + "\"",
          e);
    }
  }

  /** The reporter this filter counts with, so that the application can read it. */
  public LoadReporter reporter() {
    LoadReporter r = reporter;
    if (r == null) {
      throw new IllegalStateException("the filter has not been initialised");
    }
    return r;
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    LoadReporter r = reporter;
    if (r == null) {
      r = lazily(); // used without init(): report CPU load
    }
    if (request.getDispatcherType() != DispatcherType.REQUEST
        || !(response instanceof HttpServletResponse http)) {
      chain.doFilter(request, response);
      return;
    }
    int inFlight = r.begin();
    boolean async = false;
    try {
      http.setHeader(LoadReporter.HEADER, r.header(inFlight));
      chain.doFilter(request, response);
      if (request.isAsyncStarted()) {
        request.getAsyncContext().addListener(new EndOnce(r));
        async = true;
      }
    } finally {
      if (!async) {
        r.end();
      }
    }
  }

  private synchronized LoadReporter lazily() {
    LoadReporter r = reporter;
    if (r == null) {
      r = LoadReporter.create();
      reporter = r;
    }
    return r;
  }

  /** Counts an asynchronous request out once, however it ends. */
  private static final class EndOnce implements AsyncListener {
    private final LoadReporter reporter;
    private final AtomicBoolean ended = new AtomicBoolean();

    EndOnce(LoadReporter reporter) {
      this.reporter = reporter;
    }

    private void end() {
      if (ended.compareAndSet(false, true)) {
        reporter.end();
      }
    }

    @Override
    public void onComplete(AsyncEvent event) {
      end();
    }

    @Override
    public void onError(AsyncEvent event) {
      end();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      end();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      // The request started asynchronous processing again: listeners are cleared, so stay on.
      event.getAsyncContext().addListener(this);
    }
  }
}
