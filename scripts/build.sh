#!/usr/bin/env bash
# Builds Drydock. Usage: scripts/build.sh [release|asan|fuzz]
#   release (default): build/        optimized, with debug info
#   asan:              build-asan/   AddressSanitizer + UndefinedBehaviorSanitizer
#   fuzz:              build-fuzz/   clang libFuzzer targets (+ ASan/UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
jobs=$(nproc)
case "$kind" in
  release) dir=build;      args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan)    dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Debug -DDD_SANITIZE=ON) ;;
  fuzz)    dir=build-fuzz; args=(-DCMAKE_BUILD_TYPE=Debug -DDD_FUZZ=ON -DCMAKE_C_COMPILER=clang) ;;
  *) echo "usage: $0 [release|asan|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${args[@]}" >/dev/null
cmake --build "$dir" -j "$jobs" -- --no-print-directory >/dev/null || cmake --build "$dir" -j 1
echo "build.sh: $kind build in $dir"
