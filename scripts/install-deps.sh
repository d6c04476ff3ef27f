#!/usr/bin/env bash
# Installs what fleetd needs to build, test and run on Debian 12, from Debian's packages only.
# Installs nothing that is already there; runs apt-get only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  clang-14 libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3
  liblz4-dev  # stored positions packed (src/store/packed_json.*); its static archive is linked
  libjemalloc-dev  # the fleetd binary's allocator (CMakeLists.txt, FLEETD_JEMALLOC)
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libsodium-dev liboath-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest curl procps
  tzdata    # the IANA time-zone database a tenant's time_zone is checked against
  libhowardhinnant-date-dev  # date/tz: reports' local days in a tenant's zone (C++20 <chrono> zones, before GCC 14)
  libxlsxwriter-dev          # XLSX report exports
  chromium  # the browser of the web application's end-to-end tests (driven by playwright-core)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node.js and npm build the web application (web/) and run the decode benchmark's baseline. The web
# toolchain is pinned to versions that run on Node 18.19+ (docs/web.md), so Debian 12's own nodejs
# (18.20) and npm (9.2) are enough: a node that is new enough (from any source, e.g. NodeSource's
# 20 or 22) is used as it is, and otherwise Debian's nodejs and npm are installed.
NODE_MIN=18.19
node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    dpkg --compare-versions "$(node -p process.versions.node)" ge "$NODE_MIN"
}
if ! node_ok; then
  if command -v node >/dev/null && ! dpkg-query -W -f='${Status}' nodejs 2>/dev/null | grep -q 'install ok installed'; then
    echo "the web application needs Node.js >= $NODE_MIN with npm; this system's node is" \
      "$(node --version) (not Debian's package), which apt cannot replace. Remove it or put a newer one first in PATH." >&2
    exit 1
  fi
  missing+=(nodejs npm)
fi

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
