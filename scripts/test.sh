#!/usr/bin/env bash
# Runs every test suite: unit tests (release build), the protocol and store tests under ASan+UBSan,
# each decoder's libFuzzer target for a bounded time, and the integration tests against the real
# fleetd binary on 127.0.0.1, and the web application's end-to-end tests (Chromium driven by
# playwright-core against the real fleetd). `scripts/test.sh unit|asan|fuzz|integration|e2e` runs one suite.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
which=${1:-all}

run_unit() {
  echo "== unit tests"
  ctest --test-dir build --output-on-failure -j "$JOBS"
}

run_asan() {
  echo "== protocol and store tests under ASan+UBSan"
  cmake --preset asan >/dev/null
  local targets=(fleet_core_test fleet_teltonika_test fleet_gt06_test fleet_osmand_test fleet_store_test fleet_pipeline_test fleet_runner_test)
  cmake --build --preset asan -j "$JOBS" --target "${targets[@]}"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -R "^($(IFS='|'; echo "${targets[*]}"))$"
}

run_fuzz() {
  echo "== fuzzing each decoder for ${FUZZ_SECONDS}s"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$JOBS" --target teltonika_fuzz gt06_fuzz osmand_fuzz
  for p in teltonika gt06 osmand; do
    corpus=$(mktemp -d)
    # Seeds: the public frames the unit tests use (one per line in tests/data/<protocol>/).
    if [ -d "tests/data/$p" ]; then
      python3 scripts/make_seeds.py "tests/data/$p" "$corpus" "$p"
    fi
    echo "-- $p"
    "build-fuzz/tests/fuzz/${p}_fuzz" -max_total_time="$FUZZ_SECONDS" -timeout=5 -rss_limit_mb=2048 \
      -print_final_stats=0 "$corpus" 2>&1 | tail -n 3
    rm -rf "$corpus"
  done
}

run_integration() {
  echo "== integration tests (real fleetd on 127.0.0.1)"
  /usr/bin/python3 -m pytest -q tests/integration
}

run_e2e() {
  echo "== web application end to end (headless Chromium, real fleetd on 127.0.0.1)"
  (cd web && FLEETD="$PWD/../build/fleetd" node --test --test-concurrency=1 --test-reporter=spec e2e/)
}

case "$which" in
  unit) run_unit ;;
  asan) run_asan ;;
  fuzz) run_fuzz ;;
  integration) run_integration ;;
  e2e) run_e2e ;;
  all) run_unit; run_asan; run_fuzz; run_integration; run_e2e ;;
  *) echo "unknown suite: $which" >&2; exit 2 ;;
esac
