"""The web application on the HTTP port: files from server.web_dir with their types and caching, the
page's CSP built from web.tile_url, /config.json, gzip twins, HEAD, application routes, and no way out
of the folder. A small folder stands in for the Vite build, so these tests do not need npm."""
import gzip
import json
import os
import socket
import subprocess

import pytest

from apiclient import header, request
from conftest import FLEETD, Server

APP_JS = b"console.log('fleetd');\n" * 200


@pytest.fixture
def site(tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>fleetd</title><script type=module src=/assets/app-1a2b.js></script>")
    (dist / "assets" / "app-1a2b.js").write_bytes(APP_JS)
    (dist / "assets" / "app-1a2b.js.gz").write_bytes(gzip.compress(APP_JS))
    (tmp_path / "secret.txt").write_text("top secret")
    data = tmp_path / "data"
    data.mkdir()
    srv = Server(data, "--web-dir", str(dist), "--tile-url", "https://tiles.example.org/{z}/{x}/{y}.png",
                 "--tile-attribution", "Tiles <b>Example</b>").start()
    yield srv
    srv.stop()


def raw(port, text):
    """Sends `text` as is (no client normalises the path) and returns every byte of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(text.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


def test_index_and_application_routes_carry_the_page_csp(site):
    port = site.port("http")
    for path in ["/", "/map", "/vehicles/12", "/signin?from=%2Fmap"]:
        status, headers, body = request(port, "GET", path)
        assert status == 200, path
        assert body.startswith("<!doctype html>"), path
        assert header(headers, "content-type") == ["text/html; charset=utf-8"]
        assert header(headers, "cache-control") == ["no-cache"]
        [csp] = header(headers, "content-security-policy")
        assert "img-src 'self' https://tiles.example.org;" in csp
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
        assert header(headers, "x-content-type-options") == ["nosniff"]


def test_hashed_assets_are_immutable_and_gzipped_for_clients_that_take_it(site):
    port = site.port("http")
    status, headers, body = request(port, "GET", "/assets/app-1a2b.js")
    assert status == 200 and body.encode() == APP_JS
    assert header(headers, "content-type") == ["text/javascript; charset=utf-8"]
    assert header(headers, "cache-control") == ["public, max-age=31536000, immutable"]
    assert header(headers, "content-encoding") == []
    answer = raw(port, "GET /assets/app-1a2b.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert b"\r\ncontent-encoding: gzip" in head.lower()
    assert gzip.decompress(payload) == APP_JS


def test_head_answers_the_headers_alone_and_the_connection_stays_usable(site):
    port = site.port("http")
    _, _, body = request(port, "GET", "/")
    answer = raw(port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    first, _, rest = answer.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200")
    assert ("content-length: %d" % len(body)).encode() in first.lower()
    assert rest.startswith(b"HTTP/1.1 200")  # no body between the two answers
    assert rest.endswith(b"ok\n")


@pytest.mark.parametrize("path", ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                                  "/%2E%2E%2Fsecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt",
                                  "/index.html%00"])
def test_no_path_leaves_the_folder(site, path):
    answer = raw(site.port("http"), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    assert b"top secret" not in answer


def test_runtime_settings_and_what_is_not_the_application(site):
    port = site.port("http")
    status, headers, body = request(port, "GET", "/config.json")
    assert status == 200
    assert json.loads(body) == {"tile_url": "https://tiles.example.org/{z}/{x}/{y}.png",
                                "tile_attribution": "Tiles <b>Example</b>"}
    status, headers, body = request(port, "GET", "/api/v1/unknown")
    assert status == 404 and json.loads(body)["type"].endswith("/not-found")
    # The API keeps its own, stricter policy: it serves no images.
    assert "img-src" not in header(headers, "content-security-policy")[0]
    status, _, _ = request(port, "GET", "/assets/missing-0000.js")
    assert status == 404
    status, _, _ = request(port, "POST", "/", {})
    assert status == 405
    status, _, body = request(port, "GET", "/healthz")
    assert status == 200 and body == "ok\n"


def test_an_empty_web_dir_serves_no_application(tmp_path):
    (tmp_path / "data").mkdir()
    srv = Server(tmp_path / "data", "--web-dir", "").start()
    try:
        status, _, _ = request(srv.port("http"), "GET", "/")
        assert status == 404
    finally:
        srv.stop()
    assert "web application disabled" in srv.read_log()


def test_a_missing_web_dir_or_a_bad_tile_url_stops_fleetd(tmp_path):
    data = str(tmp_path / "data")
    r = subprocess.run([FLEETD, "serve", "--data", data, "--http-port", "0", "--teltonika-port", "0", "--gt06-port",
                        "0", "--osmand-port", "0", "--tile-url", "https://a.example;script-src */{z}/{x}/{y}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "web.tile_url" in r.stderr
    os.makedirs(data, exist_ok=True)
    srv = Server(tmp_path / "data", "--web-dir", str(tmp_path / "nowhere"))
    with pytest.raises(RuntimeError) as e:
        srv.start()
    assert "does not exist" in str(e.value)
