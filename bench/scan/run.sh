#!/usr/bin/env bash
# Scanning benchmarks for issue 4 (see docs/PERFORMANCE.md):
#   1. re-assessment of N stored images (default 10,000) after a DB update;
#   2. time from manifest PUT to findings available, for a ~100 MB image whose
#      blobs were just pushed;
#   3. push throughput with scanning on versus off.
# Usage: bench/scan/run.sh [N_IMAGES]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=bench/out/scan; mkdir -p "$out"
bash scripts/build.sh release >/dev/null
N=${1:-10000}
# a vulnerability DB with the shipped Debian OSV sample
if [ ! -s "$out/vulndb/vulndb/vuln.db" ]; then
  ./build/drydock db import --data-dir "$out/vulndb" tests/fixtures/feeds/debian-osv/all.zip >/dev/null
fi
# source packages of Debian 11 with a fixed version, at a version just below it
/usr/bin/python3 - "$out/pkgs.txt" <<'PY'
import json, sys, zipfile
z = zipfile.ZipFile("tests/fixtures/feeds/debian-osv/all.zip")
best = {}
for n in z.namelist():
    r = json.loads(z.read(n))
    for a in r.get("affected", []):
        if a["package"]["ecosystem"] != "Debian:11":
            continue
        for rg in a.get("ranges", []):
            for ev in rg["events"]:
                if "fixed" in ev:
                    best.setdefault(a["package"]["name"], ev["fixed"] + "~old")
with open(sys.argv[1], "w") as f:
    for k, v in sorted(best.items()):
        f.write(f"{k} {v}\n")
PY
cc -O2 -g -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude -Isrc bench/scan/rematch.c build/libdrydock_lib.a \
  $(pkg-config --libs libmicrohttpd libcrypto sqlite3 libarchive libzstd jansson libcurl libsodium rpm) -lisal -lpthread -lm \
  -o "$out/rematch"
echo "== re-assessment: $N images x 200 packages"
"$out/rematch" "$out/vulndb/vulndb/vuln.db" "$out/pkgs.txt" "$N" 200
echo "== push to findings latency, and push throughput with scanning on vs off"
/usr/bin/python3 bench/scan/latency.py "$root/build/drydock" "$out/vulndb/vulndb/vuln.db"
