#!/bin/sh
# bench_query.sh: builds and runs the query engine benchmark (bench/bench_query.c)
# against an optimized build of the static library.
#   usage: bench/bench_query.sh [ROWS]      (default 1000000)
# Uses BUILD_DIR (default /tmp/drydock-bench-query) for a Release build of drydock_lib.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-/tmp/drydock-bench-query}
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j2 --target drydock_lib >/dev/null
LIBS=$(pkg-config --libs libmicrohttpd libcrypto sqlite3 libarchive libzstd jansson libcurl libsodium rpm)
cc -std=c11 -O2 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src" "$ROOT/bench/bench_query.c" \
   "$BUILD_DIR/libdrydock_lib.a" $LIBS -lisal -lpthread -lm -o "$BUILD_DIR/bench_query"
exec "$BUILD_DIR/bench_query" "$@"
