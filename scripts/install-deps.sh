#!/usr/bin/env bash
# Installs what fleetd needs to build, test and run on Debian 12, from Debian's packages only.
# Installs nothing that is already there; runs apt-get only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  clang-14 libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libsodium-dev liboath-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest curl procps tzdata
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages need root: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
