"""Positions over the API against the real binary with real Teltonika traffic: latest positions, a vehicle's
history (range, order, installation windows), the four formats, chunked streaming with bounded memory, the
audit of every read, and who may read what (tenants, group narrowing, roles)."""
import csv
import io
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from apiclient import admin, dechunk, header, request
from fleetfixture import DEV_A, DEV_B, DEV_G, HOSTILE, client, fleet, send  # noqa: F401 (fleet is a fixture)
import fleetapi

def raw_get(c, path):
    """(status, headers, body) with the client's cookie, body de-chunked."""
    return request(c.port, "GET", path, headers={"Cookie": c.cookie})


def audit(srv):
    return [json.loads(x) for x in admin(srv.data, "audit", "list").stdout.splitlines()]


def test_latest_position_of_each_visible_vehicle(fleet):
    # Device A left the van on the 20th: device B is the van's now, and has not reported yet.
    send(fleet, DEV_A, [("2026-01-10T08:00:00Z", 48.85, 2.35, 40), ("2026-01-21T08:00:00Z", 1, 1, 1)])
    send(fleet, DEV_G, [("2026-01-10T09:00:00Z", 45.75, 4.85, 30)])
    manager = client(fleet, "manager@acme.example")
    assert manager.get("/api/v1/positions/latest")[1] == {"items": []}
    send(fleet, DEV_B, [("2026-01-21T09:00:00Z", 43.3, 5.4, 55), ("2026-01-21T09:00:10Z", 43.31, 5.41, 60)])
    status, headers, body = raw_get(manager, "/api/v1/positions/latest")
    assert status == 200, body
    assert header(headers, "transfer-encoding") == ["chunked"]
    items = json.loads(body)["items"]
    assert [i["vehicle_id"] for i in items] == [fleet.van]  # not the truck (no device), not globex's car
    van = items[0]
    assert van["vehicle_name"] == HOSTILE
    assert van["time"] == "2026-01-21T09:00:10.000Z" and van["lat"] == pytest.approx(43.31)
    assert van["speed_kmh"] == 60 and van["valid"] is True and van["attributes"]["ignition"] is True
    assert set(van) == {"vehicle_id", "vehicle_name", "device_id", "time", "server_time", "lat", "lon", "altitude",
                        "speed_kmh", "course", "satellites", "valid", "attributes"}

    assert manager.get("/api/v1/positions/latest?q=ab-123")[1]["items"][0]["vehicle_id"] == fleet.van
    assert manager.get("/api/v1/positions/latest?q=%25")[1]["items"] == []
    assert manager.get("/api/v1/positions/latest?group_id=%d" % fleet.trucks)[1]["items"] == []
    assert client(fleet, "narrow@acme.example").get("/api/v1/positions/latest")[1]["items"] == []
    theirs = client(fleet, "manager@globex.example").get("/api/v1/positions/latest")[1]["items"]
    assert [i["vehicle_id"] for i in theirs] == [fleet.car]

    for bad in ["?sort=name", "?group_id=x", "?group_id=0", "?q=" + "x" * 257]:
        status, problem, _ = manager.get("/api/v1/positions/latest" + bad)
        assert status == 400 and problem["type"].endswith("/invalid-query"), bad
    # A driver without a driver record has no vehicle (test_driver_role.py has one with a vehicle).
    assert client(fleet, "driver@acme.example").get("/api/v1/positions/latest")[1] == {"items": []}
    assert request(fleet.port("http"), "GET", "/api/v1/positions/latest")[0] == 401


def history(c, vehicle, start, end, fmt=None):
    path = "/api/v1/vehicles/%d/positions?from=%s&to=%s" % (vehicle, start, end)
    return raw_get(c, path + ("&format=" + fmt if fmt else ""))


