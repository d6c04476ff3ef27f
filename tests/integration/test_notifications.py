"""Notifications against the real binary: rules and webhooks through the API (validation, roles, another
tenant's ids, hostile strings, the audit trail), and delivery — a signed webhook POST to a receiver on
127.0.0.1 that fails once and is retried, e-mail in <data>/outbox, the web notification over the live
WebSocket and in the inbox, one notification per recipient however many rules match, quiet hours.

Events are the pipeline's to derive (its scenario tests cover that); here they are written straight
into the events table with sqlite3 while the server runs (WAL), as the pipeline's runner would."""
import glob
import hashlib
import hmac
import http.server
import json
import os
import socket
import sqlite3
import ssl
import threading
import time
import datetime

import pytest

import fleetapi
import wsclient
from apiclient import FAST_HASH, Client, add_user, admin
from conftest import Server, wait_for

HOSTILE = ["<script>alert(1)</script>", "'; DROP TABLE notification_rules; --", "\"q\" \\ b", "Ünïcødé 🚚",
           "\u202eevil\u202c", "100% _x_"]


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers the next of `statuses` (then 200)."""

    def __init__(self, statuses=(), tls=None):
        """tls: (certificate file, key file) to answer over HTTPS."""
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "%s://127.0.0.1:%d/hooks/fleetd?source=test" % ("https" if tls else "http",
                                                                  self.server.server_address[1])

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signed(req, secret):
    """True when the request's X-Fleetd-Signature is HMAC-SHA256(secret, "<timestamp>.<body>")."""
    ts = req["headers"]["X-Fleetd-Timestamp"]
    want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + req["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, req["headers"]["X-Fleetd-Signature"]) and abs(int(ts) - time.time()) < 300


class World:
    def __init__(self, srv, data):
        self.srv, self.data = srv, data
        self.port = srv.port("http")
        self.db = os.path.join(str(data), "fleetd.db")

    def client(self, email):
        c = Client(self.port)
        c.login(email)
        return c

    def sql(self, query, *args):
        with sqlite3.connect(self.db, timeout=10) as db:
            return db.execute(query, args).fetchall()

    def event(self, tenant, vehicle_id, type_, at=None, detail=None):
        """Inserts an event as the pipeline would; returns its id."""
        at = at or int(time.time() * 1000)
        with sqlite3.connect(self.db, timeout=10) as db:
            cur = db.execute(
                "INSERT INTO events (key, tenant_id, vehicle_id, type, time, lat, lon, detail, created_at) "
                "VALUES (?, (SELECT id FROM tenants WHERE name = ?), ?, ?, ?, 48.8566, 2.3522, ?, ?)",
                ("test:%s:%s:%d:%f" % (tenant, type_, at, time.time()), tenant, vehicle_id, type_, at,
                 json.dumps(detail or {"speed_kmh": 97}), at))
            return cur.lastrowid


def build_world(tmp_path, *flags):
    """Tenant acme (in New York): an administrator, a fleet manager, viewers ann and bob (bob narrowed to
    the south group), vans 1 (north) and 2 (south); tenant globex with its own manager and van."""
    data = tmp_path / "data"
    os.makedirs(data)
    for t in ("acme", "globex"):
        admin(data, "tenant", "add", "--name", t)
    for email, tenant, role in (("admin@acme.example", "acme", "tenant-admin"),
                                ("manager@acme.example", "acme", "fleet-manager"),
                                ("ann@acme.example", "acme", "viewer"), ("bob@acme.example", "acme", "viewer"),
                                ("manager@globex.example", "globex", "fleet-manager")):
        add_user(data, tenant, email, role)
    with sqlite3.connect(os.path.join(str(data), "fleetd.db")) as db:
        db.execute("UPDATE tenants SET time_zone = 'America/New_York' WHERE name = 'acme'")
    srv = Server(data, *FAST_HASH, "--notify-retry-base-seconds", "1", *flags).start()
    w = World(srv, data)
    w.admin = fleetapi.administrator(w.port, "admin@acme.example")
    w.manager = w.client("manager@acme.example")
    w.van1 = fleetapi.add_vehicle(w.manager, "Van 1", "AB-123-CD")
    w.van2 = fleetapi.add_vehicle(w.manager, "Van 2")
    w.north = fleetapi.add_group(w.manager, "north", [w.van1])
    w.south = fleetapi.add_group(w.manager, "south", [w.van2])
    fleetapi.narrow(w.admin, "bob@acme.example", [w.south])
    users = fleetapi.ok(w.admin.get("/api/v1/users?limit=1000"))["items"]
    w.ids = {u["email"].split("@")[0]: u["id"] for u in users}
    w.theirs = w.client("manager@globex.example")
    w.their_van = fleetapi.add_vehicle(w.theirs, "Globex van")
    return w


@pytest.fixture
def world(tmp_path):
    """The world of build_world, whose webhooks may call receivers on 127.0.0.1 (as tests must)."""
    w = build_world(tmp_path, "--allow-private-webhooks", "true")
    yield w
    w.srv.stop()


def problem(result, status, kind=None):
    got, body, _ = result
    assert got == status, body
    if kind:
        assert body["type"] == "https://fleetd.dev/problems/" + kind, body
    return body


def rule(w, c, **fields):
    body = {"name": "r", "event_types": ["overspeed"], "channels": ["web"], "user_ids": [w.ids["ann"]]}
    body.update(fields)
    status, made, _ = c.post("/api/v1/notification-rules", body)
    assert status == 201, made
    return made


def deliveries(w, **filters):
    query = "&".join("%s=%s" % kv for kv in filters.items())
    return fleetapi.ok(w.admin.get("/api/v1/notifications/deliveries?limit=1000&" + query))["items"]


# --- rules -------------------------------------------------------------------------------------------

def test_rules_are_validated_stored_changed_deleted_and_audited(world):
    w = world
    made = rule(w, w.manager, name="Speeding", event_types=["overspeed", "harsh_braking"], channels=["web", "email"],
                vehicle_ids=[w.van1], group_ids=[w.south], quiet_start="22:00", quiet_end="06:30")
    assert made["event_types"] == ["harsh_braking", "overspeed"] and made["channels"] == ["email", "web"]
    assert made["quiet_start"] == "22:00" and made["enabled"] is True
    path = "/api/v1/notification-rules/%d" % made["id"]
    assert fleetapi.ok(w.manager.get(path)) == made

    for bad in ({"event_types": ["teleportation"]}, {"event_types": []}, {"channels": ["sms"]},
                {"user_ids": []}, {"channels": ["webhook"]}, {"quiet_start": "22:00"},
                {"quiet_start": "25:00", "quiet_end": "06:00"}, {"quiet_start": "7:00", "quiet_end": "08:00"},
                {"name": "x\ny"}, {"surprise": 1}, {"user_ids": "ann"}):
        body = {"name": "bad", "event_types": ["sos"], "channels": ["web"], "user_ids": [w.ids["ann"]]}
        body.update(bad)
        problem(w.manager.post("/api/v1/notification-rules", body), 400)
    problem(w.manager.post("/api/v1/notification-rules", {"name": "Speeding", "event_types": ["sos"],
                                                          "channels": ["web"], "user_ids": [w.ids["ann"]]}), 409)
    # Another tenant's vehicle and user are not found, like missing ones.
    for theirs in ({"vehicle_ids": [w.their_van]}, {"user_ids": [w.ids["manager"] + 1000]},
                   {"user_ids": [w.ids["manager"]], "group_ids": [999999]}):
        body = {"name": "x", "event_types": ["sos"], "channels": ["web"], "user_ids": [w.ids["ann"]]}
        body.update(theirs)
        problem(w.manager.post("/api/v1/notification-rules", body), 404)

    changed = fleetapi.ok(w.manager.patch(path, {"enabled": False, "quiet_start": None, "quiet_end": None}))
    assert changed["enabled"] is False and changed["quiet_start"] is None and changed["name"] == "Speeding"
    listed = fleetapi.ok(w.manager.get("/api/v1/notification-rules?enabled=false&q=speed"))
    assert [r["id"] for r in listed["items"]] == [made["id"]]

    # Viewers read rules, only managers and administrators change them; another tenant finds nothing.
    ann = w.client("ann@acme.example")
    assert ann.get(path)[0] == 200
    problem(ann.patch(path, {"enabled": True}), 403)
    for call in (w.theirs.get(path), w.theirs.patch(path, {"enabled": True}), w.theirs.delete(path)):
        problem(call, 404)
    assert fleetapi.ok(w.theirs.get("/api/v1/notification-rules"))["total"] == 0

    for name in HOSTILE:
        r = rule(w, w.manager, name=name)
        assert fleetapi.ok(w.manager.get("/api/v1/notification-rules/%d" % r["id"]))["name"] == name

    assert w.manager.delete(path)[0] == 204
    problem(w.manager.get(path), 404)
    audit = fleetapi.ok(w.admin.get("/api/v1/audit?limit=100"))
    entries = audit["items"] if isinstance(audit, dict) else audit
    actions = [e["action"] for e in entries]
    for action in ("notification_rule.add", "notification_rule.update", "notification_rule.delete"):
        assert action in actions


# --- webhooks ----------------------------------------------------------------------------------------

def test_webhooks_show_their_secret_once_rotate_test_and_refuse_bad_urls(world):
    w = world
    receiver = Receiver()
    try:
        problem(w.manager.post("/api/v1/webhooks", {"name": "ops", "url": receiver.url}), 403)
        for bad in ("ftp://example.com/", "https://user:pw@example.com/", "/relative", "http://x.example/#f",
                    "https://example.com/" + "a" * 2100):
            problem(w.admin.post("/api/v1/webhooks", {"name": "bad", "url": bad}), 400)
        status, hook, headers = w.admin.post("/api/v1/webhooks", {"name": HOSTILE[0], "url": receiver.url})
        assert status == 201, hook
        secret = hook["secret"]
        assert secret.startswith("whsec_") and len(secret) > 40
        path = "/api/v1/webhooks/%d" % hook["id"]
        shown = fleetapi.ok(w.admin.get(path))
        assert "secret" not in shown and shown["name"] == HOSTILE[0]
        assert secret not in json.dumps(fleetapi.ok(w.admin.get("/api/v1/webhooks")))
        problem(w.admin.post("/api/v1/webhooks", {"name": HOSTILE[0], "url": receiver.url}), 409)

        result = fleetapi.ok(w.admin.post(path + "/test"))
        assert result == {"ok": True, "status": 200, "error": None}
        assert len(receiver.requests) == 1 and signed(receiver.requests[0], secret)
        test_event = json.loads(receiver.requests[0]["body"])
        assert test_event["type"] == "test" and receiver.requests[0]["path"] == "/hooks/fleetd?source=test"

        rotated = fleetapi.ok(w.admin.post(path + "/rotate-secret"))
        assert rotated["secret"] != secret
        receiver.statuses = [503]
        result = fleetapi.ok(w.admin.post(path + "/test"))
        assert result == {"ok": False, "status": 503, "error": "HTTP 503"}
        assert signed(receiver.requests[1], rotated["secret"]) and not signed(receiver.requests[1], secret)

        their = w.theirs
        for call in (their.get(path), their.post(path + "/test"), their.post(path + "/rotate-secret"),
                     their.patch(path, {"enabled": False}), their.delete(path)):
            assert call[0] in (403, 404), call

        r = rule(w, w.manager, name="hooked", channels=["webhook"], user_ids=[], webhook_ids=[hook["id"]])
        problem(w.admin.delete(path), 409)
        assert w.manager.delete("/api/v1/notification-rules/%d" % r["id"])[0] == 204
        assert fleetapi.ok(w.admin.patch(path, {"enabled": False}))["enabled"] is False
        assert w.admin.delete(path)[0] == 204
        actions = [e["action"] for e in fleetapi.ok(w.admin.get("/api/v1/audit?limit=100"))["items"]]
        for action in ("webhook.add", "webhook.test", "webhook.rotate_secret", "webhook.update", "webhook.delete"):
            assert action in actions
        assert secret not in json.dumps(fleetapi.ok(w.admin.get("/api/v1/audit?limit=100")))
    finally:
        receiver.close()


def test_a_webhook_delivery_is_signed_retried_after_a_failure_and_logged(world):
    w = world
    receiver = Receiver(statuses=[500])
    try:
        hook = fleetapi.ok(w.admin.post("/api/v1/webhooks", {"name": "ops", "url": receiver.url}))
        rule(w, w.manager, name="crashes", event_types=["crash"], channels=["webhook"], user_ids=[],
             webhook_ids=[hook["id"]])
        at = fleetapi.ms("2026-03-01T12:00:00Z")
        event = w.event("acme", w.van1, "crash", at=at, detail={"g": 4.2})
        assert wait_for(lambda: len(receiver.requests) >= 2, timeout=20), receiver.requests
        first, second = receiver.requests[:2]
        for req in (first, second):
            assert signed(req, hook["secret"])
            assert req["headers"]["X-Fleetd-Event-Id"] == str(event)
            assert req["headers"]["Content-Type"] == "application/json"
        body = json.loads(second["body"])
        assert body == {"id": event, "type": "crash", "time": "2026-03-01T12:00:00.000Z",
                        "vehicle": {"id": w.van1, "name": "Van 1", "plate": "AB-123-CD"}, "driver": None,
                        "lat": 48.8566, "lon": 2.3522, "detail": {"g": 4.2}}

        def sent():
            rows = deliveries(w, channel="webhook", event_id=event)
            return rows if rows and rows[0]["status"] == "sent" else None
        rows = wait_for(sent, timeout=10)
        assert rows, deliveries(w)
        assert rows[0]["attempts"] == 2 and rows[0]["last_error"] == "HTTP 500"
        assert rows[0]["recipient"] == "webhook:%d" % hook["id"]
        time.sleep(1.5)
        assert len(receiver.requests) == 2  # delivered: never again
        problem(w.manager.get("/api/v1/notifications/deliveries"), 403)
        problem(w.admin.get("/api/v1/notifications/deliveries?status=lost"), 400)
        assert fleetapi.ok(w.theirs.get("/api/v1/notification-rules"))["total"] == 0
    finally:
        receiver.close()


def test_a_webhook_that_keeps_failing_is_given_up(world):
    w = world
    receiver = Receiver(statuses=[500] * 10)
    try:
        hook = fleetapi.ok(w.admin.post("/api/v1/webhooks", {"name": "down", "url": receiver.url}))
        rule(w, w.manager, name="sos", event_types=["sos"], channels=["webhook"], user_ids=[],
             webhook_ids=[hook["id"]])
        event = w.event("acme", w.van2, "sos")
        # Waits of 1, 4 and 20 s (retry_base_seconds = 1) would make this slow: after the second
        # failure the retry is moved to now, as if the waits had passed.
        assert wait_for(lambda: len(receiver.requests) >= 2, timeout=20)
        rows = []
        for _ in range(20):
            w.sql("UPDATE notifications SET next_attempt_at = 0 WHERE event_id = ? AND status = 'pending'", event)
            rows = wait_for(lambda: [r for r in deliveries(w, event_id=event) if r["status"] == "failed"], timeout=1.2)
            if rows:
                break
        assert rows and rows[0]["attempts"] == 6 and rows[0]["next_attempt_at"] is None, deliveries(w)
        assert len(receiver.requests) == 6
    finally:
        receiver.close()


# --- e-mail, web, dedupe, narrowing ----------------------------------------------------------------------

def test_email_and_web_reach_each_recipient_once_with_the_live_push_and_the_inbox(world):
    w = world
    # Two rules and two groups name van 1 for ann: she is told once per channel.
    rule(w, w.manager, name="by vehicle", event_types=["overspeed"], channels=["web", "email"],
         vehicle_ids=[w.van1], user_ids=[w.ids["ann"], w.ids["bob"]])
    rule(w, w.manager, name="by group", event_types=["overspeed"], channels=["web", "email"],
         group_ids=[w.north, w.south], user_ids=[w.ids["ann"]])
    ann = w.client("ann@acme.example")
    ws = wsclient.connect(w.port, headers={"Cookie": ann.cookie, "Origin": "http://127.0.0.1:%d" % w.port})
    try:
        assert ws.recv_json()["type"] == "ready"
        at = fleetapi.ms("2026-01-15T17:30:00Z")  # 12:30 in New York (EST)
        event = w.event("acme", w.van1, "overspeed", at=at, detail={"speed_kmh": 97, "limit_kmh": 80})
        message = ws.recv_json(timeout=10)
        while message["type"] != "notification":
            message = ws.recv_json(timeout=10)
        note = message["notification"]
        assert note["event"]["id"] == event and note["channel"] == "web" and note["read_at"] is None
        assert note["event"]["vehicle"]["name"] == "Van 1"
    finally:
        ws.close()

    mails = wait_for(lambda: glob.glob(os.path.join(str(w.data), "outbox", "*.eml")), timeout=10)
    assert len(mails) == 1, mails  # bob does not see van 1 (narrowed to south): only ann is mailed
    text = open(mails[0], encoding="utf-8").read()
    assert "To: ann@acme.example" in text
    assert "Subject: [fleetd] Overspeed: Van 1 (AB-123-CD)" in text
    assert "2026-01-15 12:30:00 EST (America/New_York)" in text
    rows = deliveries(w, event_id=event)
    assert sorted((r["channel"], r["recipient"]) for r in rows) == [
        ("email", "user:%d" % w.ids["ann"]), ("web", "user:%d" % w.ids["ann"])]

    inbox = fleetapi.ok(ann.get("/api/v1/notifications"))
    assert inbox["total"] == 1 and inbox["unread"] == 1
    nid = inbox["items"][0]["id"]
    read = fleetapi.ok(ann.post("/api/v1/notifications/%d/read" % nid))
    assert read["read_at"] is not None
    assert fleetapi.ok(ann.get("/api/v1/notifications"))["unread"] == 0
    assert fleetapi.ok(ann.get("/api/v1/notifications?unread=true"))["total"] == 0
    bob = w.client("bob@acme.example")
    assert fleetapi.ok(bob.get("/api/v1/notifications"))["total"] == 0
    problem(bob.post("/api/v1/notifications/%d/read" % nid), 404)
    problem(w.theirs.post("/api/v1/notifications/%d/read" % nid), 404)
    problem(ann.get("/api/v1/notifications?unread=maybe"), 400)


def test_quiet_hours_keep_email_and_webhooks_back_and_the_inbox_without_a_push(world):
    w = world
    receiver = Receiver()
    try:
        hook = fleetapi.ok(w.admin.post("/api/v1/webhooks", {"name": "night", "url": receiver.url}))
        # A window around now in New York, so that the test is quiet whenever it runs.
        now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=5)
        # (EST is UTC-5, EDT UTC-4: a window of 2 h each side covers both.)
        start = (now - datetime.timedelta(hours=2)).strftime("%H:%M")
        end = (now + datetime.timedelta(hours=2)).strftime("%H:%M")
        rule(w, w.manager, name="quiet", event_types=["towing"], channels=["web", "email", "webhook"],
             webhook_ids=[hook["id"]], quiet_start=start, quiet_end=end)
        ann = w.client("ann@acme.example")
        ws = wsclient.connect(w.port, headers={"Cookie": ann.cookie, "Origin": "http://127.0.0.1:%d" % w.port})
        try:
            assert ws.recv_json()["type"] == "ready"
            event = w.event("acme", w.van1, "towing")
            rows = wait_for(lambda: len(deliveries(w, event_id=event)) == 3 and deliveries(w, event_id=event),
                            timeout=10)
            assert rows and {r["status"] for r in rows} == {"quiet"}, rows
            try:
                message = ws.recv_json(timeout=2.5)
                assert message is None or message["type"] != "notification", message
            except socket.timeout:
                pass
        finally:
            ws.close()
        assert receiver.requests == []
        assert glob.glob(os.path.join(str(w.data), "outbox", "*.eml")) == []
        inbox = fleetapi.ok(ann.get("/api/v1/notifications"))
        assert [n["event"]["id"] for n in inbox["items"]] == [event] and inbox["items"][0]["status"] == "quiet"
    finally:
        receiver.close()


