#!/usr/bin/env bash
# Benchmark 2 (docs/BENCHMARKS.md): durable ingestion end to end on the embedded store.
#
# Registers the simulated devices with `fleetd admin device add`, then RUNS times: starts fleetd
# (default store settings: SQLite, synchronous=full, ACK after commit, raw frames kept) on free
# loopback ports with a fresh copy of that data folder, drives the devices with `fleetd simulate`
# (Teltonika TCP, Codec 8 Extended), and reads the simulator's report (records acknowledged per
# second, ACK latency p50/p99), the store's count from /metrics, the server's memory and the CPU used
# on the machine. The median run (by records/s) is the headline; every run is listed. In the same
# script it measures the baseline, bench_raw_insert: a plain loop of prepared INSERTs of the same kind
# of rows into the same schema, as many rows as the median run stored. Writes the section
# "## 2. Durable ingestion end to end" of docs/BENCHMARKS.md (WRITE_DOC=0 to only print it).
#
# Builds nothing: uses $BUILD_DIR/fleetd and $BUILD_DIR/bench/bench_raw_insert (BUILD_DIR defaults to
# ./build). Knobs (environment): DEVICES (1000), RECORDS_PER_PACKET (10), INTERVAL (0.05 s: 1000
# devices x 10 records / 0.05 s offer 200,000 records/s), DURATION (30 s), RUNS (3), SYNCHRONOUS
# (full), IO_THREADS (0 = one per core), RAMP_UP_MS (2000), RAW_ROWS (auto: as many rows as the median
# run stored, so that both end with tables of the same size), RAW_ROWS_PER_TXN (DEVICES x
# RECORDS_PER_PACKET: one packet of each device per transaction, as in a server group commit),
# SIM_NICE (-10: the simulator's `--nice`, the priority the server's committer gives its own threads;
# devices in the field answer ACKs from their own CPUs, and at the default priority the simulator's
# answers waited behind the server on the 2 shared cores and slowed the loop it measures; 0 for the
# setup of the runs before 2026-11-27 18:00 UTC).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD_DIR=${BUILD_DIR:-./build}
FLEETD=$BUILD_DIR/fleetd
RAW=$BUILD_DIR/bench/bench_raw_insert
DEVICES=${DEVICES:-1000}
RECORDS_PER_PACKET=${RECORDS_PER_PACKET:-10}
INTERVAL=${INTERVAL:-0.05}
DURATION=${DURATION:-30}
RUNS=${RUNS:-3}
SYNCHRONOUS=${SYNCHRONOUS:-full}
IO_THREADS=${IO_THREADS:-0}
RAMP_UP_MS=${RAMP_UP_MS:-2000}
RAW_ROWS=${RAW_ROWS:-auto}
RAW_ROWS_PER_TXN=${RAW_ROWS_PER_TXN:-$((DEVICES * RECORDS_PER_PACKET))}
SIM_NICE=${SIM_NICE:--10}
WRITE_DOC=${WRITE_DOC:-1}
DOC=docs/BENCHMARKS.md

