"""Encryption in transit: the HTTP port over TLS with a configured certificate (HSTS on every answer),
and the refusal to serve the API in clear text on an address other than loopback."""
import json
import os
import socket
import ssl
import subprocess

from conftest import FLEETD, Server, free_port


def make_cert(tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def https_get(port, path, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (path, port)).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            version = s.version()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return int(lines[0].split()[1]), headers, body.decode(), version


def test_https_with_the_configured_certificate_and_hsts(tmp_path):
    cert, key = make_cert(tmp_path)
    data = tmp_path / "data"
    os.makedirs(data)
    srv = Server(data, "--tls-cert", cert, "--tls-key", key).start()
    try:
        port = srv.port("http")
        status, headers, body, version = https_get(port, "/healthz", cert)
        assert status == 200 and body == "ok\n"
        assert version in ("TLSv1.2", "TLSv1.3")
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        status, headers, body, _ = https_get(port, "/api/v1/openapi.json", cert)
        assert status == 200 and json.loads(body)["openapi"] == "3.1.0"
        assert "strict-transport-security" in headers
        # Clear text on the TLS port gets no HTTP answer.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            try:
                reply = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                reply = b""
            assert not reply.startswith(b"HTTP/1.1 200")
    finally:
        srv.stop()


def run_serve(tmp_path, *flags):
    data = tmp_path / "d"
    os.makedirs(data, exist_ok=True)
    return subprocess.run([FLEETD, "serve", "--data", str(data), "--teltonika-port", "0", "--gt06-port", "0",
                           "--osmand-port", "0", "--http-port", str(free_port()), *flags],
                          capture_output=True, text=True, timeout=30)


def test_clear_text_api_on_a_public_address_is_refused(tmp_path):
    r = run_serve(tmp_path, "--listen", "0.0.0.0")
    assert r.returncode == 2, r.stderr
    assert "refusing to serve the API in clear text on 0.0.0.0" in r.stderr
    r = run_serve(tmp_path, "--listen", "127.0.0.1", "--http-listen", "192.0.2.10")
    assert r.returncode == 2 and "clear text" in r.stderr
    r = run_serve(tmp_path, "--tls-cert", "/nonexistent.pem")
    assert r.returncode == 2 and "go together" in r.stderr


def test_a_declared_tls_proxy_allows_a_public_address_and_sends_hsts(tmp_path):
    data = tmp_path / "data"
    os.makedirs(data)
    # Devices and API on all addresses; the test still talks over loopback.
    srv = Server(data, bare=True).start("--listen", "0.0.0.0", "--behind-tls-proxy", "true",
                                       "--http-port", str(free_port()), "--teltonika-port", "0", "--gt06-port", "0",
                                       "--osmand-port", "0")
    try:
        with socket.create_connection(("127.0.0.1", srv.port("http")), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b"HTTP/1.1 200")
        assert b"Strict-Transport-Security: max-age=31536000; includeSubDomains" in data
    finally:
        srv.stop()
