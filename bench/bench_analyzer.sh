#!/usr/bin/env bash
# Layer analysis throughput vs `igzip -dc` (the ceiling), in MB/s of
# compressed layer. Usage: bench/bench_analyzer.sh [LAYER.tar.gz]
# (DD_BENCH_ELF=1: an ELF-only layer, see below)
# Without an argument it builds a ~${DD_BENCH_MB:-512} MB tar of files
# under /usr, gzips it (gzip -6, like docker) into bench/out/usr-layer.tar.gz
# (reused by later runs). The driver is compiled with -O2 straight from the
# core, catalog and analyzer sources, so it doesn't depend on the rest of
# the tree building. Prints both rates and their ratio (target >= 0.80).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
layer=${1:-}
# DD_BENCH_ELF=1: a layer of ELF binaries only (the elf extractor's worst
# case; docs/PERFORMANCE.md), ~400 MB of /usr without Go binaries.
if [ -z "$layer" ] && [ "${DD_BENCH_ELF:-0}" = 1 ]; then
  layer=$out/elf-layer.tar.gz
  if [ ! -s "$layer" ]; then
    /usr/bin/python3 - "$out/elf-files.txt" <<'PY'
import os, sys
out, tot = open(sys.argv[1], "w"), 0
for root, dirs, files in os.walk("/usr"):
    if any(x in root for x in ("/usr/lib/go", "/usr/share/go", "/usr/lib/cni", "/usr/lib/podman")):
        continue
    for f in files:
        p = os.path.join(root, f)
        try:
            if os.path.islink(p) or not 1024 <= os.path.getsize(p) <= 8 << 20:
                continue
            with open(p, "rb") as fh:
                if fh.read(4) != b"\x7fELF":
                    continue
        except OSError:
            continue
        out.write(p + "\n")
        tot += os.path.getsize(p)
        if tot > 400e6:
            sys.exit(0)
PY
    tar --no-recursion -cf - -T "$out/elf-files.txt" 2>/dev/null | gzip -6 -n > "$layer"
  fi
fi
if [ -z "$layer" ]; then
  layer=$out/usr-layer.tar.gz
  if [ ! -s "$layer" ]; then
    limit=$(( ${DD_BENCH_MB:-512} * 1000000 ))
    find /usr -xdev -type f -size -8M -printf '%s\t%p\n' 2>/dev/null |
      awk -F'\t' -v lim="$limit" '{ s += $1; if (s > lim) exit; print $2 }' > "$out/usr-files.txt" || true
    tar --no-recursion -cf - -T "$out/usr-files.txt" 2>/dev/null | gzip -6 -n > "$layer"
  fi
fi
bin=$out/bench_analyzer
cc -O2 -g -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude -Isrc \
  bench/bench_analyzer.c src/core/*.c src/catalog/*.c src/analyzer/*.c -o "$bin" \
  -larchive -lzstd -ljansson -lcurl -lcrypto -lisal -lrpm -lrpmio -lsqlite3 -lz -lm -lpthread
size=$(stat -c %s "$layer")
# Interleaved runs, best of each. The machine may be shared and loaded, so
# besides wall-clock MB/s the CPU time (user+sys) of both is compared: that
# ratio is the meaningful one when other processes steal the CPU.
rounds=${DD_BENCH_ROUNDS:-5}
best=999999; bestcpu=999999; ours=0; ourscpu=0; line=
TIMEFORMAT='%3R %3U %3S'
for i in $(seq "$rounds"); do
  t=$( { time igzip -dc "$layer" > /dev/null; } 2>&1 )
  wall=$(echo "$t" | awk '{print $1}'); cpu=$(echo "$t" | awk '{print $2 + $3}')
  best=$(awk -v a="$wall" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
  bestcpu=$(awk -v a="$cpu" -v b="$bestcpu" 'BEGIN { print (a < b) ? a : b }')
  l=$("$bin" "$layer" 1)
  r=$(echo "$l" | sed -E 's/.* s = ([0-9.]+) MB\/s, cpu.*/\1/')
  rc=$(echo "$l" | sed -E 's/.* = ([0-9.]+) MB\/s per cpu-second.*/\1/')
  if awk -v a="$r" -v b="$ours" 'BEGIN { exit !(a > b) }'; then ours=$r; line=$l; fi
  if awk -v a="$rc" -v b="$ourscpu" 'BEGIN { exit !(a > b) }'; then ourscpu=$rc; fi
done
mb=$(awk -v s="$size" 'BEGIN{printf "%.1f", s/1e6}')
igzip_rate=$(awk -v s="$size" -v t="$best" 'BEGIN { printf "%.1f", s / 1e6 / t }')
igzip_cpu=$(awk -v s="$size" -v t="$bestcpu" 'BEGIN { printf "%.1f", s / 1e6 / t }')
echo "igzip -dc: $mb MB compressed in ${best} s = ${igzip_rate} MB/s, cpu ${bestcpu} s = ${igzip_cpu} MB/s per cpu-second (best of $rounds)"
echo "$line (best of $rounds; best cpu rate $ourscpu)"
awk -v a="$ours" -v b="$igzip_rate" 'BEGIN { printf "ratio analyzer/igzip, wall clock = %.2f\n", a / b }'
awk -v a="$ourscpu" -v b="$igzip_cpu" 'BEGIN { printf "ratio analyzer/igzip, cpu time   = %.2f (target >= 0.80)\n", a / b }'
