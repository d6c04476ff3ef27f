#!/usr/bin/env bash
# Installs what fleetd needs to build, test and run on Debian 12, from Debian's packages only
# (Node.js excepted where Debian's is too old: see below).
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
  python3 python3-pytest curl procps
  tzdata    # the IANA time-zone database a tenant's time_zone is checked against
  chromium  # the browser of the web application's end-to-end tests (driven by playwright-core)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node.js and npm build the web application (web/) and run the decode benchmark's baseline. Vite
# needs Node 20.19 or later; Debian 12's own nodejs is 18.20, too old. So: a node that is new
# enough (from any source) is used as it is; otherwise Debian's nodejs and npm are installed only
# if the archive offers a new enough one (Debian 13 does), and else we stop and say what to do.
NODE_MIN=20.19
node_ok() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    dpkg --compare-versions "$(node -p process.versions.node)" ge "$NODE_MIN"
}
if ! node_ok; then
  [ "$(id -u)" -eq 0 ] && apt-get update -qq
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && dpkg --compare-versions "$candidate" ge "$NODE_MIN"; then
    missing+=(nodejs npm)
  else
    echo "the web application needs Node.js >= $NODE_MIN with npm; this system has" \
      "$(node --version 2>/dev/null || echo 'no node') and its archive offers nodejs ${candidate:-none}." >&2
    echo "Install Node.js 20 or 22 (for example from NodeSource's Debian packages), then run make again." >&2
    exit 1
  fi
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