# --- where webhooks may go -------------------------------------------------------------------------------

def test_without_the_flag_webhooks_cannot_reach_loopback_or_private_addresses(tmp_path):
    w = build_world(tmp_path)  # notify.allow_private_webhooks left false, as in production
    receiver = Receiver()
    try:
        for url in (receiver.url, "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data",
                    "http://[::1]:8080/", "http://[fd00::1]/"):
            body = problem(w.admin.post("/api/v1/webhooks", {"name": "inside", "url": url}), 400)
            assert "private" in body["detail"]
        # A host name is checked when it is resolved, at each call: localhost resolves to loopback only.
        name = receiver.url.replace("127.0.0.1", "localhost")
        hook = fleetapi.ok(w.admin.post("/api/v1/webhooks", {"name": "by name", "url": name}))
        result = fleetapi.ok(w.admin.post("/api/v1/webhooks/%d/test" % hook["id"]))
        assert result["ok"] is False and result["status"] == 0 and "private or loopback" in result["error"]
        rule(w, w.manager, name="hooked", event_types=["sos"], channels=["webhook"], user_ids=[],
             webhook_ids=[hook["id"]])
        event = w.event("acme", w.van1, "sos")
        rows = wait_for(lambda: [r for r in deliveries(w, event_id=event) if r["attempts"] >= 1], timeout=10)
        assert rows and rows[0]["status"] == "pending" and "private or loopback" in rows[0]["last_error"]
        assert receiver.requests == []
    finally:
        receiver.close()
        w.srv.stop()


