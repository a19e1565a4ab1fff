/**
 * For the servers Hyperlane calls: {@link io.hyperlane.loadreport.LoadReporter} counts requests in
 * flight and writes the ORCA {@code endpoint-load-metrics} response header that Hyperlane's
 * balancer reads; {@link io.hyperlane.loadreport.LoadReportFilter} (servlets) and {@link
 * io.hyperlane.loadreport.LoadReportHttpFilter} (the JDK's {@code HttpServer}) add it to every
 * response.
 */
@NullMarked
package io.hyperlane.loadreport;

import org.jspecify.annotations.NullMarked;
