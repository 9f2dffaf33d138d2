#!/usr/bin/env bash
# Vulnerability matching benchmark: import time of the full shipped feed
# fixtures and the time to match a 500-package Debian 11 image (target: under
# 1 ms once the ecosystem cache is warm). Builds bench/match/bench_match.c
# against the release library (scripts/build.sh release).
#   bench/bench_match.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[ -f build/libdrydock_lib.a ] || bash scripts/build.sh release
isal_lib=$(find /usr/lib /usr/lib64 -name 'libisal.so*' 2>/dev/null | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -I include -I src bench/match/bench_match.c build/libdrydock_lib.a \
  $(pkg-config --libs libmicrohttpd libcrypto sqlite3 libarchive libzstd jansson libcurl libsodium rpm) \
  ${isal_lib:+-lisal} -lpthread -lm -o "$work/bench_match"
"$work/bench_match" "$root/tests/fixtures/feeds" "$work" "${1:-2000}"
