#!/usr/bin/env bash
# Benchmark 3 (docs/BENCHMARKS.md): 10,000 idle device connections held with at most 40 MB of
# server memory growth.
#
# Starts fleetd on free loopback ports with a fresh data folder (devices registered, see below) and
# notes its memory at rest (VmRSS).
# `fleetd simulate --idle` then opens the connections, completes each Teltonika IMEI handshake and
# sends nothing more. Once /metrics shows every connection active (and the handshakes registered),
# the server's memory is sampled again; the growth is compared with the goal. Writes the section
# "## 3. 10,000 idle connections" of docs/BENCHMARKS.md (WRITE_DOC=0 to only print).
#
# Registration is done beforehand by a first server with auto-register, which then stops: the
# measured server is a fresh process (default settings, devices known), so its growth is what holding
# the connections costs.
#
# Builds nothing: uses $BUILD_DIR/fleetd (BUILD_DIR defaults to ./build). Knobs (environment):
# CONNECTIONS (10000), HOLD (20 s: how long the simulator holds them), RAMP_UP_MS (5000),
# IO_THREADS (0 = one per core).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD_DIR=${BUILD_DIR:-./build}
FLEETD=$BUILD_DIR/fleetd
CONNECTIONS=${CONNECTIONS:-10000}
HOLD=${HOLD:-20}
RAMP_UP_MS=${RAMP_UP_MS:-5000}
IO_THREADS=${IO_THREADS:-0}
GOAL_MB=40
WRITE_DOC=${WRITE_DOC:-1}
DOC=docs/BENCHMARKS.md

[ -x "$FLEETD" ] || { echo "idle.sh: $FLEETD not found; build first (make build, or set BUILD_DIR)" >&2; exit 1; }

