"""A small client for the platform API over raw sockets (no third-party HTTP library): one request,
a signed-in client that keeps its cookies and CSRF token, and TOTP codes (RFC 6238) from the
standard library, so tests can enrol and sign in with a second factor."""
import base64
import hashlib
import hmac
import json
import socket
import struct
import subprocess
import time

from conftest import FLEETD

# Tests hash with a tiny argon2id cost so they stay fast; the default is a real cost.
FAST_HASH = ["--argon2-memory-kib", "64", "--argon2-ops", "1"]
PASSWORD = "plum-orchard-telescope-42"


def request(port, method, path, body=None, headers=None):
    """One HTTP/1.1 exchange over a raw socket: (status, headers as a list of (lower-case name, value), body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        hdrs = {"Host": "127.0.0.1:%d" % port, "Connection": "close"}
        payload = b""
        if body is not None:
            payload = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
            hdrs["Content-Type"] = "application/json"
            hdrs["Content-Length"] = str(len(payload))
        hdrs.update(headers or {})
        head = "%s %s HTTP/1.1\r\n%s\r\n" % (method, path, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))
        try:
            s.sendall(head.encode() + payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (413, 415...) and closed before reading the whole body: read its answer
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = [(k.strip().lower(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:])]
    if any(k == "transfer-encoding" and v.lower() == "chunked" for k, v in headers):
        rest = dechunk(rest)
    return status, headers, rest.decode(errors="replace")


def dechunk(data):
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out


def header(headers, name):
    return [v for k, v in headers if k == name.lower()]


def cookies(headers):
    """Set-Cookie headers by cookie name: {name: (value, [attributes])}."""
    out = {}
    for v in header(headers, "set-cookie"):
        parts = [p.strip() for p in v.split(";")]
        name, _, value = parts[0].partition("=")
        out[name] = (value, parts[1:])
    return out


def totp(secret_b32, at=None, step=0):
    """The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at time `at` (+ `step` periods)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // 30) + step
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def admin(data, *args, stdin=None, check=True):
    r = subprocess.run([FLEETD, "admin", "--data", str(data), *args], input=stdin, capture_output=True, text=True,
                       timeout=60)
    if check and r.returncode != 0:
        raise AssertionError("fleetd admin %s failed: %s" % (" ".join(args), r.stderr))
    return r


def add_user(data, tenant, email, role, password=PASSWORD):
    r = admin(data, "user", "add", "--tenant", tenant, "--email", email, "--role", role, "--password-stdin",
              *FAST_HASH, stdin=password + "\n")
    return json.loads(r.stdout)


class Client:
    """A signed-in API client: keeps the session cookie and sends the CSRF token on changes."""

    def __init__(self, port):
        self.port = port
        self.cookie = None
        self.csrf = None
        self.user = None
        self.token = None  # an API token, sent as Bearer instead of the cookie

    def login(self, email, password=PASSWORD, totp_code=None, expect=200):
        body = {"email": email, "password": password}
        if totp_code is not None:
            body["totp"] = totp_code
        status, headers, text = request(self.port, "POST", "/api/v1/auth/login", body)
        assert status == expect, text
        if status == 200:
            self._take_cookies(headers)
            self.user = json.loads(text)["user"]
        return status, json.loads(text) if text else None

    def _take_cookies(self, headers):
        """Keeps a new session cookie as a browser would (sign-in; the server rotates the session
        when it gains privilege: TOTP enrolment, step-up, password change)."""
        c = cookies(headers)
        if c.get("__Host-fleetd_session", [""])[0] and c.get("__Host-fleetd_csrf", [""])[0]:
            self.csrf = c["__Host-fleetd_csrf"][0]
            self.cookie = "__Host-fleetd_session=%s; __Host-fleetd_csrf=%s" % (c["__Host-fleetd_session"][0], self.csrf)

    def call(self, method, path, body=None, headers=None):
        """(status, parsed JSON body or text, headers)."""
        h = {}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        elif self.cookie:
            h["Cookie"] = self.cookie
            if method not in ("GET", "HEAD"):
                h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        status, hdrs, text = request(self.port, method, path, body, h)
        if self.cookie and not self.token and status == 200:
            self._take_cookies(hdrs)
        ct = (header(hdrs, "content-type") or [""])[0]
        parsed = json.loads(text) if text and "json" in ct else text
        return status, parsed, hdrs

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, {} if body is None else body, **kw)

    def patch(self, path, body, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)
