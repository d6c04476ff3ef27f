"""The live feed (GET /api/v1/live as a WebSocket) against the real binary with real Teltonika traffic:
positions pushed right after the device's ACK, only the caller's vehicles, installations made later, the
handshake's refusals (cross-site, unauthenticated, roles), and the end of the session closing the feed."""
import json
import socket
import statistics
import struct
import time

import pytest

from apiclient import admin, request
from conftest import connect, recv_exact
from fleetfixture import DEV_A, DEV_B, DEV_G, client, fleet, send  # noqa: F401 (fleet is a fixture)
import fleetapi
import frames as F
import wsclient
from wsclient import nothing_within


def open_feed(srv, c, origin=True):
    port = srv.port("http")
    headers = {"Cookie": c.cookie}
    if origin:
        headers["Origin"] = "http://127.0.0.1:%d" % port
    return wsclient.connect(port, headers=headers)


def device(srv, device_imei):
    s = connect(srv.port("teltonika"))
    s.sendall(F.imei_frame(device_imei))
    assert recv_exact(s, 1) == b"\x01"
    return s


def test_positions_reach_the_feed_right_after_the_ack_and_only_the_owners(fleet):
    manager = client(fleet, "manager@acme.example")
    theirs = client(fleet, "manager@globex.example")
    ws = open_feed(fleet, manager)
    assert ws.recv_json() == {"type": "ready", "vehicles": 1}  # the van (the truck has no device)
    other = open_feed(fleet, theirs)
    assert other.recv_json() == {"type": "ready", "vehicles": 1}

    s = device(fleet, DEV_B)
    after_ack, after_send = [], []
    base = fleetapi.ms("2026-02-01T08:00:00Z")
    for i in range(30):
        sent = time.monotonic()
        s.sendall(F.codec8_packet([(base + 1000 * i, 45 + i / 1000, 4.5, 30 + i)]))
        assert recv_exact(s, 4) == struct.pack(">I", 1)
        acked = time.monotonic()
        message = ws.recv_json(timeout=5)
        # Usually already waiting when the ACK is read: the hub hears of a commit before the device does.
        after_ack.append(time.monotonic() - acked)
        after_send.append(time.monotonic() - sent)
        assert message["type"] == "position" and message["vehicle_id"] == fleet.van
        assert message["time"] == iso(base + 1000 * i) and message["speed_kmh"] == 30 + i
        assert message["lat"] == pytest.approx(45 + i / 1000)
        assert set(message) == {"type", "vehicle_id", "vehicle_name", "device_id", "time", "server_time", "lat",
                                "lon", "altitude", "speed_kmh", "course", "satellites", "valid", "attributes"}
    s.close()
    print("live update, 30 positions: after the device's ACK median %.2f ms, max %.2f ms; "
          "from the device's send (commit with fsync included) median %.2f ms, max %.2f ms"
          % (statistics.median(after_ack) * 1000, max(after_ack) * 1000,
             statistics.median(after_send) * 1000, max(after_send) * 1000))
    assert max(after_ack) < 1.0
    assert nothing_within(other, 0.5)  # globex's user saw none of acme's positions

    send(fleet, DEV_G, [("2026-02-01T09:00:00Z", 45.75, 4.85, 30)])
    assert other.recv_json()["vehicle_id"] == fleet.car
    send(fleet, DEV_A, [("2026-02-01T09:00:00Z", 1, 1, 1)])  # A was the van's until 01-20: nobody's now
    assert nothing_within(ws, 1.0)
    ws.close()
    other.close()
    opened = [e for e in audit(fleet) if e["action"] == "positions.live"]
    assert [e["actor"] for e in opened] == ["user:%d" % manager.user["id"], "user:%d" % theirs.user["id"]]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def audit(srv):
    return [json.loads(x) for x in admin(srv.data, "audit", "list").stdout.splitlines()]


def test_a_slow_reader_gets_the_latest_position_not_a_backlog(fleet):
    manager = client(fleet, "manager@acme.example")
    ws = open_feed(fleet, manager)
    assert ws.recv_json()["type"] == "ready"
    # 500 positions in quick succession while the client reads nothing.
    base = fleetapi.ms("2026-02-01T08:00:00Z")
    send(fleet, DEV_B, [(iso(base + 1000 * i), 45, 4.5, i % 200) for i in range(500)])
    time.sleep(0.5)
    received = []
    while True:
        try:
            received.append(ws.recv_json(timeout=0.5))
        except socket.timeout:
            break
    assert 1 <= len(received) < 500
    assert received[-1]["time"] == iso(base + 1000 * 499)
    ws.close()


