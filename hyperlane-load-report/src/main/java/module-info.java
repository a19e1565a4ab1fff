/**
 * For the servers Hyperlane calls: filters that report the server's load in an ORCA {@code
 * endpoint-load-metrics} response header.
 */
module io.hyperlane.loadreport {
  // LoadReportFilter only: the container provides it, and an application that does not use the
  // filter must not need it (so not transitive; the filter's class says why javac may warn).
  requires static jakarta.servlet;
  requires transitive jdk.httpserver;
  requires jdk.management; // the process's CPU load, when no capacity is given
  requires static transitive org.jspecify;

  exports io.hyperlane.loadreport;
}