# The server needs a descriptor per connection plus its own; the simulator raises its own limit.
want=$((CONNECTIONS + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
    echo "idle.sh: the open-file hard limit ($hard) is below $want; raise it (as root: ulimit -Hn $want)" >&2
    exit 1
fi
ulimit -n "$want"

WORK=$(mktemp -d /tmp/fleetd-bench-idle.XXXXXX)
SERVER_PID=""
SIM_PID=""
cleanup() {
    stop_pid "$SIM_PID"
    stop_pid "$SERVER_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

metric() {  # one sample of a metric (exact name with labels) from /metrics
    curl -sf --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v m="$1" '$1 == m { printf "%.0f\n", $2 }'
}
active() { metric 'fleetd_connections_active{protocol="teltonika"}'; }
# Waits (at most $2 s) until the server holds $1 Teltonika connections; prints how many it holds.
wait_active() {
    local want=$1 deadline=$((SECONDS + $2)) n=0
    while [ $SECONDS -lt $deadline ]; do
        n=$(active || echo 0)
        [ "${n:-0}" -ge "$want" ] && break
        sleep 0.5
    done
    echo "${n:-0}"
}
run_sim() {  # idle devices for $1 s in the background; report in $2
    "$FLEETD" simulate --target "127.0.0.1:$TELTONIKA_PORT" --protocol teltonika --devices "$CONNECTIONS" \
        --idle --duration "$1" --ramp-up-ms "$RAMP_UP_MS" --json > "$2" 2> "$2.err" &
    SIM_PID=$!
}

read -r HTTP_PORT TELTONIKA_PORT GT06_PORT OSMAND_PORT < <(free_ports 4)
start_server() {  # $1: --auto-register value
    "$FLEETD" serve --data "$WORK/data" --listen 127.0.0.1 --http-port "$HTTP_PORT" --teltonika-port "$TELTONIKA_PORT" \
        --gt06-port "$GT06_PORT" --osmand-port "$OSMAND_PORT" --auto-register "$1" --io-threads "$IO_THREADS" \
        --max-connections $((CONNECTIONS + 1000)) > "$WORK/server.out" 2> "$WORK/server.err" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        grep -q "fleetd ready" "$WORK/server.out" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; exit 1; }
        sleep 0.1
    done
    grep -q "fleetd ready" "$WORK/server.out" || { echo "idle.sh: fleetd did not start" >&2; exit 1; }
}

# Registration: a first server registers every device on first contact (--auto-register true), then
# stops. Registering is not what is measured, and the memory a server has used for anything once stays
# in its RSS (freed memory is kept by malloc for reuse), so the measured server is a fresh one.
echo "idle: registering $CONNECTIONS devices (first contact, auto-register, on a first server)"
start_server true
run_sim $((RAMP_UP_MS / 1000 + 60)) "$WORK/first.json"
registered=$(wait_active "$CONNECTIONS" $((RAMP_UP_MS / 1000 + 60)))
stop_pid "$SIM_PID"; SIM_PID=""
stop_pid "$SERVER_PID"; SERVER_PID=""
[ "$registered" -ge "$CONNECTIONS" ] || { echo "idle.sh: only $registered devices got through the handshake" >&2; exit 1; }

# The measured server: the product default (unknown devices refused), devices already registered.
start_server false
sleep 2
rss_rest_kb=$(status_kb "$SERVER_PID" VmRSS)
echo "idle: server at rest: ${rss_rest_kb} kB; holding $CONNECTIONS idle connections for ${HOLD} s after the ramp-up"
run_sim $((RAMP_UP_MS / 1000 + HOLD)) "$WORK/sim.json"
held=$(wait_active "$CONNECTIONS" $((RAMP_UP_MS / 1000 + HOLD)))
sleep 2  # settle: the last handshakes' lookups
held=$(active)
rss_held_kb=$(status_kb "$SERVER_PID" VmRSS)
hwm_kb=$(status_kb "$SERVER_PID" VmHWM)
fds=$(ls "/proc/$SERVER_PID/fd" | wc -l)
wait "$SIM_PID" || { cat "$WORK/sim.json.err" >&2; SIM_PID=""; exit 1; }
SIM_PID=""
sim=$(cat "$WORK/sim.json")
sleep 2
rss_after_kb=$(status_kb "$SERVER_PID" VmRSS)
stop_pid "$SERVER_PID"; SERVER_PID=""

python3 - "$sim" > "$WORK/section.md" <<EOF
import json, sys, os, subprocess, datetime
sim = json.loads(sys.argv[1])
def sh(cmd):
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True).stdout.strip()
rest, held_kb, hwm, after = (int(x) / 1024 for x in ("$rss_rest_kb", "$rss_held_kb", "$hwm_kb", "$rss_after_kb"))
held = int("${held:-0}")
growth = held_kb - rest
ok = lambda c: "**met**" if c else "**not met**"
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")
mem = sh("awk '/MemTotal/ {printf \"%.1f\", \$2 / 1048576}' /proc/meminfo")
rev = sh("git rev-parse --short HEAD") + (" + uncommitted changes" if sh("git status --porcelain --untracked-files=no") else "")
compiler = sh("grep -m1 CMAKE_CXX_COMPILER: $BUILD_DIR/CMakeCache.txt | cut -d= -f2")
compiler_version = sh(f"{compiler} --version | head -1") if compiler else "?"
build_type = sh("grep -m1 CMAKE_BUILD_TYPE: $BUILD_DIR/CMakeCache.txt | cut -d= -f2")
print("## 3. 10,000 idle connections")
print()
print("Goal: hold 10,000 idle device connections with at most 40 MB of server memory growth.")
print()
print("| | measured | goal |")
print("|---|---:|---|")
print(f"| Teltonika connections held (fleetd_connections_active) | {held:,} | {$CONNECTIONS:,} |")
print(f"| baseline: server RSS at rest (started, devices registered, no connection) | {rest:.1f} MB | |")
print(f"| server RSS holding them | {held_kb:.1f} MB | |")
print(f"| **growth** | **{growth:.1f} MB** ({growth * 1024 / max(held, 1):.2f} KiB a connection) | ≤ $GOAL_MB MB: {ok(growth <= $GOAL_MB and held >= $CONNECTIONS)} |")
print()
print(f"- Each connection completed the Teltonika IMEI handshake (the device is looked up in the store and accepted) and then "
      f"sent nothing. Simulator: {sim['connections_peak']:,} connections at its peak, {sim['errors']} errors, {sim['refused']} refused. "
      f"Server: $fds open descriptors while holding them; RSS {after:.1f} MB after they closed (memory malloc keeps for reuse).")
print(f"- Server VmHWM {hwm:.1f} MB: the process's peak since start, which includes start-up work (RSS at rest is taken after it).")
print("- The devices were registered beforehand by a first server on their first contact (\`--auto-register true\`), which then "
      "stopped: the measured server is a fresh process with the default settings (unknown devices refused), so the growth is "
      "what holding the connections costs (sessions, timers, device lookups), as for a fleet reconnecting after a restart. "
      "Kernel socket buffers are not part of the process's RSS and are not counted.")
print("- Command: \`bench/idle.sh\` (\`BUILD_DIR=... CONNECTIONS=$CONNECTIONS HOLD=$HOLD\`): \`ulimit -n $want\`; "
      "\`fleetd serve --max-connections $((CONNECTIONS + 1000))\` on free loopback ports; "
      "\`fleetd simulate --protocol teltonika --idle --devices $CONNECTIONS --ramp-up-ms $RAMP_UP_MS --duration $((RAMP_UP_MS / 1000 + HOLD)) --json\`; "
      "RSS (VmRSS of /proc/PID/status) read once /metrics shows every connection active, plus 2 s.")
print(f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; commit {rev}.")
print(f"- Machine: {os.cpu_count()} CPUs ({cpu}), {mem} GiB RAM, shared with other work; the simulator runs on the same machine.")
print(f"- Build: {build_type}, {compiler_version}.")
EOF

cat "$WORK/section.md"
if [ "$WRITE_DOC" = 1 ]; then
    write_section "$DOC" "$WORK/section.md" 3
    echo "idle: wrote the section to $DOC"
fi
