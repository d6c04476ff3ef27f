"""The authorisation matrix: every operation of the served OpenAPI document is called without
credentials, and by each role of one tenant with the ids of a second tenant's objects. Nothing may be
allowed that the role does not grant, nothing of the other tenant may be found or leak into an answer,
and nothing may answer 500. The policy below is the issue's, written independently of the server's
route table (which the document's x-fleetd-access reflects)."""
import json
import os
import re
import sqlite3

import pytest

from apiclient import PASSWORD, Client, add_user, admin, request, totp
from conftest import Server

# What each role may do (issue 3, "Tenants and roles").
POLICY = {
    "operator-admin": {"tenants.read", "tenants.write", "devices.admin", "users.read", "users.write", "audit.read",
                       "fleet.read"},
    # support.grant: "a tenant admin grants the operator time-limited read access" (support access).
    # Issue 5: reports.read (reports, events, schedules, rules to read), operations.write
    # (acknowledging events, geofences, maintenance, notification rules), tenant.settings (processing
    # settings, webhooks).
    "tenant-admin": {"fleet.read", "fleet.write", "positions.read", "users.read", "users.write", "audit.read",
                     "commands", "support.grant", "reports.read", "operations.write", "tenant.settings"},
    "fleet-manager": {"fleet.read", "fleet.write", "positions.read", "commands", "users.read", "reports.read",
                      "operations.write"},
    "viewer": {"fleet.read", "positions.read", "reports.read"},
    # "driver (their own vehicle and bookings)": reading, and only on DRIVER_ROUTES.
    "driver": {"fleet.read", "positions.read"},
}
# The only routes needing a permission that a driver may call: their own vehicle (the one their driver
# record is assigned to now), its positions within their own assignments, the live map of it, and their
# own driver record. Not groups, devices, installations, assignments (other drivers' names), odometers.
DRIVER_ROUTES = {("GET", "/api/v1/vehicles"), ("GET", "/api/v1/vehicles/{id}"), ("GET", "/api/v1/positions/latest"),
                 ("GET", "/api/v1/vehicles/{id}/positions"), ("GET", "/api/v1/live"), ("GET", "/api/v1/drivers"),
                 ("GET", "/api/v1/drivers/{id}")}
MARK = "SECRET-GLOBEX"
# Where the operator works across tenants by design, so that the other tenant's data is the point, not
# a leak (issue 3): the tenants themselves, the audit log and the support grants ("tenant admins see
# their tenant's entries, the operator all"), and the devices ("the operator manages tenants and
# devices": its stock and who has which box — not the vehicles' data, which stays behind a grant).
OPERATOR_SPANS_TENANTS = {("GET", "/api/v1/audit"), ("GET", "/api/v1/support-grants"),
                          ("GET", "/api/v1/tenants/{id}"), ("PATCH", "/api/v1/tenants/{id}"),
                          ("GET", "/api/v1/devices"), ("GET", "/api/v1/devices/{id}"),
                          ("PATCH", "/api/v1/devices/{id}")}


def enrol(c):
    status, body, _ = c.post("/api/v1/auth/totp/enroll")
    assert status == 200, body
    status, codes, _ = c.post("/api/v1/auth/totp/confirm", {"code": totp(body["secret"])})
    assert status == 200, codes
    return body["secret"]


def signed_in(port, email, mandatory_totp):
    c = Client(port)
    c.login(email)
    if mandatory_totp:
        enrol(c)
    return c


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix")
    data = tmp / "data"
    os.makedirs(data)
    for t in ("acme", "globex"):
        admin(data, "tenant", "add", "--name", t)
    users = {
        "operator-admin": add_user(data, "operator", "ops@provider.example", "operator-admin"),
        "tenant-admin": add_user(data, "acme", "admin@acme.example", "tenant-admin"),
        "fleet-manager": add_user(data, "acme", "manager@acme.example", "fleet-manager"),
        "viewer": add_user(data, "acme", "viewer@acme.example", "viewer"),
        "driver": add_user(data, "acme", "driver@acme.example", "driver"),
    }
    add_user(data, "globex", "boss@globex.example", "tenant-admin")
    srv = Server(data, "--argon2-memory-kib", "64", "--argon2-ops", "1").start()
    port = srv.port("http")
    clients = {role: signed_in(port, u["email"], role in ("operator-admin", "tenant-admin"))
               for role, u in users.items()}
    b = signed_in(port, "boss@globex.example", True)
    ids = make_globex_objects(clients["operator-admin"], b, data)
    acme_driver_vehicle(clients["tenant-admin"], clients["driver"].user["id"])
    yield {"srv": srv, "port": port, "clients": clients, "ids": ids,
           "doc": json.loads(request(port, "GET", "/api/v1/openapi.json")[2])}
    srv.stop()


