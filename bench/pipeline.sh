#!/usr/bin/env bash
# Benchmark 7 (docs/BENCHMARKS.md): the pipeline inside the server.
#
# 1. Ingestion with the pipeline off (the baseline) and on, in the same run: for each, a fresh
#    `fleetd serve --auto-register true --pipeline false|true` on free loopback ports, driven by
#    `fleetd simulate` (Teltonika TCP, Codec 8 Extended); the simulator's records acknowledged per
#    second, and with the pipeline on, the positions it processed during the load
#    (fleetd_pipeline_positions_total) and how long it took after the load to catch up with every
#    stored position.
# 2. bench_pipeline: a month of one vehicle's 10-second positions (about 260,000) processed by the
#    runner, against a chunked read of the same positions, and the trips report of that month.
# Writes the section "## 7. Pipeline in the server" of docs/BENCHMARKS.md (WRITE_DOC=0: print only).
#
# Builds nothing: uses $BUILD_DIR/fleetd and $BUILD_DIR/bench/bench_pipeline (BUILD_DIR: ./build).
# Knobs: DEVICES (1000), RECORDS_PER_PACKET (10), INTERVAL (0.05), DURATION (15), WORKERS (2), DAYS (30),
# RUNS (3: pairs of runs, off then on, one after the other; the median pair by ratio is shown), SIM_NICE (-10:
# the simulator's --nice, as in bench/ingest.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD_DIR=${BUILD_DIR:-./build}
FLEETD=$BUILD_DIR/fleetd
BENCH=$BUILD_DIR/bench/bench_pipeline
DEVICES=${DEVICES:-1000}
RECORDS_PER_PACKET=${RECORDS_PER_PACKET:-10}
INTERVAL=${INTERVAL:-0.05}
DURATION=${DURATION:-15}
WORKERS=${WORKERS:-2}
DAYS=${DAYS:-30}
RUNS=${RUNS:-3}
SIM_NICE=${SIM_NICE:--10}  # the simulator's --nice, as in bench/ingest.sh
WRITE_DOC=${WRITE_DOC:-1}
DOC=docs/BENCHMARKS.md