def test_installations_made_later_take_effect(fleet):
    c_imei = fleetapi.imei(4)
    admin(fleet.data, "device", "add", "--imei", c_imei, "--protocol", "teltonika")
    c_id = fleetapi.give_device(fleet.operator, c_imei, "acme")
    manager = client(fleet, "manager@acme.example")
    ws = open_feed(fleet, manager)
    assert ws.recv_json() == {"type": "ready", "vehicles": 1}
    bus = fleetapi.add_vehicle(manager, "Bus")
    fleetapi.install(manager, bus, c_id, "2026-01-01T00:00:00Z")
    installed = time.monotonic()
    s = device(fleet, c_imei)
    base = fleetapi.ms("2026-02-01T08:00:00Z")
    message = None
    for i in range(40):  # the feed re-reads installations every 5 s
        s.sendall(F.codec8_packet([(base + 1000 * i, 46, 5, 10)]))
        assert recv_exact(s, 4) == struct.pack(">I", 1)
        try:
            message = ws.recv_json(timeout=0.25)
            break
        except socket.timeout:
            pass
    s.close()
    assert message is not None and message["vehicle_id"] == bus and message["vehicle_name"] == "Bus"
    assert time.monotonic() - installed < 8
    ws.close()


def test_the_handshake_is_refused_cross_site_unauthenticated_and_without_the_right(fleet):
    port = fleet.port("http")
    manager = client(fleet, "manager@acme.example")

    def refused(**kw):
        with pytest.raises(wsclient.Refused) as e:
            wsclient.connect(port, **kw)
        return e.value.status, e.value.json()["type"].rsplit("/", 1)[1]

    # Cross-site WebSocket hijacking: the browser sends the cookie, but the Origin tells.
    for origin in ["https://evil.example", "http://127.0.0.1.evil.example", "null"]:
        assert refused(headers={"Cookie": manager.cookie, "Origin": origin}) == (403, "csrf")
    assert refused() == (401, "unauthenticated")
    assert refused(headers={"Cookie": "__Host-fleetd_session=forged"}) == (401, "unauthenticated")
    # The operator reads a customer's positions only under a support grant (drivers: test_driver_role.py).
    assert refused(headers={"Cookie": fleet.operator.cookie}) == (403, "forbidden")
    assert refused(path="/api/v1/live?x=1", headers={"Cookie": manager.cookie}) == (400, "invalid-query")
    assert refused(path="/api/v1/me", headers={"Cookie": manager.cookie}) == (404, "not-found")
    status, _, body = request(port, "GET", "/api/v1/live", headers={"Cookie": manager.cookie})
    assert status == 426 and json.loads(body)["type"].endswith("/upgrade-required")
    # Without an Origin (not a browser) the cookie is enough.
    ws = wsclient.connect(port, headers={"Cookie": manager.cookie})
    assert ws.recv_json()["type"] == "ready"
    ws.close()
    assert [e["action"] for e in audit(fleet)].count("positions.live") == 1


def test_the_feed_closes_when_its_session_ends_or_its_token_is_revoked(fleet):
    manager = client(fleet, "manager@acme.example")
    status, token, _ = manager.post("/api/v1/me/tokens", {"name": "feed", "scopes": ["read"]})
    assert status == 201, token
    ws = open_feed(fleet, manager)
    assert ws.recv_json()["type"] == "ready"
    by_token = wsclient.connect(fleet.port("http"), headers={"Authorization": "Bearer " + token["token"]})
    assert by_token.recv_json()["type"] == "ready"
    assert manager.delete("/api/v1/me/tokens/%d" % token["id"])[0] == 204
    assert manager.post("/api/v1/auth/logout")[0] == 204
    ended = time.monotonic()
    assert ws.recv(timeout=40) is None  # the session and the token are re-checked every 30 s
    assert ws.close_code == 1008 and ws.close_reason == "session ended"
    assert by_token.recv(timeout=40) is None
    assert by_token.close_code == 1008 and by_token.close_reason == "token ended"
    assert time.monotonic() - ended <= 31
    ws.sock.close()
    by_token.sock.close()


def test_the_server_stops_promptly_with_feeds_open(fleet):
    manager = client(fleet, "manager@acme.example")
    feeds = [open_feed(fleet, manager) for _ in range(3)]
    for ws in feeds:
        assert ws.recv_json()["type"] == "ready"
    started = time.monotonic()
    assert fleet.stop() == 0
    assert time.monotonic() - started < 5
    for ws in feeds:
        ws.sock.close()