def created(resp):
    status, body, _ = resp
    assert status in (200, 201), body
    return body


def make_globex_objects(op, b, data):
    """Objects of the second tenant, named with MARK so that a leak shows in any answer."""
    ids = {}
    ids["groups"] = created(b.post("/api/v1/groups", {"name": MARK + "-group"}))["id"]
    ids["vehicles"] = created(b.post("/api/v1/vehicles", {"name": MARK + "-van", "plate": "GX-001-GX"}))["id"]
    dev = created(op.post("/api/v1/devices", {"imei": "356307042441013", "protocol": "teltonika",
                                              "tenant": "globex", "name": MARK + "-box"}))
    ids["devices"] = dev["id"]
    ids["imei"] = "356307042441013"
    ids["installations"] = created(b.post("/api/v1/installations", {
        "vehicle_id": ids["vehicles"], "device_id": ids["devices"], "from": "2026-01-01T00:00:00Z"}))["id"]
    ids["drivers"] = created(b.post("/api/v1/drivers", {"name": MARK + "-driver", "badge_id": "GX0001"}))["id"]
    ids["users"] = created(b.post("/api/v1/users", {"email": "secret-globex-user@globex.example",
                                                    "role": "viewer", "name": MARK + "-user"}))["user"]["id"]
    tok = created(b.post("/api/v1/me/tokens", {"name": MARK + "-token", "scopes": ["read"]}))
    ids["tokens"] = tok["id"]
    status, sessions, _ = b.get("/api/v1/me/sessions")
    ids["sessions"] = sessions["items"][0]["id"] if status == 200 else "0"
    ids["support-grants"] = created(b.post("/api/v1/support-grants", {"reason": MARK, "hours": 1}))["id"]
    ids["schedules"] = created(b.post("/api/v1/reports/schedules", {"report": "trips", "frequency": "daily",
                                                                    "format": "csv"}))["id"]
    boss_id = b.user["id"]
    ids["notification-rules"] = created(b.post("/api/v1/notification-rules", {
        "name": MARK + "-rule", "event_types": ["sos"], "channels": ["web"], "user_ids": [boss_id]}))["id"]
    ids["webhooks"] = created(b.post("/api/v1/webhooks", {"name": MARK + "-hook",
                                                          "url": "https://hooks.example.com/" + MARK}))["id"]
    ids["events"], ids["notifications"] = globex_notification(data, ids["devices"], ids["vehicles"], boss_id)
    ids["geofences"] = created(b.post("/api/v1/geofences", {"name": MARK + "-fence", "geometry": {
        "type": "Point", "coordinates": [2.35, 48.85]}, "radius_m": 100}))["id"]
    ids["plans"] = created(b.post("/api/v1/maintenance/plans", {"vehicle_id": ids["vehicles"], "name": MARK + "-plan",
                                                                "interval_km": 15000}))["id"]
    ids["assignments"] = created(b.post("/api/v1/vehicles/%d/assignments" % ids["vehicles"], {
        "driver_id": ids["drivers"], "from": "2026-01-01T00:00:00Z"}))["id"]
    created(b.post("/api/v1/maintenance/services", {"plan_id": ids["plans"], "date": "2026-01-02", "note": MARK}))
    status, tenants, _ = op.get("/api/v1/tenants?q=globex")
    ids["tenants"] = [t for t in tenants["items"] if t["name"] == "globex"][0]["id"]
    return ids


def acme_driver_vehicle(a, driver_user_id):
    """The matrix's driver drives an acme van now, so that what it may read is not empty."""
    van = created(a.post("/api/v1/vehicles", {"name": "acme-van"}))["id"]
    dee = created(a.post("/api/v1/drivers", {"name": "Dee", "user_id": driver_user_id}))["id"]
    created(a.post("/api/v1/vehicles/%d/assignments" % van, {"driver_id": dee, "from": "2026-01-01T00:00:00Z"}))


