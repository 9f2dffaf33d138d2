#!/usr/bin/env bash
# Runs the whole Drydock test suite from a fresh checkout:
#   1. installs missing Debian packages (scripts/install-deps.sh)
#   2. builds release and ASan/UBSan trees (and the fuzz targets with clang)
#   3. unit tests (ctest) in both trees
#   4. integration tests (pytest) against the real server, ASan build
#   5. a short smoke run of every libFuzzer target over its corpus
# Each runner prints its own summary line (ctest, pytest, "N passed, N failed").
# Set DD_TEST_QUICK=1 to skip the sanitizer and fuzz stages.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
status=0
step() { printf '\n=== %s ===\n' "$*"; }

step "install dependencies"
if [ "$(id -u)" = 0 ]; then bash scripts/install-deps.sh || exit 1
else bash scripts/install-deps.sh || echo "(not root: assuming packages are present)"; fi

step "build (release)"
bash scripts/build.sh release || exit 1
if [ -z "${DD_TEST_QUICK:-}" ]; then
  step "build (asan+ubsan)"
  bash scripts/build.sh asan || exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

step "unit tests (release)"
(cd build && ctest --output-on-failure -j2) || status=1
if [ -z "${DD_TEST_QUICK:-}" ]; then
  step "unit tests (asan+ubsan)"
  (cd build-asan && ctest --output-on-failure -j2) || status=1
  itbin="$root/build-asan/drydock"
else
  itbin="$root/build/drydock"
fi

step "integration tests ($itbin)"
DRYDOCK_BIN="$itbin" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "$@"
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 5 ] || status=1

if [ -z "${DD_TEST_QUICK:-}" ] && ls tests/fuzz/fuzz_*.c >/dev/null 2>&1; then
  step "fuzz smoke (each target over its corpus, bounded)"
  if bash scripts/build.sh fuzz; then
    bash tests/fuzz/smoke.sh build-fuzz || status=1
  else
    status=1
  fi
fi

step "done"
[ $status -eq 0 ] && echo "test.sh: all stages passed" || echo "test.sh: some stages failed"
exit $status
