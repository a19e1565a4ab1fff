/**
 * JMH benchmarks of Hyperlane against raw OkHttp in the same process; {@link
 * io.hyperlane.benchmarks.Report} runs them and prints ratios. Results and commands are recorded in
 * {@code benchmarks/RESULTS.md}.
 */
package io.hyperlane.benchmarks;