def test_https_webhooks_verify_the_certificate_and_the_name(tmp_path, monkeypatch):
    from test_tls import make_cert
    trusted_dir, other_dir = tmp_path / "trusted", tmp_path / "other"
    os.makedirs(trusted_dir)
    os.makedirs(other_dir)
    trusted = make_cert(trusted_dir)  # CN and subjectAltName 127.0.0.1
    untrusted = make_cert(other_dir)
    # OpenSSL's default verify paths honour SSL_CERT_FILE: the server trusts this one certificate only.
    monkeypatch.setenv("SSL_CERT_FILE", trusted[0])
    w = build_world(tmp_path, "--allow-private-webhooks", "true")
    receivers = []
    try:
        good, bad = Receiver(tls=trusted), Receiver(tls=untrusted)
        receivers += [good, bad]
        secrets = []
        cases = ((good.url, True, None), (bad.url, False, "TLS"),
                 (good.url.replace("127.0.0.1", "localhost"), False, "TLS"))  # the name is not the certificate's
        for i, (url, ok, error) in enumerate(cases):
            made = w.admin.post("/api/v1/webhooks", {"name": "tls %d" % i, "url": url})
            assert made[0] == 201, made
            hook = made[1]
            secrets.append(hook["secret"])
            result = fleetapi.ok(w.admin.post("/api/v1/webhooks/%d/test" % hook["id"]))
            assert result["ok"] is ok, (url, result)
            if error:
                assert error in result["error"], result
        assert len(good.requests) == 1 and signed(good.requests[0], secrets[0]) and bad.requests == []
    finally:
        for r in receivers:
            r.close()
        w.srv.stop()
