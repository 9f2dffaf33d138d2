#!/usr/bin/env bash
# Installs the Debian 12 packages Drydock needs to build, test and benchmark.
# Idempotent; run as root. Skips apt entirely when everything is present.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libmicrohttpd-dev libgnutls28-dev libssl-dev libsqlite3-dev libarchive-dev
  libisal-dev libzstd-dev libjansson-dev libcurl4-openssl-dev libsodium-dev libyaml-dev
  libargon2-dev librpm-dev libxml2-dev zlib1g-dev
)
TEST_PKGS=(
  python3 python3-pytest python3-requests python3-packaging node-semver python3-jsonschema python3-prometheus-client
  dpkg-dev rpm python3-rpm skopeo podman umoci mmdebstrap debootstrap
  isal zstd curl valgrind unzip zip docker-registry openssl golang-go
  chromium
  ruby php-cli php-composer-semver default-jre-headless libmaven3-core-java
)
BENCH_PKGS=( docker-registry nginx-light wrk )

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
case "${1:-}" in
  --all|--bench) want+=("${BENCH_PKGS[@]}") ;;
esac

# The web console's browser tests (tests/ui): playwright-core pinned by
# tests/ui/package-lock.json, driving Debian's chromium (no browser download).
ui_deps() {
  local ui
  ui="$(cd "$(dirname "$0")/.." && pwd)/tests/ui"
  if [ -d "$ui/node_modules/playwright-core" ]; then return 0; fi
  # Node and npm: whatever the machine has (an image may ship its own Node
  # build, which bundles npm and conflicts with Debian's npm package); else
  # Debian's packages.
  if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; } ||
      echo "install-deps: could not install nodejs/npm" >&2
  fi
  if ! command -v npm >/dev/null; then echo "install-deps: npm missing, browser tests will be skipped" >&2; return 0; fi
  echo "install-deps: npm ci in tests/ui"
  (cd "$ui" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
}

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#want[@]} packages present"
  ui_deps
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
ui_deps
echo "install-deps: done"