for f in "$FLEETD" "$RAW"; do
    [ -x "$f" ] || { echo "ingest.sh: $f not found; build first (make build, or set BUILD_DIR)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/fleetd-bench-ingest.XXXXXX)
SERVER_PID=""
SIM_PID=""
RSS_PID=""
cleanup() {
    stop_pid "$RSS_PID"
    stop_pid "$SIM_PID"
    stop_pid "$SERVER_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

children_s() {  # CPU seconds of this shell's reaped children, from a `times` output file
    awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }' "$1"
}
metric() {  # sum of a Prometheus metric's samples (all labels) from /metrics
    curl -sf --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics" |
        awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.3f\n", s }'
}

# The devices, registered as an operator would (one admin call each), in a data folder that each
# run copies.
echo "ingest: registering $DEVICES devices with fleetd admin"
"$FLEETD" simulate --list-imeis --devices "$DEVICES" > "$WORK/imeis"
while read -r imei; do
    "$FLEETD" admin --data "$WORK/template" device add --imei "$imei" --protocol teltonika > /dev/null
done < "$WORK/imeis"

# One run: a fresh server, the simulator against it; results in $WORK/run$1.json and run$1.vars.
run_once() {
    local n=$1 data="$WORK/data$1"
    cp -a "$WORK/template" "$data"
    read -r HTTP_PORT TELTONIKA_PORT GT06_PORT OSMAND_PORT < <(free_ports 4)
    "$FLEETD" serve --data "$data" --listen 127.0.0.1 --http-port "$HTTP_PORT" --teltonika-port "$TELTONIKA_PORT" \
        --gt06-port "$GT06_PORT" --osmand-port "$OSMAND_PORT" --synchronous "$SYNCHRONOUS" --io-threads "$IO_THREADS" \
        > "$WORK/server$n.out" 2> "$WORK/server$n.err" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        grep -q "fleetd ready" "$WORK/server$n.out" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server$n.err" >&2; exit 1; }
        sleep 0.1
    done
    grep -q "fleetd ready" "$WORK/server$n.out" || { echo "ingest: fleetd did not start" >&2; exit 1; }
    sleep 1
    local rss_rest_kb server_cpu0 load_before busy0
    rss_rest_kb=$(status_kb "$SERVER_PID" VmRSS)
    server_cpu0=$(cpu_s "$SERVER_PID")
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    busy0=$(busy_s)
    times > "$WORK/times$n.before"

    echo "ingest: run $n of $RUNS: $DEVICES devices, $RECORDS_PER_PACKET records a packet every $INTERVAL s, for $DURATION s"
    "$FLEETD" simulate --target "127.0.0.1:$TELTONIKA_PORT" --protocol teltonika --devices "$DEVICES" \
        --interval "$INTERVAL" --duration "$DURATION" --records-per-packet "$RECORDS_PER_PACKET" \
        --ramp-up-ms "$RAMP_UP_MS" --nice "$SIM_NICE" --json > "$WORK/run$n.json" 2> "$WORK/sim$n.err" &
    SIM_PID=$!
    # The server's RSS every 0.5 s while the simulator runs (VmHWM would also count start-up).
    ( while kill -0 "$SIM_PID" 2>/dev/null; do status_kb "$SERVER_PID" VmRSS; sleep 0.5; done > "$WORK/rss$n" ) &
    RSS_PID=$!
    # CPU per thread of the server and the simulator over 3 s half way through.
    sleep "$(python3 -c "print(max(1, $DURATION / 2 - 1.5))")"
    thread_split "$SERVER_PID" "$SIM_PID" > "$WORK/threads$n" || true
    wait "$SIM_PID" || { cat "$WORK/sim$n.err" >&2; SIM_PID=""; exit 1; }
    SIM_PID=""
    times > "$WORK/times$n.after"
    local busy1 server_cpu1
    busy1=$(busy_s)
    server_cpu1=$(cpu_s "$SERVER_PID")
    wait "$RSS_PID" || true
    RSS_PID=""
    sleep 0.5  # the last commits' metrics
    {
        echo "rss_rest_kb=$rss_rest_kb"
        echo "rss_peak_kb=$(sort -n "$WORK/rss$n" | tail -1)"
        echo "rss_end_kb=$(status_kb "$SERVER_PID" VmRSS)"
        echo "hwm_kb=$(status_kb "$SERVER_PID" VmHWM)"
        echo "store_records=$(metric fleetd_store_records_total)"
        echo "store_commits=$(metric fleetd_store_commits_total)"
        echo "commit_seconds=$(metric fleetd_store_commit_seconds_total)"
        echo "server_cpu=$(python3 -c "print(round($server_cpu1 - $server_cpu0, 1))")"
        echo "sim_cpu=$(python3 -c "print(round($(children_s "$WORK/times$n.after") - $(children_s "$WORK/times$n.before"), 1))")"
        echo "busy=$(python3 -c "print(round($busy1 - $busy0, 1))")"
        echo "load_before='$load_before'"
    } > "$WORK/run$n.vars"
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    echo "db_mb=$(du -sm "$data" | cut -f1)" >> "$WORK/run$n.vars"
    rm -rf "$data"
}

for n in $(seq "$RUNS"); do run_once "$n"; done

# The median run by records/s.
median=$(python3 - "$WORK" "$RUNS" <<'EOF'
import json, sys
work, runs = sys.argv[1], int(sys.argv[2])
rates = sorted((json.load(open(f"{work}/run{n}.json"))["records_per_s"], n) for n in range(1, runs + 1))
print(rates[(len(rates) - 1) // 2][1])
EOF
)
# shellcheck disable=SC1090
. "$WORK/run$median.vars"

[ "$RAW_ROWS" = auto ] && RAW_ROWS=$(( (${store_records%.*} > 100000 ? ${store_records%.*} : 100000) / 10000 * 10000 ))
echo "ingest: baseline: bench_raw_insert, $RAW_ROWS rows, $RAW_ROWS_PER_TXN a transaction, synchronous=$SYNCHRONOUS"
raw=$("$RAW" --devices "$DEVICES" --rows "$RAW_ROWS" --rows-per-txn "$RAW_ROWS_PER_TXN" \
    --records-per-packet "$RECORDS_PER_PACKET" --synchronous "$SYNCHRONOUS" --json)
raw_server=$("$RAW" --devices "$DEVICES" --rows "$RAW_ROWS" --rows-per-txn "$RAW_ROWS_PER_TXN" \
    --records-per-packet "$RECORDS_PER_PACKET" --synchronous "$SYNCHRONOUS" --mode server --json)

python3 - "$WORK" "$RUNS" "$median" "$raw" "$raw_server" > "$WORK/section.md" <<EOF
import json, sys, os, subprocess, datetime
work, runs, median = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
raw, raw_server = json.loads(sys.argv[4]), json.loads(sys.argv[5])
def sh(cmd):
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True).stdout.strip()
def vars_of(n):
    out = {}
    for line in open(f"{work}/run{n}.vars"):
        k, v = line.rstrip("\n").split("=", 1)
        out[k] = v.strip("'")
    return out
sims = {n: json.load(open(f"{work}/run{n}.json")) for n in range(1, runs + 1)}
sim, v = sims[median], vars_of(median)
rate = sim["records_per_s"]
raw_rate = raw["rows_per_s"]
raw_all = raw_server["rows_per_s"]
store_records = int(float(v["store_records"]))
commits = int(float(v["store_commits"]))
mb = lambda kb: int(kb) / 1024
ok = lambda c: "**met**" if c else "**not met**"
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")
mem = sh("awk '/MemTotal/ {printf \"%.1f\", \$2 / 1048576}' /proc/meminfo")
rev = sh("git rev-parse --short HEAD") + (" + uncommitted changes" if sh("git status --porcelain --untracked-files=no") else "")
compiler = sh("grep -m1 CMAKE_CXX_COMPILER: $BUILD_DIR/CMakeCache.txt | cut -d= -f2")
compiler_version = sh(f"{compiler} --version | head -1") if compiler else "?"
build_type = sh("grep -m1 CMAKE_BUILD_TYPE: $BUILD_DIR/CMakeCache.txt | cut -d= -f2")
offered = $DEVICES * $RECORDS_PER_PACKET / $INTERVAL
print("## 2. Durable ingestion end to end")
print()
print("Goal: at least 100,000 records/s from 1,000 simulated Teltonika devices on loopback (10 records a packet, "
      "ACK after commit, the embedded SQLite store with its default synchronous=full), on 2 cores shared with the "
      "load generator, and at least half the rate of a plain loop inserting the same rows into the same tables. "
      "(Traccar's published capacity, for scale: 8,000 messages/s.)")
print()
print(f"| | measured (median of {runs} runs) | goal |")
print("|---|---:|---|")
print(f"| records acknowledged per second (simulator: records_acked / run time) | **{rate:,.0f}** | ≥ 100,000: {ok(rate >= 100000)} |")
print(f"| ACK latency p50 / p99 (simulator: packet written to ACK read) | {sim['latency_p50_ms']:.0f} ms / {sim['latency_p99_ms']:.0f} ms | |")
print(f"| baseline: plain INSERT loop into positions | {raw_rate:,.0f} rows/s | |")
print(f"| **ratio** fleetd / plain loop | **{rate / raw_rate:.2f}** | ≥ 0.5: {ok(rate / raw_rate >= 0.5)} |")
print(f"| plain loop writing all the server writes (positions, raw frames by chunk as the committer writes them under load, latest positions) | {raw_all:,.0f} rows/s (ratio {rate / raw_all:.2f}) | |")
print(f"| server memory: highest RSS sampled while ingesting / at rest before | {mb(v['rss_peak_kb']):.0f} MB / {mb(v['rss_rest_kb']):.0f} MB | |")
print()
print("- Every run: " + "; ".join(
    f"{s['records_per_s']:,.0f} records/s, p50 {s['latency_p50_ms']:.0f} ms, p99 {s['latency_p99_ms']:.0f} ms, "
    f"other CPU on the machine {float(vars_of(n)['busy']) - float(vars_of(n)['server_cpu']) - float(vars_of(n)['sim_cpu']):.1f} s"
    for n, s in sims.items()) + ".")
print(f"- Offered load: {offered:,.0f} records/s ({$DEVICES} devices, a packet of {$RECORDS_PER_PACKET} records every {$INTERVAL} s "
      f"when acknowledged in time; a device waits for the ACK of its packet before sending the next, so the rate "
      f"acknowledged is what the server sustains). Median run: sent {sim['records_sent']:,}, acknowledged "
      f"{sim['records_acked']:,} in {sim['seconds']:.1f} s; simulator errors: {sim['errors']}.")
print(f"- Cross-check: the store counted {store_records:,} positions (fleetd_store_records_total) in {commits:,} group commits "
      f"({store_records / max(commits, 1):,.0f} records each on average); the committer was busy {float(v['commit_seconds']):.1f} s "
      f"of the {sim['seconds']:.1f} s. Data folder at the end: {v['db_mb']} MB.")
other = float(v["busy"]) - float(v["server_cpu"]) - float(v["sim_cpu"])
print(f"- CPU in the median run ({os.cpu_count()} cores x {sim['seconds']:.1f} s = {os.cpu_count() * sim['seconds']:.0f} s): "
      f"server {v['server_cpu']} s, simulator {v['sim_cpu']} s, everything else {max(other, 0):.1f} s (other processes, "
      f"kernel writeback); load average before: {v['load_before']}.")
threads = open(f"{work}/threads{median}").read().strip().splitlines()
if threads:
    print("- Threads half way through (3 s, % of one core): " + "; ".join(threads) + ".")
print(f"- Server memory at the end {mb(v['rss_end_kb']):.0f} MB; VmHWM {mb(v['hwm_kb']):.0f} MB, the process's peak since start, "
      "start-up work included.")
print(f"- Baseline: \`bench_raw_insert\` ({raw['rows']:,} rows, as many as the median run stored, so that both end with "
      f"tables of the same size): the same kind of rows (the simulator's vehicles, encoded as Codec 8 Extended and decoded, "
      f"turned into rows by store::MakePositionRow), made before the clock starts, into a database created by "
      f"store::OpenSqliteStore (same tables and indexes), on a connection with the store's settings "
      f"(synchronous={raw['synchronous']}, its VFS \"{raw['vfs']}\", 128 MiB page cache, a checkpoint every {raw['checkpoint_pages']} WAL pages, "
      f"done inline), {raw['rows_per_txn']:,} rows a transaction ({raw['rows_per_txn'] / $DEVICES:g} rows per device; in a "
      f"server group commit a device has at most one {$RECORDS_PER_PACKET}-record packet).")
print("- Command: \`bench/ingest.sh\` (\`BUILD_DIR=... DEVICES=$DEVICES RECORDS_PER_PACKET=$RECORDS_PER_PACKET INTERVAL=$INTERVAL "
      "DURATION=$DURATION RUNS=$RUNS IO_THREADS=$IO_THREADS SIM_NICE=$SIM_NICE\`): registers the devices with \`fleetd admin device add\`; "
      "for each run \`fleetd serve --synchronous $SYNCHRONOUS --io-threads $IO_THREADS\` on free loopback ports with a fresh "
      "copy of that data folder and \`fleetd simulate --protocol teltonika --devices $DEVICES --records-per-packet "
      "$RECORDS_PER_PACKET --interval $INTERVAL --duration $DURATION --ramp-up-ms $RAMP_UP_MS --nice $SIM_NICE --json\` "
      "(the simulator at nice $SIM_NICE: the server's committer raises its own threads to -10, and a device in the field "
      "answers its ACK from its own CPU, not after the server's threads); then "
      "\`bench_raw_insert --rows N --rows-per-txn $RAW_ROWS_PER_TXN [--mode server]\`.")
print(f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; commit {rev}.")
print(f"- Machine: {os.cpu_count()} CPUs ({cpu}), {mem} GiB RAM, shared: the server, the simulator and any other work on "
      "the machine use the same cores.")
print(f"- Build: {build_type}, {compiler_version}.")
EOF

cat "$WORK/section.md"
if [ "$WRITE_DOC" = 1 ]; then
    write_section "$DOC" "$WORK/section.md" 2
    echo "ingest: wrote the section to $DOC"
fi