for f in "$FLEETD" "$BENCH"; do
    [ -x "$f" ] || { echo "pipeline.sh: $f not found; build first (make build, or set BUILD_DIR)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/fleetd-bench-pipeline.XXXXXX)
SERVER_PID=""
cleanup() {
    stop_pid "$SERVER_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

metric() {
    curl -sf --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics" |
        awk -v m="$1" '$1 == m { s += $2 } END { printf "%.0f\n", s }'
}

run_once() {  # $1: false|true, $2: run; writes $WORK/$1-$2.json and $WORK/$1-$2.vars
    local mode=$1 n=$2 data="$WORK/data-$1"
    read -r HTTP_PORT TELTONIKA_PORT GT06_PORT OSMAND_PORT < <(free_ports 4)
    "$FLEETD" serve --data "$data" --listen 127.0.0.1 --http-port "$HTTP_PORT" --teltonika-port "$TELTONIKA_PORT" \
        --gt06-port "$GT06_PORT" --osmand-port "$OSMAND_PORT" --auto-register true --pipeline "$mode" \
        --pipeline-workers "$WORKERS" > "$WORK/server-$mode.out" 2> "$WORK/server-$mode.err" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        grep -q "fleetd ready" "$WORK/server-$mode.out" 2>/dev/null && break
        sleep 0.1
    done
    grep -q "fleetd ready" "$WORK/server-$mode.out" || { cat "$WORK/server-$mode.err" >&2; exit 1; }
    echo "pipeline: run $n of $RUNS, ingestion with the pipeline $mode: $DEVICES devices for $DURATION s"
    "$FLEETD" simulate --target "127.0.0.1:$TELTONIKA_PORT" --protocol teltonika --devices "$DEVICES" \
        --interval "$INTERVAL" --duration "$DURATION" --records-per-packet "$RECORDS_PER_PACKET" \
        --ramp-up-ms 2000 --nice "$SIM_NICE" --json > "$WORK/$mode-$n.json"
    local stored processed start caught
    stored=$(metric fleetd_store_records_total)
    processed=$(metric fleetd_pipeline_positions_total)
    start=$(date +%s.%N)
    caught=""
    if [ "$mode" = true ]; then
        for _ in $(seq 1200); do
            [ "$(metric fleetd_pipeline_positions_total)" -ge "$stored" ] && { caught=$(date +%s.%N); break; }
            sleep 0.1
        done
    fi
    {
        echo "stored=$stored"
        echo "processed_during=$processed"
        echo "catch_up_s=$( [ -n "$caught" ] && python3 -c "print(round($caught - $start, 2))" || echo none)"
        echo "processed_end=$(metric fleetd_pipeline_positions_total)"
        echo "failures=$(metric fleetd_pipeline_failures_total)"
    } > "$WORK/$mode-$n.vars"
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    rm -rf "$data"
}

for n in $(seq "$RUNS"); do
    run_once false "$n"
    run_once true "$n"
done
echo "pipeline: bench_pipeline --days $DAYS"
"$BENCH" --days "$DAYS" > "$WORK/month.out"

python3 - "$WORK" "$RUNS" > "$WORK/section.md" <<EOF
import json, sys, os, subprocess, datetime
work, runs = sys.argv[1], int(sys.argv[2])
def sh(cmd):
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True).stdout.strip()
def vars_of(name):
    return dict(line.rstrip("\n").split("=", 1) for line in open(f"{work}/{name}.vars"))
pairs = []
for n in range(1, runs + 1):
    off_n, on_n = json.load(open(f"{work}/false-{n}.json")), json.load(open(f"{work}/true-{n}.json"))
    pairs.append((on_n["records_per_s"] / off_n["records_per_s"], n))
pairs.sort()
median = pairs[(len(pairs) - 1) // 2][1]
off, on = json.load(open(f"{work}/false-{median}.json")), json.load(open(f"{work}/true-{median}.json"))
voff, von = vars_of(f"false-{median}"), vars_of(f"true-{median}")
month_lines = open(f"{work}/month.out").read().splitlines()
month = json.loads(month_lines[-1])
table = "\n".join(month_lines[:-1])
secs = on["seconds"]
print("## 7. Pipeline in the server")
print()
print("Goals (issue 5): the pipeline keeps up with the ingestion goal (records processed per second beside raw "
      "ingestion, same run); a month of 10-second positions of one vehicle (about 260,000) in a trips report "
      "in under 100 ms.")
print()
print(f"| ingestion, same run ($DEVICES devices, $RECORDS_PER_PACKET records a packet every $INTERVAL s, $DURATION s; the median of {runs} off/on pairs by ratio) | pipeline off (baseline) | pipeline on ($WORKERS workers) |")
print("|---|---:|---:|")
print(f"| records acknowledged per second | {off['records_per_s']:,.0f} | {on['records_per_s']:,.0f} ({on['records_per_s'] / off['records_per_s']:.2f}x) |")
print(f"| ACK latency p50 / p99 | {off['latency_p50_ms']:.0f} / {off['latency_p99_ms']:.0f} ms | {on['latency_p50_ms']:.0f} / {on['latency_p99_ms']:.0f} ms |")
print(f"| positions stored | {int(voff['stored']):,} | {int(von['stored']):,} |")
print(f"| positions processed by the pipeline during the load | — | {int(von['processed_during']):,} ({int(von['processed_during']) / max(secs, 1e-9):,.0f}/s) |")
print(f"| after the load, time to process every stored position | — | {von['catch_up_s']} s |")
print()
print("Every pair (on / off records acknowledged per second): " + "; ".join(
    f"{json.load(open(f'{work}/true-{n}.json'))['records_per_s']:,.0f} / {json.load(open(f'{work}/false-{n}.json'))['records_per_s']:,.0f} ({r:.2f}x)"
    for r, n in sorted(pairs, key=lambda p: p[1])) + ".")
print()
print("A month of one vehicle (bench_pipeline, $DAYS days):")
print()
print(table)
print()
print(f"- Commands: \`bench/pipeline.sh\` (\`RUNS=$RUNS DEVICES=$DEVICES RECORDS_PER_PACKET=$RECORDS_PER_PACKET INTERVAL=$INTERVAL "
      f"DURATION=$DURATION WORKERS=$WORKERS DAYS=$DAYS SIM_NICE=$SIM_NICE\`): \`fleetd serve --auto-register true --pipeline false|true "
      f"--pipeline-workers $WORKERS\` with \`fleetd simulate --devices $DEVICES --records-per-packet $RECORDS_PER_PACKET "
      f"--interval $INTERVAL --duration $DURATION --nice $SIM_NICE --json\` (the simulator's priority as in section 2), then \`bench_pipeline --days $DAYS\`.")
kept = int(von["processed_during"]) / max(int(von["stored"]), 1)
print(f"- Keeping up: during the load the pipeline had processed {kept:.0%} of what was stored "
      f"({int(von['processed_during']):,} of {int(von['stored']):,}), the rest {von['catch_up_s']} s after it ended "
      "(goal: **" + ("met" if kept >= 0.9 and von["catch_up_s"] != "none" and float(von["catch_up_s"]) < 5 else "not met") +
      "**). The cost is ingestion's: on 2 cores the pipeline's threads take CPU from the gateway and the committer, "
      f"so the rate acknowledged with it on is {on['records_per_s'] / off['records_per_s']:.2f}x the rate without.")
print(f"- Pipeline failures counted: {von['failures']}. Simulated vehicles report no ignition; trips of the "
      "simulated fleet come from speed.")
rev = sh("git rev-parse --short HEAD") + (" + uncommitted changes" if sh("git status --porcelain --untracked-files=no") else "")
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")
load = open("/proc/loadavg").read().split()[:3]
print(f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; commit {rev}. Machine: {os.cpu_count()} "
      f"CPUs ({cpu}), shared with the simulator and other work (load average at the end: {' '.join(load)}).")
EOF

cat "$WORK/section.md"
if [ "$WRITE_DOC" = 1 ]; then
    write_section "$DOC" "$WORK/section.md" 7
    echo "pipeline: wrote the section to $DOC"
fi
