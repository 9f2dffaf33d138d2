#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, loads the
# vulnerability-feed sample shipped in tests/fixtures/feeds (offline) or the
# live feeds (DRYDOCK_ONLINE=1), and runs `drydock serve` on embedded
# defaults (./drydock-data, SQLite, filesystem blobs, 127.0.0.1:5000).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then bash scripts/install-deps.sh; fi
bash scripts/build.sh release
data=${DRYDOCK_DATA:-./drydock-data}
export DRYDOCK_DATA=$data
if [ -n "${DRYDOCK_ONLINE:-}" ]; then
  echo "run.sh: fetching the live vulnerability feeds (drydock db update)"
  ./build/drydock db update || echo "run.sh: db update failed; continuing"
elif ! ./build/drydock db status >/dev/null 2>&1 || ./build/drydock db status 2>/dev/null | grep -qi 'empty\|no vulnerability data'; then
  if [ -d tests/fixtures/feeds ]; then
    echo "run.sh: offline: importing the vulnerability-feed sample shipped in tests/fixtures/feeds"
    ./build/drydock db import tests/fixtures/feeds || echo "run.sh: import reported problems; continuing"
  fi
fi
exec ./build/drydock serve "$@"
