# Shell helpers shared by the benchmark scripts (sourced, not run).

# Stops one process a script started, by its pid, within a bounded time.
stop_pid() {
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

free_ports() {  # N ports free on 127.0.0.1 for TCP and UDP, chosen by the OS
    python3 - "$1" <<'PY'
import socket, sys
socks, ports = [], []
while len(ports) < int(sys.argv[1]):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        t.close(); continue
    socks += [t, u]; ports.append(p)
print(" ".join(map(str, ports)))
PY
}

thread_split() {  # "name pct% (thread pct%, ...)" for each pid, from /proc over 3 s
    python3 - "$@" <<'EOF'
import os, sys, time
def sample(pids):
    out = {}
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                raw = open(f"/proc/{pid}/task/{tid}/stat").read()
            except OSError:
                continue
            comm = raw[raw.index("(") + 1:raw.rindex(")")]
            f = raw[raw.rindex(")") + 2:].split()
            out[(pid, tid, comm)] = int(f[11]) + int(f[12])
    return out
pids = sys.argv[1:]
a = sample(pids); time.sleep(3); b = sample(pids)
hz = os.sysconf("SC_CLK_TCK")
for pid in pids:
    argv = open(f"/proc/{pid}/cmdline").read().split("\0")
    name = os.path.basename(argv[0]) + (" " + argv[1] if os.path.basename(argv[0]) == "fleetd" else "")
    busy = [k for k in sorted(b, key=lambda k: int(k[1])) if k[0] == pid and b[k] - a.get(k, 0) > 0]
    parts = [f"{k[2]} {100 * (b[k] - a.get(k, 0)) / hz / 3:.0f}%" for k in busy]
    total = sum(b[k] - a.get(k, 0) for k in b if k[0] == pid) * 100 / hz / 3
    print(f"{name} {total:.0f}% ({', '.join(parts)})")
EOF
}

cpu_s() {  # user+system CPU seconds of a process so far (0 once it has gone)
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
busy_s() {  # CPU seconds the whole machine has been busy (all cores; idle and iowait excluded)
    awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { print ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Puts section file $2 into the document $1 as its "## $3. ..." section: replaces the section of that
# number, or inserts it before the first section with a higher one.
write_section() {
    python3 - "$1" "$2" "$3" <<'EOF'
import re, sys, pathlib
doc, section, number = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).read_text().rstrip() + "\n", int(sys.argv[3])
text = doc.read_text() if doc.exists() else "# Benchmarks\n\nMeasured performance of fleetd, with the command, machine and date of each figure.\n"
parts = [p.rstrip("\n") + "\n" for p in re.split(r"(?m)^(?=## )", text) if p.strip()]
def num(p):
    m = re.match(r"## (\d+)\.", p)
    return int(m.group(1)) if m else None
out, done = [], False
for p in parts:
    n = num(p)
    if n == number:
        out.append(section); done = True
        continue
    if not done and n is not None and n > number:
        out.append(section); done = True
    out.append(p)
if not done:
    out.append(section)
doc.write_text("\n".join(out))
EOF
}
