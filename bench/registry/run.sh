#!/usr/bin/env bash
# Registry benchmark: docker-registry (reference), drydock and nginx on
# loopback, side by side; prints a table with ratios. Not a test.
#   bash bench/registry/run.sh                 # full run (about 8 min)
#   BENCH_QUICK=1 bash bench/registry/run.sh   # smaller sizes, shorter runs
#   DRYDOCK_BIN=/path/to/drydock bash bench/registry/run.sh
# Results are also written to bench/out/registry-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in docker-registry nginx wrk curl cc; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh)"; exit 1; }
done
mkdir -p bench/out
export BENCH_OUT=${BENCH_OUT:-bench/out/registry-$(date -u +%Y%m%dT%H%M).txt}
export DRYDOCK_BIN=${DRYDOCK_BIN:-$(pwd)/build/drydock}
exec timeout 1200 /usr/bin/python3 bench/registry/bench.py
