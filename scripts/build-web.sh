#!/usr/bin/env bash
# Builds the web application (web/ → web/dist, which fleetd serves at /). Quick when nothing
# changed: `npm ci` runs only when package-lock.json is newer than the installed packages, and the
# build only when a source is newer than the last build.
set -euo pipefail
cd "$(dirname "$0")/../web"

# npm ci records what it installed in node_modules/.package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "web: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

stamp=dist/index.html
if [ -f "$stamp" ] && [ -z "$(find src public scripts index.html vite.config.ts tsconfig.json package-lock.json \
     node_modules/.package-lock.json -newer "$stamp" -print -quit)" ]; then
  echo "web: up to date (web/dist)"
  exit 0
fi
echo "web: building web/dist"
npm run --silent build