def test_history_is_clipped_to_installations_in_time_order_and_audited(fleet):
    send(fleet, DEV_A, [("2026-01-04T23:59:59Z", 1, 1, 1),       # before A was installed: nobody's
                        ("2026-01-10T08:00:10Z", 48.86, 2.36, 50),
                        ("2026-01-10T08:00:00Z", 48.85, 2.35, 40),  # sent late, stored in time order
                        ("2026-01-20T00:00:00Z", 2, 2, 2)])       # A's window ended: not the van's
    send(fleet, DEV_B, [("2026-01-19T12:00:00Z", 3, 3, 3), ("2026-01-20T06:00:00Z", 43.3, 5.4, 60)])
    manager = client(fleet, "manager@acme.example")
    status, headers, body = history(manager, fleet.van, "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z")
    assert status == 200, body
    assert header(headers, "transfer-encoding") == ["chunked"]
    assert header(headers, "content-disposition") == []  # a read, not an export
    doc = json.loads(body)
    assert doc["vehicle_id"] == fleet.van and doc["vehicle_name"] == HOSTILE
    assert doc["from"] == "2026-01-01T00:00:00.000Z" and doc["to"] == "2026-01-31T00:00:00.000Z"
    assert [(p["time"], p["lat"]) for p in doc["positions"]] == [
        ("2026-01-10T08:00:00.000Z", 48.85), ("2026-01-10T08:00:10.000Z", 48.86), ("2026-01-20T06:00:00.000Z", 43.3)]
    # [from, to): the end is exclusive.
    doc = json.loads(history(manager, fleet.van, "2026-01-10T08:00:00Z", "2026-01-10T08:00:10Z")[2])
    assert [p["lat"] for p in doc["positions"]] == [48.85]
    # An offset is accepted (its + sent as %2B).
    doc = json.loads(history(manager, fleet.van, "2026-01-10T09:00:00%2B01:00", "2026-01-11")[2])
    assert [p["lat"] for p in doc["positions"]] == [48.85, 48.86]

    entries = [e for e in audit(fleet) if e["action"].startswith("positions.")]
    assert len(entries) == 3
    e = entries[0]
    assert e["action"] == "positions.read" and e["target"] == "vehicle:%d" % fleet.van
    assert e["actor"] == "user:%d" % manager.user["id"] and e["ip"] == "127.0.0.1"
    assert e["detail"] == {"from": "2026-01-01T00:00:00.000Z", "to": "2026-01-31T00:00:00.000Z", "format": "json"}
    assert admin(fleet.data, "audit", "verify").returncode == 0


def test_every_format_parses(fleet):
    send(fleet, DEV_A, [("2026-01-10T08:00:00Z", 48.85, 2.35, 40), ("2026-01-10T08:00:10Z", -33.86, -151.2, 50)])
    manager = client(fleet, "manager@acme.example")
    span = ("2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z")
    name = "vehicle-%d-20260110T000000Z-20260111T000000Z" % fleet.van

    status, headers, body = history(manager, fleet.van, *span, fmt="geojson")
    assert status == 200 and header(headers, "content-type") == ["application/geo+json"]
    assert header(headers, "content-disposition") == ['attachment; filename="%s.geojson"' % name]
    features = json.loads(body)["features"]
    assert features[0]["geometry"] == {"type": "LineString", "coordinates": [[2.35, 48.85], [-151.2, -33.86]]}
    assert features[0]["properties"]["vehicle_name"] == HOSTILE
    assert [f["geometry"]["type"] for f in features[1:]] == ["Point", "Point"]
    assert features[2]["properties"]["time"] == "2026-01-10T08:00:10.000Z"

    status, headers, body = history(manager, fleet.van, *span, fmt="gpx")
    assert status == 200 and header(headers, "content-type") == ["application/gpx+xml"]
    assert header(headers, "content-disposition") == ['attachment; filename="%s.gpx"' % name]
    ns = {"g": "http://www.topografix.com/GPX/1/1", "f": "https://fleetd.dev/gpx/1"}
    root = ET.fromstring(body.encode())
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx" and root.get("version") == "1.1"
    assert root.find("g:trk/g:name", ns).text == HOSTILE
    points = root.findall("g:trk/g:trkseg/g:trkpt", ns)
    assert [(float(p.get("lat")), float(p.get("lon"))) for p in points] == [(48.85, 2.35), (-33.86, -151.2)]
    assert points[1].find("g:time", ns).text == "2026-01-10T08:00:10.000Z"
    assert float(points[1].find("g:extensions/f:speed_kmh", ns).text) == 50

    status, headers, body = history(manager, fleet.van, *span, fmt="csv")
    assert status == 200 and header(headers, "content-type")[0].startswith("text/csv")
    assert header(headers, "content-disposition") == ['attachment; filename="%s.csv"' % name]
    assert "\r\n" in body
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert [(r["time"], float(r["lat"]), float(r["lon"])) for r in rows] == [
        ("2026-01-10T08:00:00.000Z", 48.85, 2.35), ("2026-01-10T08:00:10.000Z", -33.86, -151.2)]
    assert rows[0]["vehicle_name"] == "'" + HOSTILE  # defused: a spreadsheet shows it as text
    assert json.loads(rows[0]["attributes"])["ignition"] is True

    actions = [(e["action"], e["detail"]["format"]) for e in audit(fleet) if e["action"].startswith("positions.")]
    assert actions == [("positions.export", "geojson"), ("positions.export", "gpx"), ("positions.export", "csv")]


