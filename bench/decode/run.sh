#!/usr/bin/env bash
# Benchmark 1: Teltonika Codec 8 Extended decoding, fleetd's decoder against the npm package
# complete-teltonika-parser on the same packets, both on one core (CPU 0). Prints both rates and
# their ratio and writes section 1 of docs/BENCHMARKS.md (only that section).
#
#   bench/decode/run.sh [BUILD_DIR]     (default: $BUILD_DIR, else ./build)
#
# Builds nothing: BUILD_DIR/bench/bench_decode must exist (cmake --preset release && cmake --build
# --preset release --target bench_decode). Installs the Node baseline from its lock file (npm ci)
# when it is missing. BENCH_RUNS (default 7) and BENCH_MIN_RUN_MS (default 1000) set the timed runs
# of each side; the figures are the medians.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${1:-${BUILD_DIR:-$repo/build}}"
build="$(cd "$build" 2>/dev/null && pwd)" || { echo "run.sh: no build directory ${1:-${BUILD_DIR:-$repo/build}}" >&2; exit 1; }
bench="$build/bench/bench_decode"
runs="${BENCH_RUNS:-7}"
min_run_ms="${BENCH_MIN_RUN_MS:-1000}"
goal=25
cpu=0

[ -x "$bench" ] || { echo "run.sh: $bench not built (cmake --build $build --target bench_decode)" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node not found (scripts/install-deps.sh --bench)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "run.sh: taskset not found (util-linux)" >&2; exit 1; }