def globex_notification(data, device_id, vehicle_id, user_id):
    """An event of the second tenant's van and its web notification to its administrator, written as
    the pipeline and the notifier would (their own tests cover how): (event id, notification id)."""
    with sqlite3.connect(os.path.join(str(data), "fleetd.db"), timeout=10) as db:
        tenant = db.execute("SELECT tenant_id FROM vehicles WHERE id = ?", (vehicle_id,)).fetchone()[0]
        event = db.execute("INSERT INTO events (key, tenant_id, device_id, vehicle_id, type, time, detail, created_at) "
                           "VALUES ('matrix:1', ?, ?, ?, 'sos', 0, ?, 0)",
                           (tenant, device_id, vehicle_id, json.dumps({"note": MARK}))).lastrowid
        return event, db.execute("INSERT INTO notifications (tenant_id, event_id, channel, recipient, status, created_at) "
                          "VALUES (?, ?, 'web', ?, 'sent', 0)", (tenant, event, "user:%d" % user_id)).lastrowid


def operations(doc):
    for path, item in sorted(doc["paths"].items()):
        for method, op in sorted(item.items()):
            yield method.upper(), path, op


def with_ids(path, ids):
    """The path with each {param} replaced by the second tenant's object of that collection."""
    segments = path.strip("/").split("/")
    out = []
    for i, seg in enumerate(segments):
        m = re.fullmatch(r"\{(\w+)\}", seg)
        if not m:
            out.append(seg)
            continue
        collection = segments[i - 1]
        out.append(str(ids["imei"] if m.group(1) == "imei" else ids.get(collection, 999999)))
    return "/" + "/".join(out)


def test_every_route_needs_credentials_unless_public(world):
    port = world["port"]
    for method, path, op in operations(world["doc"]):
        if op["x-fleetd-access"] == "public":
            continue
        body = {} if method in ("POST", "PUT", "PATCH") else None
        status, _, text = request(port, method, with_ids(path, world["ids"]), body)
        assert status == 401, "%s %s without credentials answered %d: %s" % (method, path, status, text[:200])


@pytest.mark.parametrize("role", sorted(POLICY))
def test_each_role_gets_only_what_it_is_granted_and_never_the_other_tenant(world, role):
    c = world["clients"][role]
    checked = 0
    for method, path, op in operations(world["doc"]):
        access = op["x-fleetd-access"]
        if access == "public" or path in ("/api/v1/auth/logout", "/api/v1/live"):
            continue  # signing out would end the matrix's session; the WebSocket has its own tests
        target = with_ids(path, world["ids"])
        body = {} if method in ("POST", "PUT", "PATCH") else None
        status, parsed, _ = c.call(method, target, body)
        text = json.dumps(parsed) if not isinstance(parsed, str) else parsed
        where = "%s %s as %s -> %d: %s" % (method, target, role, status, text[:300])
        assert status < 500, where
        spans = role == "operator-admin" and (method, path) in OPERATOR_SPANS_TENANTS
        if not spans:
            assert MARK not in text and "secret-globex-user" not in text, "leak: " + where
        granted = access in POLICY[role] and (role != "driver" or (method, path) in DRIVER_ROUTES)
        if access != "signed-in":
            assert op["x-fleetd-drivers"] == ((method, path) in DRIVER_ROUTES), "driver routes: " + where
        if access not in ("signed-in",) and not granted:
            assert status == 403, "not granted: " + where
        elif "{" in path and not spans:
            # Granted, but the ids are the other tenant's: found nowhere.
            assert status in (400, 403, 404), "other tenant's object reached: " + where
        else:
            assert status not in (401,), where
        checked += 1
    assert checked >= 20


def test_a_driver_reads_its_own_vehicle_and_driver_record_only(world):
    c = world["clients"]["driver"]
    vehicles = c.get("/api/v1/vehicles")[1]["items"]
    assert [v["name"] for v in vehicles] == ["acme-van"]
    assert [d["name"] for d in c.get("/api/v1/drivers")[1]["items"]] == ["Dee"]
    assert c.get("/api/v1/vehicles/%d/positions?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z"
                 % vehicles[0]["id"])[0] == 200
