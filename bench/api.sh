#!/usr/bin/env bash
# Benchmark 4 (docs/BENCHMARKS.md): the API and the live feed while devices report 10,000 records/s.
#
# Set-up, once: TENANTS tenants with VEHICLES_PER_TENANT vehicles each, every vehicle with a simulated
# Teltonika device installed (`fleetd admin device add`, `fleetd admin vehicle add --imei`), and
# USERS_PER_TENANT fleet managers per tenant (`fleetd admin user add --password-stdin`, at a small
# argon2id cost: 64 KiB, 1 pass, so that signing in 1,200 sessions is not what is measured; the
# server runs with the same cost). Then RUNS times, on a fresh copy of that data folder and a fresh
# server on free loopback ports:
#
#   1. Loaded: `fleetd simulate` drives every device (RECORDS_PER_PACKET records a packet every
#      INTERVAL s: 1,000 x 10 / 1 s = 10,000 records/s offered) and bench_api_load runs CLIENTS API
#      clients and SUBSCRIBERS live-feed WebSockets. Its window opens after HISTORY_S + 5 s, when the
#      history asked for is full, and lasts WINDOW_S; records committed in it come from /metrics.
#   2. Idle baseline, right after the simulator stopped: the same API clients, no ingestion, no
#      subscriber, asking for the same amount of history (the HISTORY_S before the simulator stopped).
#
# The ratio loaded/idle of the API latencies is the headline. Load average and CPU (the server, the
# simulator, the load tool, everything else) are recorded over each window: the machine is shared.
# Writes the section "## 4. API and live updates under ingestion" of docs/BENCHMARKS.md (WRITE_DOC=0
# to only print it). Builds nothing: uses $BUILD_DIR/fleetd and $BUILD_DIR/bench/bench_api_load.
#
# Knobs (environment): TENANTS (100), VEHICLES_PER_TENANT (10), USERS_PER_TENANT (10), CLIENTS (200),
# SUBSCRIBERS (1000), RECORDS_PER_PACKET (10), INTERVAL (1 s), HISTORY_S (60), WINDOW_S (60),
# THINK_MS (1000: a client's mean pause between loops), RUNS (2), TOOL_THREADS (1), IO_THREADS (0),
# QUIET_PCT (25) and QUIET_WAIT_S (600): before each phase, wait at most QUIET_WAIT_S for 5 s in which
# the machine is less than QUIET_PCT % busy (other work on a shared machine), and record the wait.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD_DIR=${BUILD_DIR:-./build}
FLEETD=$BUILD_DIR/fleetd
LOAD=$BUILD_DIR/bench/bench_api_load
TENANTS=${TENANTS:-100}
VEHICLES_PER_TENANT=${VEHICLES_PER_TENANT:-10}
USERS_PER_TENANT=${USERS_PER_TENANT:-10}
CLIENTS=${CLIENTS:-200}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
RECORDS_PER_PACKET=${RECORDS_PER_PACKET:-10}
INTERVAL=${INTERVAL:-1}
HISTORY_S=${HISTORY_S:-60}
WINDOW_S=${WINDOW_S:-60}
THINK_MS=${THINK_MS:-1000}
RUNS=${RUNS:-2}
TOOL_THREADS=${TOOL_THREADS:-1}
IO_THREADS=${IO_THREADS:-0}
QUIET_PCT=${QUIET_PCT:-25}
QUIET_WAIT_S=${QUIET_WAIT_S:-600}
WRITE_DOC=${WRITE_DOC:-1}
DOC=docs/BENCHMARKS.md
DEVICES=$((TENANTS * VEHICLES_PER_TENANT))
PASSWORD="Bench-fleet-manager-2026"
ARGON2="--argon2-memory-kib 64 --argon2-ops 1"
# Every session signs in from 127.0.0.1: the per-address sign-in limit (default 10 a minute) is lifted.
SERVER_FLAGS="$ARGON2 --address-attempts-per-minute 100000 --io-threads $IO_THREADS"
WARMUP_S=$((HISTORY_S + 5))

for f in "$FLEETD" "$LOAD"; do
    [ -x "$f" ] || { echo "api.sh: $f not found; build first (make build, or set BUILD_DIR)" >&2; exit 1; }
