#!/usr/bin/env bash
# Installs the Debian 12 packages Drydock needs to build, test and benchmark.
# Idempotent; run as root. Skips apt entirely when everything is present.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libmicrohttpd-dev libgnutls28-dev libssl-dev libsqlite3-dev libarchive-dev
  libisal-dev libzstd-dev libjansson-dev libcurl4-openssl-dev libsodium-dev libyaml-dev
  libargon2-dev librpm-dev libxml2-dev
)
TEST_PKGS=(
  python3 python3-pytest python3-requests python3-packaging node-semver python3-jsonschema
  dpkg-dev rpm python3-rpm skopeo podman umoci mmdebstrap debootstrap
  isal zstd curl valgrind unzip zip docker-registry openssl
)
BENCH_PKGS=( docker-registry nginx-light wrk )

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
case "${1:-}" in
  --all|--bench) want+=("${BENCH_PKGS[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#want[@]} packages present"
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
echo "install-deps: done"