def test_who_may_read_a_history(fleet):
    span = "from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z"
    manager = client(fleet, "manager@acme.example")
    base = "/api/v1/vehicles/%d/positions?" % fleet.van
    assert manager.get(base + span)[0] == 200
    theirs = manager.get("/api/v1/vehicles/%d/positions?%s" % (fleet.car, span))
    missing = manager.get("/api/v1/vehicles/999999/positions?" + span)
    assert theirs[0] == missing[0] == 404 and theirs[1]["type"] == missing[1]["type"]
    assert manager.get("/api/v1/vehicles/abc/positions?" + span)[0] == 404
    narrow = client(fleet, "narrow@acme.example")
    assert narrow.get(base + span)[0] == 404  # outside the viewer's groups
    assert narrow.get("/api/v1/vehicles/%d/positions?%s" % (fleet.truck, span))[0] == 200
    assert client(fleet, "driver@acme.example").get(base + span)[0] == 404  # not assigned to the van
    assert request(fleet.port("http"), "GET", base + span)[0] == 401
    for bad in ["from=2026-01-01T00:00:00Z", "to=2026-01-02T00:00:00Z", "from=yesterday&to=2026-01-02",
                "from=2026-01-02&to=2026-01-02", "from=2026-01-03&to=2026-01-02",
                "from=2026-01-01&to=2026-02-01T00:00:00.001Z", span + "&format=kml", span + "&limit=5"]:
        status, problem, _ = manager.get(base + bad)
        assert status == 400 and problem["type"].endswith("/invalid-query"), (bad, problem)
    assert manager.get(base + "from=2026-01-01&to=2026-02-01")[0] == 200  # 31 days exactly
    reads = [e for e in audit(fleet) if e["action"].startswith("positions.")]
    assert len(reads) == 3  # the successful reads only


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def test_a_large_history_streams_with_bounded_memory(fleet):
    n = 20000
    start = fleetapi.ms("2026-01-06T00:00:00Z") // 1000
    records = [(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 10 * i)), 45 + i * 1e-5, 4 + i * 1e-5, i % 120)
               for i in range(n)]
    send(fleet, DEV_A, records)
    manager = client(fleet, "manager@acme.example")
    # Warm up (allocator, page cache, statement caches) with a read of the same size, then measure.
    history(manager, fleet.van, "2026-01-05T00:00:00Z", "2026-01-20T00:00:00Z", fmt="geojson")
    baseline = rss_kib(fleet.proc.pid)
    peak = [baseline]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(fleet.proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    # A slow reader: the server may only run ahead by what the socket buffers hold.
    s = socket.create_connection(("127.0.0.1", fleet.port("http")), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(("GET /api/v1/vehicles/%d/positions?from=2026-01-05T00:00:00Z&to=2026-01-20T00:00:00Z&format=geojson "
               "HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s\r\nConnection: close\r\n\r\n" % (fleet.van, manager.cookie))
              .encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) < 4 * 1024 * 1024:
            time.sleep(0.002)
    s.close()
    done.set()
    sampler.join()
    head, _, rest = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    body = dechunk(rest)
    features = json.loads(body)["features"]
    assert len(features) == n + 1
    times = [f["properties"]["time"] for f in features[1:]]
    assert times == sorted(times) and len(set(times)) == n
    growth_kib = peak[0] - baseline
    print("history of %d positions: %.1f MB of GeoJSON, server RSS %d MB, peak growth while streaming %d KiB"
          % (n, len(body) / 1e6, baseline // 1024, growth_kib))
    with open("/proc/%d/maps" % fleet.proc.pid) as f:
        if "libasan" in f.read():
            return  # under ASan freed memory is quarantined: RSS says nothing about what is held
    # Holding the whole answer would add at least its own size; a page of rows and its chunk stay ~2 MB.
    assert growth_kib * 1024 < len(body) / 2, (growth_kib, len(body))