done
# Descriptors: the server holds DEVICES + CLIENTS + SUBSCRIBERS connections, the tool its side.
want=$((DEVICES + CLIENTS + SUBSCRIBERS + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
    echo "api.sh: the open-file hard limit ($hard) is below $want; raise it" >&2
    exit 1
fi
ulimit -n "$want"

WORK=$(mktemp -d /tmp/fleetd-bench-api.XXXXXX)
SERVER_PID=""
SIM_PID=""
LOAD_PID=""
cleanup() {
    stop_pid "$LOAD_PID"
    stop_pid "$SIM_PID"
    stop_pid "$SERVER_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# "name=value" lines of the machine's state at one instant of phase $1: load average, CPU counters.
snapshot() {
    echo "$1_load='$(cut -d' ' -f1-3 /proc/loadavg)'"
    echo "$1_busy=$(busy_s)"
    echo "$1_server=$(cpu_s "$SERVER_PID")"
    echo "$1_sim=$( [ -n "$SIM_PID" ] && cpu_s "$SIM_PID" || echo 0)"
}
# Waits (at most QUIET_WAIT_S) for 5 s in which the whole machine is under QUIET_PCT % busy; writes
# "$1_quiet_wait=seconds waited" and "$1_quiet_pct=busy % of the last 5 s".
wait_quiet() {
    local start=$SECONDS b0 b1 pct
    while :; do
        b0=$(busy_s); sleep 5; b1=$(busy_s)
        pct=$(python3 -c "print(round(100 * ($b1 - $b0) / 5 / $(nproc)))")
        [ "$pct" -lt "$QUIET_PCT" ] || [ $((SECONDS - start)) -ge "$QUIET_WAIT_S" ] && break
    done
    echo "$1_quiet_wait=$((SECONDS - start - 5))"
    echo "$1_quiet_pct=$pct"
}

# Over the window of run $1's phase $2 (started now): snapshots at its start and end, and the CPU of
# each thread of the processes $3... over 3 s half way.
measure_window() {
    local n=$1 phase=$2 half
    shift 2
    half=$(python3 -c "print(max(0, $WINDOW_S / 2 - 1.5))")
    snapshot "${phase}0" >> "$WORK/run$n.vars"
    sleep "$half"
    thread_split "$@" > "$WORK/run$n.$phase.threads" || true
    sleep "$half"
    snapshot "${phase}1" >> "$WORK/run$n.vars"
}

# --- set-up, once ----------------------------------------------------------------------------------
echo "api: set-up: $TENANTS tenants x $VEHICLES_PER_TENANT vehicles and devices, $USERS_PER_TENANT fleet managers each"
TEMPLATE=$WORK/template
"$FLEETD" simulate --list-imeis --devices "$DEVICES" > "$WORK/imeis"
while read -r imei; do
    "$FLEETD" admin --data "$TEMPLATE" device add --imei "$imei" --protocol teltonika > /dev/null
done < "$WORK/imeis"
d=0
for t in $(seq 0 $((TENANTS - 1))); do
    tenant=$(printf 't%03d' "$t")
    "$FLEETD" admin --data "$TEMPLATE" tenant add --name "$tenant" > /dev/null
    for v in $(seq 0 $((VEHICLES_PER_TENANT - 1))); do
        d=$((d + 1))
        imei=$(sed -n "${d}p" "$WORK/imeis")
        "$FLEETD" admin --data "$TEMPLATE" vehicle add --tenant "$tenant" --name "Van $v" --imei "$imei" > /dev/null
    done
    for u in $(seq 0 $((USERS_PER_TENANT - 1))); do
        # shellcheck disable=SC2086
        echo "$PASSWORD" | "$FLEETD" admin --data "$TEMPLATE" user add --tenant "$tenant" --email "fm$u@$tenant.example" \
            --role fleet-manager --password-stdin $ARGON2 > /dev/null
    done
done

# --- one run: loaded, then the idle baseline; results in $WORK/run$1.* ----------------------------
run_once() {
    local n=$1 data=$WORK/data$1
    cp -a "$TEMPLATE" "$data"
    wait_quiet loaded > "$WORK/run$n.vars"
    read -r HTTP_PORT TELTONIKA_PORT GT06_PORT OSMAND_PORT < <(free_ports 4)
    # shellcheck disable=SC2086
    "$FLEETD" serve --data "$data" --listen 127.0.0.1 --http-port "$HTTP_PORT" --teltonika-port "$TELTONIKA_PORT" \
        --gt06-port "$GT06_PORT" --osmand-port "$OSMAND_PORT" $SERVER_FLAGS \
        > "$WORK/server$n.out" 2> "$WORK/server$n.err" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        grep -q "fleetd ready" "$WORK/server$n.out" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server$n.err" >&2; exit 1; }
        sleep 0.1
    done
    grep -q "fleetd ready" "$WORK/server$n.out" || { echo "api: fleetd did not start" >&2; exit 1; }
    local load_args=(--port "$HTTP_PORT" --password-stdin --tenants "$TENANTS" --users-per-tenant "$USERS_PER_TENANT"
                     --clients "$CLIENTS" --duration-s "$WINDOW_S" --think-ms "$THINK_MS" --history-s "$HISTORY_S"
                     --threads "$TOOL_THREADS")

    echo "api: run $n of $RUNS, loaded: $DEVICES devices x $RECORDS_PER_PACKET records every $INTERVAL s," \
         "$CLIENTS API clients, $SUBSCRIBERS live subscribers; window of $WINDOW_S s after $WARMUP_S s"
    "$FLEETD" simulate --target "127.0.0.1:$TELTONIKA_PORT" --protocol teltonika --devices "$DEVICES" \
        --interval "$INTERVAL" --records-per-packet "$RECORDS_PER_PACKET" --duration $((WARMUP_S + WINDOW_S + 3)) \
        --ramp-up-ms 2000 --json > "$WORK/run$n.sim.json" 2> "$WORK/run$n.sim.err" &
    SIM_PID=$!
    echo "$PASSWORD" | "$LOAD" "${load_args[@]}" --subscribers "$SUBSCRIBERS" --warmup-s "$WARMUP_S" \
        > "$WORK/run$n.loaded.json" 2> "$WORK/run$n.loaded.err" &
    LOAD_PID=$!
    sleep "$WARMUP_S"
    measure_window "$n" loaded "$SERVER_PID" "$SIM_PID" "$LOAD_PID"
    wait "$LOAD_PID" || { cat "$WORK/run$n.loaded.err" >&2; LOAD_PID=""; exit 1; }
    LOAD_PID=""
    wait "$SIM_PID" || { cat "$WORK/run$n.sim.err" >&2; SIM_PID=""; exit 1; }
    SIM_PID=""
    # The idle clients ask for the HISTORY_S that ended when the devices stopped: as much as before.
    local end
    end=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
    wait_quiet idle >> "$WORK/run$n.vars"

    echo "api: run $n of $RUNS, idle baseline: $CLIENTS API clients, history ending $end"
    echo "$PASSWORD" | "$LOAD" "${load_args[@]}" --subscribers 0 --warmup-s 5 --history-end "$end" \
        > "$WORK/run$n.idle.json" 2> "$WORK/run$n.idle.err" &
    LOAD_PID=$!
    sleep 5
    measure_window "$n" idle "$SERVER_PID" "$LOAD_PID"
    wait "$LOAD_PID" || { cat "$WORK/run$n.idle.err" >&2; LOAD_PID=""; exit 1; }
    LOAD_PID=""
    echo "server_rss_kb=$(status_kb "$SERVER_PID" VmRSS)" >> "$WORK/run$n.vars"
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    grep -E '"level":"(error|critical)"|\] \[(error|critical)\]' "$WORK/server$n.err" | head -5 > "$WORK/run$n.server_errors" || true
    rm -rf "$data"
}

for n in $(seq "$RUNS"); do run_once "$n"; done

python3 - "$WORK" "$RUNS" > "$WORK/section.md" <<EOF
import json, sys, os, subprocess, datetime
work, runs = sys.argv[1], int(sys.argv[2])
def sh(cmd):
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True).stdout.strip()
def vars_of(n):
    out = {}
    for line in open(f"{work}/run{n}.vars"):
        k, v = line.rstrip("\n").split("=", 1)
        out[k] = v.strip("'")
    return out
def load(n, phase):
    return json.load(open(f"{work}/run{n}.{phase}.json"))
R = range(1, runs + 1)
loaded = {n: load(n, "loaded") for n in R}
idle = {n: load(n, "idle") for n in R}
sims = {n: json.load(open(f"{work}/run{n}.sim.json")) for n in R}
vs = {n: vars_of(n) for n in R}
offered = $DEVICES * $RECORDS_PER_PACKET / $INTERVAL
ok = lambda c: "**met**" if c else "**not met**"
def cpu_split(n, phase):  # CPU seconds over the window: server, simulator, load tool, everything else
    v = vs[n]
    d = lambda k: max(float(v[f"{phase}1_{k}"]) - float(v[f"{phase}0_{k}"]), 0)
    server, sim, tool = d("server"), d("sim"), (loaded if phase == "loaded" else idle)[n]["tool_cpu_s"]
    return server, sim, tool, max(d("busy") - server - sim - tool, 0)
def cpu(n, phase):
    server, sim, tool, other = cpu_split(n, phase)
    return f"server {server:.0f} s, simulator {sim:.0f} s, load tool {tool:.0f} s, everything else {other:.0f} s"
capacity = $WINDOW_S * os.cpu_count()
def other_pct(n, phase):
    return 100 * cpu_split(n, phase)[3] / capacity
def lat(x):
    return f"{x['p50_ms']:.1f} / {x['p99_ms']:.1f} ms"
routes = [("overall", "all three routes"), ("positions_latest", "GET /api/v1/positions/latest"),
          ("vehicles_list", "GET /api/v1/vehicles?limit=50"), ("vehicle_positions", "GET /api/v1/vehicles/{id}/positions (last $HISTORY_S s)")]
def route(j, key):
    return j["api"]["overall"] if key == "overall" else j["api"]["routes"][key]
cpu_model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
mem = sh("awk '/MemTotal/ {printf \"%.1f\", \$2 / 1048576}' /proc/meminfo")
rev = sh("git rev-parse --short HEAD") + (" + uncommitted changes" if sh("git status --porcelain --untracked-files=no") else "")
compiler = sh("grep -m1 CMAKE_CXX_COMPILER: $BUILD_DIR/CMakeCache.txt | cut -d= -f2")
compiler_version = sh(f"{compiler} --version | head -1") if compiler else "?"
build_type = sh("grep -m1 CMAKE_BUILD_TYPE: $BUILD_DIR/CMakeCache.txt | cut -d= -f2")

print("## 4. API and live updates under ingestion")
print()
print(f"Goals: while {offered:,.0f} records/s come in from $DEVICES Teltonika devices, $CLIENTS API clients and $SUBSCRIBERS "
      "live-feed WebSockets are served, ingestion keeps its rate, and a position reaches the live feed in under 100 ms "
      "(the one-node target of the architecture). The API's latency is compared with the same clients on the same server "
      "when it is idle (no ingestion, no subscriber), measured right after in the same run.")
print()
head = "| | " + " | ".join(f"run {n}: idle → loaded (ratio p99)" for n in R) + " |"
print(head)
print("|---|" + "---:|" * runs)
for key, label in routes:
    cells = []
    for n in R:
        a, b = route(idle[n], key), route(loaded[n], key)
        ratio = b["p99_ms"] / a["p99_ms"] if a["p99_ms"] else float("nan")
        cells.append(f"{lat(a)} → {lat(b)} (**{ratio:.1f}x**)")
    print(f"| API p50 / p99, {label} | " + " | ".join(cells) + " |")
print("| API requests/s (idle → loaded) | " + " | ".join(
    f"{idle[n]['api']['overall']['per_s']:,.0f} → {loaded[n]['api']['overall']['per_s']:,.0f}" for n in R) + " |")
print("| API errors (idle, loaded) | " + " | ".join(
    f"{idle[n]['api']['overall']['errors']}, {loaded[n]['api']['overall']['errors']}" for n in R) + " |")
print("| live update p50 / p99 (max) | " + " | ".join(
    f"{lat(loaded[n]['live'])} ({loaded[n]['live']['max_ms']:.0f} ms) — < 100 ms: {ok(loaded[n]['live']['p99_ms'] < 100)} (p99)" for n in R) + " |")
print("| live messages received/s (all subscribers) | " + " | ".join(f"{loaded[n]['live']['per_s']:,.0f}" for n in R) + " |")
print("| records committed/s in the window (/metrics) | " + " | ".join(
    f"{loaded[n]['store']['records_per_s']:,.0f} of {offered:,.0f} offered: {ok(loaded[n]['store']['records_per_s'] >= 0.99 * offered)}" for n in R) + " |")
print("| **everything else** on the machine (other processes; kernel work charged to none) during the window, % of its CPU (idle; loaded) | " + " | ".join(
    f"**{other_pct(n, 'idle'):.0f} %; {other_pct(n, 'loaded'):.0f} %**" for n in R) + " |")
print("| waited for a quiet machine (idle; loaded): seconds, busy % of the last 5 s | " + " | ".join(
    f"{vs[n]['idle_quiet_wait']} s, {vs[n]['idle_quiet_pct']} %; {vs[n]['loaded_quiet_wait']} s, {vs[n]['loaded_quiet_pct']} %" for n in R) + " |")
print("| load average at the window's start → end (idle; loaded) | " + " | ".join(
    f"{vs[n]['idle0_load']} → {vs[n]['idle1_load']}; {vs[n]['loaded0_load']} → {vs[n]['loaded1_load']}" for n in R) + " |")
print()
for n in R:
    L, I, s, v = loaded[n], idle[n], sims[n], vs[n]
    lv = L["live"]
    print(f"- Run {n}: CPU over the loaded window ($WINDOW_S s x {os.cpu_count()} cores = {$WINDOW_S * os.cpu_count()} s): {cpu(n, 'loaded')}; "
          f"over the idle window: {cpu(n, 'idle')}. "
          f"Simulator over its whole run: {s['records_per_s']:,.0f} records/s acknowledged, ACK p50 {s['latency_p50_ms']:.0f} ms / "
          f"p99 {s['latency_p99_ms']:.0f} ms, {s['errors']} errors. Store in the loaded window: {L['store']['records']:,} records in "
          f"{L['store']['commits']:,} commits ({L['store']['commit_failures']} failed). Live: {lv['opened']} feeds opened, {lv['ready']} "
          f"\"ready\" first, {lv['vehicles']:,} vehicles announced, {lv['positions']:,} positions in the window, {lv['clean_closes']} clean "
          f"closes, {lv['errors']} errors{(' (first: ' + lv['first_error'] + ')') if lv['first_error'] else ''}, "
          f"{lv['negative']} received before their server_time. History answers: {I['api']['routes']['vehicle_positions']['items_avg']:.0f} "
          f"positions ({I['api']['routes']['vehicle_positions']['bytes_avg'] / 1024:.0f} KiB) idle, "
          f"{L['api']['routes']['vehicle_positions']['items_avg']:.0f} ({L['api']['routes']['vehicle_positions']['bytes_avg'] / 1024:.0f} KiB) loaded. "
          f"Server RSS at the end {int(v['server_rss_kb']) / 1024:.0f} MB.")
    for phase, j in (("idle", I), ("loaded", L)):
        a = j["api"]
        if a["overall"]["errors"] or a["sign_in_failures"]:
            firsts = "; ".join(f"{k}: {r['first_error']}" for k, r in a["routes"].items() if r["first_error"])
            print(f"  {phase}: {a['overall']['errors']} API errors, {a['sign_in_failures']} failed sign-ins ({a['first_sign_in_error']} {firsts}).")
    for phase in ("loaded", "idle"):
        threads = open(f"{work}/run{n}.{phase}.threads").read().strip().splitlines()
        if threads:
            print(f"  Threads half way through the {phase} window (3 s, % of one core): " + "; ".join(threads) + ".")
    if L["cut_by_watchdog"] or I["cut_by_watchdog"]:
        print("  The load tool's watchdog had to cut a run (something did not stop within 60 s of the window's end).")
    errs = open(f"{work}/run{n}.server_errors").read().strip()
    if errs:
        print(f"  Server errors logged: {errs.splitlines()[0][:300]}")
print("- What the latencies cover. API: from the tool writing the request (on a kept-alive connection, signed in with the "
      "session cookie) to the last byte of the answer read, chunked answers included; requests started inside the window. "
      "Live: the position's server_time (stamped by the gateway once it has read and decoded the device's packet, when "
      "it hands the records to the store; truncated to the millisecond) to the moment the tool has read the WebSocket "
      "message, both on this machine's clock: it covers the wait for the committer, the group commit (fsync, "
      "synchronous=full), the live hub, the feed's queue, the write and the tool's own read, not the time the packet "
      "waited in the socket nor its decoding; messages received inside the window. Each feed gets the newest position of each of its "
      "vehicles per commit (the simulator sends a packet of $RECORDS_PER_PACKET records a second per device), so a feed "
      "of 10 vehicles gets about 10 messages a second. Percentiles come from a log-linear histogram (under 3 % error).")
print(f"- Workload. Data: $TENANTS tenants x $VEHICLES_PER_TENANT vehicles, each with its simulated device installed, "
      f"$USERS_PER_TENANT fleet managers a tenant. Each API client signs in once (its own session; client i is user "
      f"fm(i / $TENANTS)@t(i mod $TENANTS)), then loops: GET /api/v1/positions/latest, GET /api/v1/vehicles?limit=50, GET "
      f"/api/v1/vehicles/{{id}}/positions for the last $HISTORY_S s (each loop the tenant's next vehicle), then pauses "
      f"$THINK_MS ms on average (uniform 0.5x to 1.5x). Every history read is audited (a write), as in production. Each live "
      f"subscriber signs in as its own user (subscriber j is fm(j / $TENANTS)@t(j mod $TENANTS): one session each, "
      f"$SUBSCRIBERS / $TENANTS a tenant), opens /api/v1/live with the session cookie and no Origin, reads the "
      f"\"ready\" message, then every position, and at the end sends a close frame and waits for the server's (clients "
      f"and subscribers start spread over the first 10 s of the warm-up). The simulated vehicles report {$RECORDS_PER_PACKET / $INTERVAL:g} "
      f"positions a second each, so a minute of their history is {60 * $RECORDS_PER_PACKET / $INTERVAL:.0f} positions, as "
      f"much as {60 * $RECORDS_PER_PACKET / $INTERVAL / 6:.0f} minutes of a vehicle reporting every 10 s.")
print("- Baseline: the idle phase runs after the loaded one on the same server and data, once the simulator has "
      "stopped and the feeds are closed, with the same clients asking for the same amount of history (the $HISTORY_S s "
      "before the simulator stopped, so the answers are as long; see \"History answers\" above). Ratio = loaded p99 / idle p99. "
      "Before each phase the script waits (at most $QUIET_WAIT_S s) for 5 s in which the machine is under $QUIET_PCT % busy; "
      "other work may still start during the window, which \"everything else\" shows.")
print("- Command: \`bench/api.sh\` (\`BUILD_DIR=... TENANTS=$TENANTS VEHICLES_PER_TENANT=$VEHICLES_PER_TENANT "
      "USERS_PER_TENANT=$USERS_PER_TENANT CLIENTS=$CLIENTS SUBSCRIBERS=$SUBSCRIBERS RECORDS_PER_PACKET=$RECORDS_PER_PACKET "
      "INTERVAL=$INTERVAL HISTORY_S=$HISTORY_S WINDOW_S=$WINDOW_S THINK_MS=$THINK_MS RUNS=$RUNS TOOL_THREADS=$TOOL_THREADS\`). "
      "Set-up with \`fleetd admin\` (\`device add\`, \`tenant add\`, \`vehicle add --tenant T --name N --imei I\`, "
      "\`user add --role fleet-manager --password-stdin $ARGON2\`); server \`fleetd serve $SERVER_FLAGS\` (argon2id at the "
      "set-up's small cost, 64 KiB and 1 pass, instead of the default 64 MiB and 3 passes, so that 1,200 sign-ins cost little; "
      "the per-address sign-in limit lifted because every session comes from 127.0.0.1; everything else default: "
      "synchronous=full, raw frames kept) on free loopback ports; \`fleetd simulate --protocol teltonika --devices $DEVICES "
      "--interval $INTERVAL --records-per-packet $RECORDS_PER_PACKET --duration $((WARMUP_S + WINDOW_S + 3)) --ramp-up-ms 2000\`; "
      "\`bench_api_load\` (bench/api_load/, Boost.Beast, $TOOL_THREADS thread) with a warm-up of $WARMUP_S s "
      "then a window of $WINDOW_S s.")
print(f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; commit {rev}.")
print(f"- Machine: {os.cpu_count()} CPUs ({cpu_model}), {mem} GiB RAM, shared: the server, the simulator, the load tool and "
      "other work on the machine use the same cores (see the load average and \"everything else\" above).")
print(f"- Build: {build_type}, {compiler_version}.")
EOF

cat "$WORK/section.md"
if [ "$WRITE_DOC" = 1 ]; then
    write_section "$DOC" "$WORK/section.md" 4
    echo "api: wrote the section to $DOC"
fi
