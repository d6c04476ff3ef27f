"""Harness for integration tests: starts the real fleetd binary on 127.0.0.1 with free ports and a
temporary data folder, and talks to it over real sockets. (Port 0 disables a fleetd listener, so the
harness picks free ports itself: the OS chooses them, the harness lets them go and passes them on.)"""
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FLEETD = os.environ.get("FLEETD", os.path.join(ROOT, "build", "fleetd"))


class Server:
    """One fleetd serve process. Ports are read from its 'fleetd ready:' line."""

    def __init__(self, data_dir, *flags, bare=False):
        self.bare = bare  # pass only --data and `flags` (no test defaults)
        self.data = str(data_dir)
        self.flags = list(flags)
        self.proc = None
        self.ports = {}
        self.log_path = os.path.join(self.data, "..", os.path.basename(self.data) + ".log")

    def start(self, *extra):
        defaults = [] if self.bare else [
            "--listen", "127.0.0.1", "--http-port", str(free_port()), "--teltonika-port", str(free_port(udp=True)),
            "--gt06-port", str(free_port()), "--osmand-port", str(free_port())]
        args = [FLEETD, "serve", "--data", self.data, *defaults, *self.flags, *extra]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        line = ""
        for _ in range(50):  # a wrapper (gdb, valgrind) may print first
            line = self.proc.stdout.readline().decode()
            if not line or line.startswith("fleetd ready:"):
                break
        m = re.match(r"fleetd ready: (.*)", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("fleetd did not start: %r\n%s" % (line, self.read_log()))
        self.ports = {k: v for k, v in (kv.split("=", 1) for kv in m.group(1).split())}
        return self

    def port(self, name):
        return int(self.ports[name])

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()
        self.log.close()

    def admin(self, *args, check=True):
        return admin(self.data, *args, check=check)

    def metrics(self):
        return http_get(self.port("http"), "/metrics")[1]


_handed_out = set()


def free_port(udp=False):
    """A port free on 127.0.0.1 for TCP (and UDP when asked), not handed out before in this run."""
    while True:
        with socket.socket() as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            if udp:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    try:
                        u.bind(("127.0.0.1", port))
                    except OSError:
                        continue
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def admin(data, *args, check=True):
    r = subprocess.run([FLEETD, "admin", "--data", str(data), *args], capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError("fleetd admin %s failed: %s" % (" ".join(args), r.stderr))
    return r


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def metric(text, name, protocol=None):
    """The value of a Prometheus sample, e.g. metric(m, 'fleetd_records_total', 'teltonika')."""
    label = '{protocol="%s"}' % protocol if protocol else ""
    for line in text.splitlines():
        if line.startswith(name + label + " "):
            return float(line.split()[-1])
    raise KeyError(name + label)


def http_get(port, path, method="GET", body=None, headers=None):
    """A minimal HTTP/1.1 client over a real socket (so tests see exactly what fleetd sends)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        hdrs = {"Host": "127.0.0.1", "Connection": "close"}
        hdrs.update(headers or {})
        payload = body.encode() if isinstance(body, str) else (body or b"")
        if body is not None:
            hdrs["Content-Length"] = str(len(payload))
        req = "%s %s HTTP/1.1\r\n%s\r\n" % (method, path, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))
        s.sendall(req.encode() + payload)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    return status, rest.decode(errors="replace")


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def is_closed(s, timeout=5):
    """True if the peer closes the connection (EOF or reset) within `timeout` seconds."""
    s.settimeout(timeout)
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def wait_for(predicate, timeout=10, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "data")
    os.makedirs(srv.data, exist_ok=True)
    yield srv
    srv.stop()


@pytest.fixture
def server_factory(tmp_path):
    started = []

    def make(*flags, name="data"):
        srv = Server(tmp_path / name, *flags)
        os.makedirs(srv.data, exist_ok=True)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
