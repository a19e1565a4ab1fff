#!/usr/bin/env bash
# Regenerates the deterministic simulation report: every scenario with every strategy on virtual
# time, written to benchmarks/simulation/ (REPORT.md and PNG charts). The same seed writes the same
# files, so a change in Hyperlane's behaviour shows up as a diff. Takes well under a minute and
# needs no quiet machine (nothing is timed on the wall clock).
#   benchmarks/simulate.sh [seed [seconds-per-run]]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -DskipTests install >/dev/null
java -cp benchmarks/target/benchmarks.jar io.hyperlane.benchmarks.simulation.SimulationReport \
  benchmarks/simulation "${1:-20261127}" "${2:-60}"
