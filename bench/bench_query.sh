#!/bin/sh
# bench_query.sh: builds and runs the query engine benchmark (bench/bench_query.c).
#   usage: bench/bench_query.sh [ROWS]      (default 1000000)
# The benchmark needs only the core and query modules, so it compiles those
# sources directly with -O2 (no dependency on the rest of the library
# building); the binary goes to BUILD_DIR (default /tmp/drydock-bench-query).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/tmp/drydock-bench-query}
CC=${CC:-cc}
mkdir -p "$BUILD_DIR"
$CC -std=c11 -O2 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I"$ROOT/include" -I"$ROOT/src" \
    "$ROOT"/src/core/*.c "$ROOT"/src/query/*.c "$ROOT/bench/bench_query.c" \
    $(pkg-config --cflags --libs jansson libcrypto sqlite3) -lpthread -lm -o "$BUILD_DIR/bench_query"
exec "$BUILD_DIR/bench_query" "$@"