if [ ! -d "$here/node/node_modules/complete-teltonika-parser" ]; then
  command -v npm >/dev/null || { echo "run.sh: npm not found (scripts/install-deps.sh --bench)" >&2; exit 1; }
  echo "== installing the Node baseline (npm ci)"
  (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
fi

results="$repo/bench/results"
mkdir -p "$results"
hex="$results/decode_packets.hex"
meta="$results/decode_packets.json"

echo "== fleetd DecodeTcp (C++), pinned to CPU $cpu"
taskset -c "$cpu" "$bench" --hex "$hex" --meta "$meta" --runs "$runs" --min-run-ms "$min_run_ms" \
  | tee "$results/decode_cpp.txt"
echo "== complete-teltonika-parser (Node), pinned to CPU $cpu"
(cd "$here/node" && taskset -c "$cpu" node decode.js "$hex" "$meta" --runs "$runs" \
  --min-run-ms "$min_run_ms") | tee "$results/decode_node.txt"

# RESULT records_per_s=N wall_records_per_s=M
field() { sed -n "s/^RESULT .*\b$2=\([0-9]*\).*/\1/p" "$1" | tail -1; }
ours=$(field "$results/decode_cpp.txt" records_per_s)
ours_wall=$(field "$results/decode_cpp.txt" wall_records_per_s)
theirs=$(field "$results/decode_node.txt" records_per_s)
theirs_wall=$(field "$results/decode_node.txt" wall_records_per_s)
[ -n "$ours" ] && [ -n "$theirs" ] || { echo "run.sh: a side printed no RESULT line" >&2; exit 1; }

# Machine and versions, for the record.
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram_gib=$(awk '/^MemTotal:/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
load=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- src bench 2>/dev/null || commit="$commit + uncommitted changes"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
cxx_version=$("${cxx:-c++}" --version 2>/dev/null | head -1 || true)
parser_version=$(node -p "require('$here/node/node_modules/complete-teltonika-parser/package.json').version")
packets_line=$(head -1 "$results/decode_cpp.txt")

BENCH_OURS="$ours" BENCH_OURS_WALL="$ours_wall" BENCH_THEIRS="$theirs" BENCH_THEIRS_WALL="$theirs_wall" \
BENCH_GOAL="$goal" BENCH_CPU_MODEL="$cpu_model" BENCH_NPROC="$(nproc)" BENCH_RAM="$ram_gib" \
BENCH_LOAD="$load" BENCH_COMMIT="$commit" BENCH_BUILD_TYPE="${build_type:-?}" \
BENCH_CXX="$cxx_version" BENCH_NODE="$(node --version)" BENCH_PARSER="$parser_version" \
BENCH_CPU="$cpu" BENCH_RUNS="$runs" BENCH_MIN_RUN_MS="$min_run_ms" BENCH_PACKETS="$packets_line" \
BENCH_DOC="$repo/docs/BENCHMARKS.md" python3 - <<'EOF'
import datetime, os, re

e = os.environ
ours, theirs = int(e["BENCH_OURS"]), int(e["BENCH_THEIRS"])
ratio = ours / theirs
goal = int(e["BENCH_GOAL"])
met = "met" if ratio >= goal else "NOT met"
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
packets = re.sub(r"^bench_decode: ", "", e["BENCH_PACKETS"])

print(f"== fleetd {ours:,} records/s, complete-teltonika-parser {theirs:,} records/s: "
      f"{ratio:.1f}x (goal {goal}x: {met})")

section = f"""## 1. Teltonika Codec 8 Extended decoding

Goal: decode Codec 8 Extended packets (10 records of 10 IO values each) at least {goal} times faster
than the npm package complete-teltonika-parser, on one core.

| | records/s (CPU time) | records/s (wall time) |
|---|---:|---:|
| fleetd `teltonika::DecodeTcp` (C++) | {ours:,} | {int(e["BENCH_OURS_WALL"]):,} |
| complete-teltonika-parser {e["BENCH_PARSER"]} (Node {e["BENCH_NODE"]}) | {theirs:,} | {int(e["BENCH_THEIRS_WALL"]):,} |
| **ratio** | **{ratio:.1f}x** | {int(e["BENCH_OURS_WALL"]) / int(e["BENCH_THEIRS_WALL"]):.1f}x |

Goal {goal}x: **{met}** (ratio of the CPU-time figures).

- Command: `bench/decode/run.sh [BUILD_DIR]` after building `bench_decode` (for example
  `cmake --preset release && cmake --build --preset release --target bench_decode`).
- Date: {date}. Commit: {e["BENCH_COMMIT"]}.
- Machine: {e["BENCH_NPROC"]} CPUs, {e["BENCH_CPU_MODEL"]}, {e["BENCH_RAM"]} GiB RAM.
  Load average at the end: {e["BENCH_LOAD"]} (the machine is shared).
- Build: {e["BENCH_BUILD_TYPE"]}, {e["BENCH_CXX"]}.
- Packets: {packets}.
  They come from a fixed seed through `teltonika::EncodeAvlTcp`. Each record has four 1-byte,
  three 2-byte, two 4-byte and one 8-byte IO value, with IDs drawn in random order from the ones
  FMB devices send (ignition, voltages, odometers, ICCID, iButton...), so both named and unnamed
  IDs. Both sides decode the same bytes: bench_decode writes them as hex, one packet a line, and
  decode.js first checks that the package finds the same record count and the same first and last
  record (timestamp, IO count).
- What is timed: for fleetd, from the frame's bytes to `core::Decoded` (CRC check, records with
  their IO elements and named attributes, reply) and its destruction. For the package, from a hex
  string (its input form, made before timing) to its parsed object, garbage collection included.
- Method: both processes are pinned to CPU {e["BENCH_CPU"]} with `taskset`. After a warm-up, each
  side makes {e["BENCH_RUNS"]} runs of at least {e["BENCH_MIN_RUN_MS"]} ms of CPU time, decoding all
  packets over and over; the figure is the median run. CPU time (the process's own, all threads)
  is the primary figure because the machine is shared: other load takes the core away, which wall
  time counts and CPU time does not.
"""

path = e["BENCH_DOC"]
header = """# Benchmarks

Measured performance of fleetd against a baseline measured in the same run. Each section is
written by its own script (`bench/<name>/run.sh`), with the command, the machine and the date.
"""
text = open(path).read() if os.path.exists(path) else header
# Replace section 1 (up to the next "## " heading), or insert it before the first later section.
start = re.search(r"^## 1\. .*$", text, re.M)
if start:
    nxt = re.search(r"^## ", text[start.end():], re.M)
    end = start.end() + nxt.start() if nxt else len(text)
    text = text[:start.start()] + section + ("\n" if nxt else "") + text[end:]
else:
    later = None
    for m in re.finditer(r"^## (\d+)\. ", text, re.M):
        if int(m.group(1)) > 1:
            later = m
            break
    if later:
        text = text[:later.start()] + section + "\n" + text[later.start():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
print(f"== wrote section 1 of {path}")
EOF
