#!/usr/bin/env bash
# Runs every benchmark of benchmarks/RESULTS.md, one after another, and prints their tables:
# the JMH benchmarks (in-process overhead, open circuit, telemetry, cache hit) as ratios to their
# raw baselines, the tail and hedging scenario, the replica-killed scenario, and the loopback
# comparison with nginx and HAProxy, then regenerates the deterministic simulation report. Takes
# about 15 minutes; run it on a quiet machine.
#   benchmarks/run-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -DskipTests install >/dev/null
jar=benchmarks/target/benchmarks.jar
jmh=(-f 1 -wi 4 -w 2s -i 6 -r 2s -prof gc)
for threads in 1 2; do
  echo "== JMH, $threads thread(s): in-process overhead, open circuit, telemetry, cache hit"
  java -cp "$jar" io.hyperlane.benchmarks.Report \
    'RoutingOverheadBenchmark|OpenCircuitBenchmark|TelemetryBenchmark|CacheHitBenchmark' \
    "${jmh[@]}" -t "$threads" | sed -n '/^Ratios against/,$p'
done
echo "== Tail under a slow replica, with and without hedging (open loop)"
java -cp "$jar" io.hyperlane.benchmarks.TailScenario 500 20 | tail -6
echo "== A replica killed mid-run (open loop)"
java -cp "$jar" io.hyperlane.benchmarks.KillScenario 500 20 | tail -5
echo "== Loopback throughput and latency: raw OkHttp, Hyperlane, HAProxy sidecar (closed loop)"
benchmarks/loopback.sh 8 20 | tail -8
echo "== Deterministic simulation (virtual time): benchmarks/simulation/REPORT.md"
benchmarks/simulate.sh | tail -1
