#!/usr/bin/env bash
# Runs each libFuzzer target briefly: first over its committed corpus
# (tests/fuzz/corpus/<target>/), then a bounded number of new inputs.
# Prints "N passed, N failed" over the targets.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-fuzz}
runs=${DD_FUZZ_RUNS:-20000}
pass=0; fail=0
for bin in "$dir"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=tests/fuzz/corpus/$name
  dict=tests/fuzz/$name.dict
  work=$(mktemp -d)
  mkdir -p "$dir/artifacts"
  args=(-runs="$runs" -max_total_time=${DD_FUZZ_SECONDS:-20} -rss_limit_mb=1024 -timeout=10
        -artifact_prefix="$dir/artifacts/$name-")
  [ -f "$dict" ] && args+=(-dict="$dict")
  if [ -d "$corpus" ]; then cp -r "$corpus"/. "$work"/ 2>/dev/null; fi
  if "$bin" "${args[@]}" "$work" >"$work.log" 2>&1; then
    pass=$((pass+1)); echo "ok   $name"
  else
    fail=$((fail+1)); echo "FAIL $name"; tail -30 "$work.log"
  fi
  rm -rf "$work" "$work.log"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
