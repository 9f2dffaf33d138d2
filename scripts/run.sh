#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, loads
# vulnerability data when there is none (the live feeds through `drydock db
# update` when online, else the real feed sample shipped in
# tests/fixtures/feeds; DRYDOCK_OFFLINE=1 skips the download), and runs
# `drydock serve` on embedded defaults (./drydock-data, SQLite, filesystem
# blobs, 127.0.0.1:5000). Extra arguments go to `drydock serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash scripts/install-deps.sh; fi
bash scripts/build.sh release
data=${DRYDOCK_DATA:-./drydock-data}
export DRYDOCK_DATA=$data
if ! ./build/drydock db status >/dev/null 2>&1; then
  # no vulnerability data yet: online, fetch the live feeds; offline (or if
  # that fails), import the real feed sample shipped in tests/fixtures/feeds
  # (the quick feeds only: a first full NVD sync without an API key takes
  # tens of minutes, and the Red Hat and vulnrichment archives are large;
  # `drydock db update` fetches everything, resuming an interrupted NVD sync)
  if [ -z "${DRYDOCK_OFFLINE:-}" ] &&
     timeout 300 ./build/drydock db update --feeds osv,debian-tracker,alpine-secdb,kev; then
    echo "run.sh: loaded the live vulnerability feeds (drydock db update --feeds osv,debian-tracker,alpine-secdb,kev);"
    echo "run.sh: run 'drydock db update' for every feed (NVD, Red Hat, vulnrichment, ...)"
  else
    echo "run.sh: offline: importing the vulnerability-feed sample shipped in tests/fixtures/feeds"
    ./build/drydock db import tests/fixtures/feeds >/dev/null
    ./build/drydock db status | sed -n '1,6p'
    echo "run.sh: imported the shipped sample (real OSV, Debian tracker, Alpine secdb, NVD, CISA KEV and CVE JSON 5 data); run 'drydock db update' when online"
  fi
fi
exec ./build/drydock serve "$@"
