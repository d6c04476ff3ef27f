#!/usr/bin/env bash
# All benchmarks in order (`make bench`): decode (when bench/decode/run.sh exists), durable ingestion,
# idle connections, the API and live feed under ingestion, the pipeline. Each writes its section of
# docs/BENCHMARKS.md. Builds nothing: BUILD_DIR (default ./build) must hold a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-./build}
if [ -x bench/decode/run.sh ]; then
    bench/decode/run.sh
elif [ -f bench/decode/run.sh ]; then
    bash bench/decode/run.sh
fi
bench/ingest.sh
bench/idle.sh
bench/api.sh
bench/pipeline.sh
