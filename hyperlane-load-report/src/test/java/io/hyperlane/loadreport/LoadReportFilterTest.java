package io.hyperlane.loadreport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The servlet filter in a real container (Jetty 11, Servlet 5.0) over loopback: the header on every
 * response, a synchronous and an asynchronous request counted until they end, a forward not counted
 * twice, and the init parameter checked.
 */
class LoadReportFilterTest {

  private final LoadReporter reporter = LoadReporter.builder().capacity(4).build();
  private final BlockingQueue<AsyncContext> parked = new ArrayBlockingQueue<>(10);
  private final OkHttpClient client = new OkHttpClient();
  private Server server;
  private String url;

  private void start(FilterHolder filter) throws Exception {
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.addServlet(
        new ServletHolder(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest req, HttpServletResponse resp)
                  throws IOException, ServletException {
                switch (req.getPathInfo() == null ? req.getServletPath() : req.getPathInfo()) {
                  case "/async" -> parked.add(req.startAsync());
                  case "/forward" -> req.getRequestDispatcher("/items").forward(req, resp);
                  default -> resp.getWriter().write("ok");
                }
              }
            }),
        "/*");
    ServletHolder holder = context.getServletHandler().getServlets()[0];
    holder.setAsyncSupported(true);
    filter.setAsyncSupported(true);
    context.addFilter(
        filter,
        "/*",
        EnumSet.of(DispatcherType.REQUEST, DispatcherType.FORWARD, DispatcherType.ASYNC));
    server.setHandler(context);
    server.start();
    url = "http://127.0.0.1:" + connector.getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    for (AsyncContext a : parked) {
      a.complete();
    }
    if (server != null) {
      server.stop();
    }
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  private Response get(String path) throws IOException {
    return client.newCall(new Request.Builder().url(url + path).build()).execute();
  }

  @Test
  void everyResponseCarriesTheReportAndASynchronousRequestIsCountedOutAtItsEnd() throws Exception {
    start(new FilterHolder(new LoadReportFilter(reporter)));
    try (Response r = get("/items")) {
      assertThat(r.body().string()).isEqualTo("ok");
      assertThat(r.header("endpoint-load-metrics"))
          .isEqualTo("TEXT named_metrics.requests_in_flight=1, application_utilization=0.250");
    }
    awaitNoneInFlight();
  }

  @Test
  void anAsynchronousRequestStaysInFlightUntilItCompletes() throws Exception {
    start(new FilterHolder(new LoadReportFilter(reporter)));
    Call call = client.newCall(new Request.Builder().url(url + "/async").build());
    BlockingQueue<Response> answered = new ArrayBlockingQueue<>(1);
    call.enqueue(
        new okhttp3.Callback() {
          @Override
          public void onFailure(Call c, IOException e) {}

          @Override
          public void onResponse(Call c, Response response) {
            answered.add(response);
          }
        });
    AsyncContext async = parked.poll(10, TimeUnit.SECONDS);
    assertThat(async).isNotNull();
    // The servlet returned, the request is still in progress: it is counted, and the next
    // request's report includes it.
    assertThat(reporter.requestsInFlight()).isEqualTo(1);
    try (Response r = get("/items")) {
      assertThat(r.header("endpoint-load-metrics")).contains("requests_in_flight=2,");
    }
    async.getResponse().getWriter().write("late");
    async.complete();
    try (Response r = answered.poll(10, TimeUnit.SECONDS)) {
      assertThat(r).isNotNull();
      assertThat(r.body().string()).isEqualTo("late");
      assertThat(r.header("endpoint-load-metrics")).contains("requests_in_flight=1,");
    }
    parked.clear();
    awaitNoneInFlight();
  }

  @Test
  void aForwardIsNotCountedTwice() throws Exception {
    start(new FilterHolder(new LoadReportFilter(reporter)));
    try (Response r = get("/forward")) {
      assertThat(r.body().string()).isEqualTo("ok");
      // Counted twice, the forward would have set the header again with 2.
      assertThat(r.header("endpoint-load-metrics")).contains("requests_in_flight=1,");
    }
    // A forward completes the response before the filter returns: the client may read it first.
    awaitNoneInFlight();
  }

  private void awaitNoneInFlight() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (reporter.requestsInFlight() != 0 && System.nanoTime() - deadline < 0) {
      Thread.onSpinWait();
    }
    assertThat(reporter.requestsInFlight()).isZero();
  }

  @Test
  void byClassNameTheCapacityComesFromTheInitParameter() throws Exception {
    FilterHolder holder = new FilterHolder(LoadReportFilter.class);
    holder.setInitParameter("capacity", " 8 ");
    start(holder);
    try (Response r = get("/items")) {
      assertThat(r.header("endpoint-load-metrics"))
          .isEqualTo("TEXT named_metrics.requests_in_flight=1, application_utilization=0.125");
    }
  }

  @Test
  void aBadCapacityFailsInitNamingTheParameter() {
    for (String bad : new String[] {"0", "-3", "many", "99999999999"}) {
      LoadReportFilter filter = new LoadReportFilter();
      assertThatThrownBy(() -> filter.init(config(Map.of("capacity", bad))))
          .isInstanceOf(ServletException.class)
          .hasMessage(
              "init parameter capacity of load-report must be a positive integer but was \""
                  + bad
                  + "\"");
    }
    assertThatThrownBy(() -> new LoadReportFilter().reporter())
        .isInstanceOf(IllegalStateException.class);
  }

  private static FilterConfig config(Map<String, String> parameters) {
    return new FilterConfig() {
      @Override
      public String getFilterName() {
        return "load-report";
      }

      @Override
      public ServletContext getServletContext() {
        throw new UnsupportedOperationException();
      }

      @Override
      public String getInitParameter(String name) {
        return parameters.get(name);
      }

      @Override
      public Enumeration<String> getInitParameterNames() {
        return Collections.enumeration(parameters.keySet());
      }
    };
  }
}
