"""The operations API against the real binary: geofences (CRUD, GeoJSON validation, import), the tenant's
time zone, odometers, driver assignments, maintenance plans and the service log, the maintenance check's
events — with roles, another tenant's ids, the audit trail and bad input.

The device counters the odometer reads are written straight into the server's SQLite file while it runs
(WAL): counting them is the pipeline's job, and its scenario tests cover it."""
import json
import os
import socket
import sqlite3
import time

import pytest

import fleetapi
from apiclient import FAST_HASH, Client, add_user, admin, request
from conftest import Server, wait_for

CIRCLE = {"type": "Point", "coordinates": [2.3522, 48.8566]}
SQUARE = {"type": "Polygon", "coordinates": [[[2.0, 48.0], [2.1, 48.0], [2.1, 48.1], [2.0, 48.1], [2.0, 48.0]]]}


def db(srv):
    c = sqlite3.connect(os.path.join(srv.data, "fleetd.db"), timeout=10)
    c.execute("PRAGMA busy_timeout = 10000")
    return c


def ok(resp, status=(200, 201, 204)):
    code, body, _ = resp
    assert code in (status if isinstance(status, tuple) else (status,)), body
    return body


def problem(resp, status, kind=None):
    code, body, _ = resp
    assert code == status, body
    if kind:
        assert body["type"].endswith("/" + kind), body
    return body


def audit(srv, action):
    with db(srv) as c:
        return [json.loads(d) for (d,) in c.execute("SELECT detail FROM audit_log WHERE action = ? ORDER BY id",
                                                    (action,))]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("operations")
    data = tmp / "data"
    os.makedirs(data)
    admin(data, "tenant", "add", "--name", "acme")
    admin(data, "tenant", "add", "--name", "globex")
    for email, tenant, role in [("admin@acme.example", "acme", "tenant-admin"),
                                ("manager@acme.example", "acme", "fleet-manager"),
                                ("viewer@acme.example", "acme", "viewer"),
                                ("manager@globex.example", "globex", "fleet-manager")]:
        add_user(data, tenant, email, role)
    srv = Server(data, *FAST_HASH, "--maintenance-check-seconds", "1").start()
    port = srv.port("http")
    w = {"srv": srv, "port": port}
    for name in ("manager@acme.example", "viewer@acme.example", "manager@globex.example"):
        c = Client(port)
        c.login(name)
        w[name.split("@")[0] + "@" + name.split("@")[1].split(".")[0]] = c
    w["admin"] = fleetapi.administrator(port, "admin@acme.example")
    m, g = w["manager@acme"], w["manager@globex"]
    w["van"] = fleetapi.add_vehicle(m, "Van")
    w["truck"] = fleetapi.add_vehicle(m, "Truck")
    w["car"] = fleetapi.add_vehicle(g, "Car")
    w["ann"] = ok(m.post("/api/v1/drivers", {"name": "Ann"}))["id"]
    w["bob"] = ok(m.post("/api/v1/drivers", {"name": "Bob"}))["id"]
    w["gus"] = ok(g.post("/api/v1/drivers", {"name": "Gus"}))["id"]
    with db(srv) as c:
        w["acme_id"], = c.execute("SELECT id FROM tenants WHERE name = 'acme'").fetchone()
        # The van's device (901) as the pipeline counts it: 1,000 km and 10 h so far.
        c.execute("INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, created_at) "
                  "VALUES (?, ?, 901, 0, 0)", (w["acme_id"], w["van"]))
        c.execute("INSERT INTO device_counters (device_id, time, odometer_m, engine_s) VALUES (901, 0, 1000000, 36000)")
    yield w
    srv.stop()


def counters(world, odometer_m, engine_s=36000):
    with db(world["srv"]) as c:
        c.execute("UPDATE device_counters SET odometer_m = ?, engine_s = ? WHERE device_id = 901", (odometer_m, engine_s))


def test_geofences_are_created_read_changed_and_deleted_with_an_audit_trail(world):
    m, v = world["manager@acme"], world["viewer@acme"]
    status, circle, headers = m.post("/api/v1/geofences", {"name": "Depot", "description": "Main <yard>",
                                                            "geometry": CIRCLE, "radius_m": 250})
    assert status == 201, circle
    assert ("location", "/api/v1/geofences/%d" % circle["id"]) in headers
    assert circle["kind"] == "circle" and circle["radius_m"] == 250 and circle["speed_limit_kmh"] is None
    assert circle["geometry"] == CIRCLE
    # A third coordinate (altitude) is dropped; the ring is kept as sent, closed.
    square = ok(m.post("/api/v1/geofences", {"name": "Site", "kind": "polygon", "speed_limit_kmh": 30, "geometry": {
        "type": "Polygon", "coordinates": [[p + [35.0] for p in SQUARE["coordinates"][0]]]}}))
    assert square["geometry"] == SQUARE and square["radius_m"] is None and square["speed_limit_kmh"] == 30

    listed = ok(v.get("/api/v1/geofences?sort=-name"))  # viewers read
    assert [g["name"] for g in listed["items"]] == ["Site", "Depot"] and listed["total"] == 2
    assert [g["name"] for g in ok(v.get("/api/v1/geofences?kind=circle"))["items"]] == ["Depot"]
    assert [g["name"] for g in ok(v.get("/api/v1/geofences?q=yard"))["items"]] == ["Depot"]
    problem(v.get("/api/v1/geofences?kind=square"), 400, "invalid-query")
    assert ok(v.get("/api/v1/geofences/%d" % square["id"])) == square

    moved = ok(m.patch("/api/v1/geofences/%d" % circle["id"], {"geometry": {"type": "Point", "coordinates": [2.0, 48.0]},
                                                                "speed_limit_kmh": 50}))
    assert moved["radius_m"] == 250 and moved["speed_limit_kmh"] == 50  # the radius stays with a new centre
    cleared = ok(m.patch("/api/v1/geofences/%d" % circle["id"], {"speed_limit_kmh": None}))
    assert cleared["speed_limit_kmh"] is None
    problem(m.patch("/api/v1/geofences/%d" % circle["id"], {"name": "Site"}), 409)
    to_polygon = ok(m.patch("/api/v1/geofences/%d" % circle["id"], {"geometry": SQUARE}))
    assert to_polygon["kind"] == "polygon" and to_polygon["radius_m"] is None

    problem(v.post("/api/v1/geofences", {"name": "X", "geometry": CIRCLE, "radius_m": 5}), 403)
    problem(v.delete("/api/v1/geofences/%d" % square["id"]), 403)
    assert ok(m.delete("/api/v1/geofences/%d" % square["id"]), 204) == ""
    problem(v.get("/api/v1/geofences/%d" % square["id"]), 404)
    ok(m.delete("/api/v1/geofences/%d" % circle["id"]), 204)
    assert [a["name"] for a in audit(world["srv"], "geofence.add")][-2:] == ["Depot", "Site"]
    assert len(audit(world["srv"], "geofence.update")) >= 3
    assert len(audit(world["srv"], "geofence.delete")) >= 2


@pytest.mark.parametrize("body,needle", [
    ({"name": "A", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}, "closed"),
    ({"name": "A", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}}, "at least 4"),
    ({"name": "A", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}}, "area"),
    ({"name": "A", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 1], [0, 0]]]}},
     "cross itself"),
    ({"name": "A", "geometry": {"type": "Polygon", "coordinates": [SQUARE["coordinates"][0]] * 2}}, "holes"),
    ({"name": "A", "geometry": {"type": "Point", "coordinates": [181, 0]}, "radius_m": 5}, "longitude"),
    ({"name": "A", "geometry": {"type": "Point", "coordinates": [0, -90.5]}, "radius_m": 5}, "latitude"),
    ({"name": "A", "geometry": {"type": "Point", "coordinates": ["0", 0]}, "radius_m": 5}, "numbers"),
    ({"name": "A", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}, "Point"),
    ({"name": "A", "geometry": {"type": "Point", "coordinates": [0, 0], "crs": "x"}, "radius_m": 5}, "unknown member"),
    ({"name": "A", "geometry": "POINT(0 0)", "radius_m": 5}, "an object"),
    ({"name": "A", "geometry": CIRCLE}, "radius_m"),
    ({"name": "A", "geometry": CIRCLE, "radius_m": 0}, "radius_m"),
    ({"name": "A", "geometry": CIRCLE, "radius_m": "10"}, "a number"),
    ({"name": "A", "kind": "polygon", "geometry": CIRCLE, "radius_m": 10}, "Polygon"),
    ({"name": "A", "geometry": SQUARE, "radius_m": 10}, "no 'radius_m'"),
    ({"name": "A", "geometry": SQUARE, "speed_limit_kmh": 900}, "speed_limit_kmh"),
    ({"name": 5, "geometry": SQUARE}, "a string"),
    ({"name": "", "geometry": SQUARE}, "blank"),
    ({"name": "A\nB", "geometry": SQUARE}, "control"),
    ({"geometry": SQUARE}, "'name'"),
    ({"name": "A", "geometry": SQUARE, "colour": "red"}, "unknown field"),
])
def test_bad_geofences_are_refused_with_a_clear_problem(world, body, needle):
    m = world["manager@acme"]
    detail = problem(m.post("/api/v1/geofences", body), 400)["detail"]
    assert needle in detail, detail
    assert ok(m.get("/api/v1/geofences?q=A"))["total"] == 0


def test_bodies_are_bounded_and_json(world):
    m, port = world["manager@acme"], world["port"]
    ring = [[2.0 + i * 1e-5, 48.0] for i in range(4000)] + [[2.0, 48.1], [2.0, 48.0]]
    problem(m.post("/api/v1/geofences", {"name": "Long", "geometry": {"type": "Polygon", "coordinates": [ring]}}), 413)
    ring = [[2.0 + i * 1e-5, 48.0] for i in range(5100)] + [[2.0, 48.1], [2.0, 48.0]]
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Long"},
                                                     "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    assert "at most 5000" in problem(m.post("/api/v1/geofences/import", fc), 400, "invalid-import")["errors"][0]["detail"]
    status, _, _ = m.call("POST", "/api/v1/geofences", "{}", headers={"Content-Type": "text/plain"})
    assert status == 415
    problem(m.post("/api/v1/geofences", "{not json"), 400, "invalid-body")
    # Over 2 MiB: refused from the Content-Length alone, before authentication and before the body.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/v1/geofences/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n{" % (3 << 20))
        assert s.recv(4096).startswith(b"HTTP/1.1 413 ")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # 2 MiB would be read
        s.sendall(b"POST /api/v1/geofences/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n{" % (2 << 20))
        s.settimeout(0.5)
        with pytest.raises(socket.timeout):
            s.recv(4096)  # the server waits for the rest of the body


def feature(name, geometry, **props):
    return {"type": "Feature", "geometry": geometry, "properties": dict(name=name, **props)}


def test_import_is_all_or_nothing_and_names_each_bad_feature(world):
    m = world["manager@acme"]
    bad = {"type": "FeatureCollection", "features": [
        feature("Imp-1", SQUARE),
        feature("Imp-2", {"type": "Point", "coordinates": [2.0, 48.0]}),  # no radius
        {"type": "Feature", "geometry": SQUARE, "properties": {}},       # no name
        feature("Imp-3", {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),  # open
        feature("Imp-1", CIRCLE, radius_m=10)]}                           # duplicate
    body = problem(m.post("/api/v1/geofences/import", bad), 400, "invalid-import")
    assert body["created"] == 0
    assert [e["index"] for e in body["errors"]] == [1, 2, 3], body  # the shapes first; names once they pass
    assert "radius_m" in body["errors"][0]["detail"] and "closed" in body["errors"][2]["detail"]
    assert ok(m.get("/api/v1/geofences?q=Imp-"))["total"] == 0
    problem(m.post("/api/v1/geofences/import", {"type": "Feature"}), 400, "invalid-import")
    problem(m.post("/api/v1/geofences/import", {"type": "FeatureCollection", "features": []}), 400, "invalid-import")

    # A large, valid import (1.5 MiB, mostly properties other tools leave there) is accepted.
    padding = "p" * (300 * 1024)
    good = {"type": "FeatureCollection", "features": [
        feature("Imp-%d" % i, SQUARE, note=padding, speed_limit_kmh=40) for i in range(4)] + [
        feature("Imp-C", CIRCLE, radius_m=120.5, description="round")]}
    assert len(json.dumps(good)) > (1 << 20)
    status, made, _ = m.post("/api/v1/geofences/import", good)
    assert status == 201, made
    assert made == {"created": 5, "errors": []}
    listed = ok(m.get("/api/v1/geofences?q=Imp-&sort=name"))
    assert listed["total"] == 5
    c = [g for g in listed["items"] if g["name"] == "Imp-C"][0]
    assert c["kind"] == "circle" and c["radius_m"] == 120.5 and c["description"] == "round"
    assert all(g["speed_limit_kmh"] == 40 for g in listed["items"] if g["kind"] == "polygon")
    dup = problem(m.post("/api/v1/geofences/import", {"type": "FeatureCollection", "features": [
        feature("Imp-dup", SQUARE), feature("Imp-dup", CIRCLE, radius_m=5)]}), 400, "invalid-import")
    assert [e["index"] for e in dup["errors"]] == [1] and "feature 0" in dup["errors"][0]["detail"]
    # Again: every name is taken now, nothing is created.
    again = problem(m.post("/api/v1/geofences/import", {"type": "FeatureCollection", "features": [
        feature("Imp-new", SQUARE), feature("Imp-C", SQUARE)]}), 400, "invalid-import")
    assert [e["index"] for e in again["errors"]] == [1]
    assert ok(m.get("/api/v1/geofences?q=Imp-"))["total"] == 5
    assert audit(world["srv"], "geofence.import")[-1] == {"created": 5}
    problem(world["viewer@acme"].post("/api/v1/geofences/import", good), 403)


def test_another_tenants_objects_are_not_found(world):
    m, g = world["manager@acme"], world["manager@globex"]
    fence = ok(m.post("/api/v1/geofences", {"name": "Secret", "geometry": SQUARE}))
    plan = ok(m.post("/api/v1/maintenance/plans", {"vehicle_id": world["truck"], "name": "Secret plan",
                                                   "interval_months": 6}))
    assignment = ok(m.post("/api/v1/vehicles/%d/assignments" % world["truck"],
                           {"driver_id": world["ann"], "from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}))
    for method, path, body in [
            ("GET", "/api/v1/geofences/%d" % fence["id"], None),
            ("PATCH", "/api/v1/geofences/%d" % fence["id"], {"name": "Mine"}),
            ("DELETE", "/api/v1/geofences/%d" % fence["id"], None),
            ("GET", "/api/v1/maintenance/plans/%d" % plan["id"], None),
            ("PATCH", "/api/v1/maintenance/plans/%d" % plan["id"], {"name": "Mine"}),
            ("DELETE", "/api/v1/maintenance/plans/%d" % plan["id"], None),
            ("POST", "/api/v1/maintenance/services", {"plan_id": plan["id"], "date": "2026-01-01"}),
            ("DELETE", "/api/v1/assignments/%d" % assignment["id"], None),
            ("GET", "/api/v1/vehicles/%d/odometer" % world["van"], None),
            ("PUT", "/api/v1/vehicles/%d/odometer" % world["van"], {"odometer_km": 1}),
            ("GET", "/api/v1/vehicles/%d/assignments" % world["van"], None),
            ("POST", "/api/v1/vehicles/%d/assignments" % world["van"], {"driver_id": world["gus"],
                                                                        "from": "2030-01-01T00:00:00Z"})]:
        status, answer, _ = g.call(method, path, body)
        assert status == 404, (method, path, answer)
    assert "Secret" not in json.dumps(ok(g.get("/api/v1/geofences")))
    assert "Secret" not in json.dumps(ok(g.get("/api/v1/maintenance/plans")))
    # Nor may acme use globex's driver or vehicle.
    problem(m.post("/api/v1/vehicles/%d/assignments" % world["van"], {"driver_id": world["gus"],
                                                                      "from": "2030-01-01T00:00:00Z"}), 404)
    problem(m.post("/api/v1/maintenance/plans", {"vehicle_id": world["car"], "name": "X", "interval_km": 10}), 404)
    assert ok(m.get("/api/v1/geofences/%d" % fence["id"]))["name"] == "Secret"


def test_the_odometer_is_set_to_the_dashboard_and_follows_the_device(world):
    m, v, van = world["manager@acme"], world["viewer@acme"], world["van"]
    counters(world, 1000000, 36000)
    assert ok(v.get("/api/v1/vehicles/%d/odometer" % van)) == {"odometer_km": 1000, "engine_hours": 10,
                                                               "set_at": None}
    assert ok(v.get("/api/v1/vehicles/%d/odometer" % world["truck"])) == {
        "odometer_km": None, "engine_hours": None, "set_at": None}
    problem(v.call("PUT", "/api/v1/vehicles/%d/odometer" % van, {"odometer_km": 5}), 403)
    set_ = ok(m.call("PUT", "/api/v1/vehicles/%d/odometer" % van, {"odometer_km": 123456.5}))
    assert set_["odometer_km"] == 123456.5 and set_["engine_hours"] == 10 and set_["set_at"]
    counters(world, 1250000, 43200)  # the device counts 250 km and 2 h more
    now = ok(v.get("/api/v1/vehicles/%d/odometer" % van))
    assert now["odometer_km"] == pytest.approx(123706.5) and now["engine_hours"] == pytest.approx(12)
    ok(m.call("PUT", "/api/v1/vehicles/%d/odometer" % van, {"odometer_km": 124000, "engine_hours": 900}))
    assert ok(v.get("/api/v1/vehicles/%d/odometer" % van))["engine_hours"] == 900
    for body in ({"odometer_km": -1}, {"odometer_km": "12"}, {}, {"odometer_km": 1, "engine_hours": -2},
                 {"odometer_km": 1, "trip": 3}, {"odometer_km": 1e12}):
        problem(m.call("PUT", "/api/v1/vehicles/%d/odometer" % van, body), 400)
    problem(m.call("PUT", "/api/v1/vehicles/999999/odometer", {"odometer_km": 1}), 404)
    assert audit(world["srv"], "vehicle.odometer.set")[-2:] == [
        {"odometer_km": 123456.5, "engine_hours": None}, {"odometer_km": 124000, "engine_hours": 900}]


def test_assignments_of_a_vehicle_never_overlap(world):
    m, v, truck = world["manager@acme"], world["viewer@acme"], world["truck"]
    path = "/api/v1/vehicles/%d/assignments" % truck
    first = ok(m.post(path, {"driver_id": world["ann"], "from": "2026-03-01T08:00:00Z", "to": "2026-03-01T17:00:00Z"}))
    assert first["driver_name"] == "Ann" and first["to"] == "2026-03-01T17:00:00.000Z"
    problem(m.post(path, {"driver_id": world["bob"], "from": "2026-03-01T16:00:00Z", "to": "2026-03-01T18:00:00Z"}),
            409, "conflict")
    ok(m.post(path, {"driver_id": world["bob"], "from": "2026-03-01T17:00:00Z", "to": "2026-03-01T20:00:00Z"}))
    opened = ok(m.post(path, {"driver_id": world["ann"], "from": "2026-03-02T08:00:00Z"}))
    assert opened["to"] is None
    problem(m.post(path, {"driver_id": world["bob"], "from": "2027-01-01T00:00:00Z"}), 409)  # the open one runs on
    problem(m.post(path, {"driver_id": world["bob"], "from": "2026-03-05T00:00:00Z", "to": "2026-03-04T00:00:00Z"}), 400)
    problem(m.post(path, {"driver_id": world["bob"], "from": "yesterday"}), 400)
    problem(m.post(path, {"driver_id": "bob", "from": "2028-01-01T00:00:00Z"}), 400)
    problem(v.post(path, {"driver_id": world["bob"], "from": "2028-01-01T00:00:00Z"}), 403)
    listed = ok(v.get(path + "?sort=-from"))
    assert [a["from"][:10] for a in listed["items"]][:3] == ["2026-03-02", "2026-03-01", "2026-03-01"]
    problem(v.delete("/api/v1/assignments/%d" % opened["id"]), 403)
    ok(m.delete("/api/v1/assignments/%d" % opened["id"]), 204)
    problem(m.delete("/api/v1/assignments/%d" % opened["id"]), 404)
    ok(m.post(path, {"driver_id": world["bob"], "from": "2027-01-01T00:00:00Z"}))
    assert [a["driver_id"] for a in audit(world["srv"], "assignment.delete")] == [world["ann"]]


def test_plans_are_validated_and_archived(world):
    m, v = world["manager@acme"], world["viewer@acme"]
    for body in ({"vehicle_id": world["van"], "name": "Oil"},  # no interval
                 {"vehicle_id": world["van"], "name": "Oil", "interval_km": 0},
                 {"vehicle_id": world["van"], "name": "Oil", "interval_months": 500},
                 {"vehicle_id": world["van"], "name": "Oil", "due_date": "2026-02-30"},
                 {"vehicle_id": world["van"], "name": "Oil", "interval_km": "15000"},
                 {"vehicle_id": world["van"], "name": "Oil", "interval_km": 100, "warn_days": -1},
                 {"vehicle_id": world["van"], "name": "Oil", "interval_km": 100, "colour": 1},
                 {"name": "Oil", "interval_km": 100}):
        problem(m.post("/api/v1/maintenance/plans", body), 400)
    problem(v.post("/api/v1/maintenance/plans", {"vehicle_id": world["van"], "name": "Tyres", "interval_km": 40000}), 403)
    plan = ok(m.post("/api/v1/maintenance/plans", {"vehicle_id": world["van"], "name": "Tyres", "interval_km": 40000}))
    assert plan["warn_km"] == 1000 and plan["warn_days"] == 30 and plan["archived_at"] is None
    changed = ok(m.patch("/api/v1/maintenance/plans/%d" % plan["id"], {"warn_km": 2000, "interval_months": 24}))
    assert changed["warn_km"] == 2000 and changed["interval_months"] == 24 and changed["interval_km"] == 40000
    problem(m.patch("/api/v1/maintenance/plans/%d" % plan["id"], {"vehicle_id": world["truck"]}), 400)
    assert plan["id"] in [p["id"] for p in ok(v.get("/api/v1/maintenance/plans?vehicle_id=%d" % world["van"]))["items"]]
    archived = ok(m.delete("/api/v1/maintenance/plans/%d" % plan["id"]))
    assert archived["archived_at"]
    assert plan["id"] not in [p["id"] for p in ok(v.get("/api/v1/maintenance/plans"))["items"]]
    assert plan["id"] in [p["id"] for p in ok(v.get("/api/v1/maintenance/plans?archived=true"))["items"]]
    problem(m.patch("/api/v1/maintenance/plans/%d" % plan["id"], {"name": "x"}), 409)
    problem(v.get("/api/v1/maintenance/plans?vehicle_id=abc"), 400)


def test_a_due_plan_raises_its_event_once_and_a_service_clears_it(world):
    m, v, van, srv = world["manager@acme"], world["viewer@acme"], world["van"], world["srv"]
    ok(m.call("PUT", "/api/v1/vehicles/%d/odometer" % van, {"odometer_km": 29500}))
    plan = ok(m.post("/api/v1/maintenance/plans", {"vehicle_id": van, "name": "Oil", "interval_km": 15000,
                                                   "last_done_odometer_m": 15000000}))
    due = [r for r in ok(v.get("/api/v1/reports/maintenance?vehicle_id=%d" % van))["items"] if r["plan_id"] == plan["id"]]
    assert due[0]["status"] == "due_soon", due

    def events(kind):
        with db(srv) as c:
            return c.execute("SELECT key, detail FROM events WHERE type = ? AND json_extract(detail, '$.plan_id') = ?",
                             (kind, plan["id"])).fetchall()
    assert wait_for(lambda: events("maintenance_due"), timeout=10)
    time.sleep(2.5)  # two more checks: still one event
    assert len(events("maintenance_due")) == 1
    detail = json.loads(events("maintenance_due")[0][1])
    assert detail["plan"] == "Oil" and detail["status"] == "due_soon" and detail["remaining_km"] == pytest.approx(500)
    inbox = ok(v.get("/api/v1/events?type=maintenance_due&vehicle_id=%d" % van))
    assert [e["type"] for e in inbox["items"]] == ["maintenance_due"], inbox

    counters(world, 1250000 + 600000)  # 600 km more: overdue
    assert wait_for(lambda: events("maintenance_overdue"), timeout=10)
    time.sleep(2.5)
    assert len(events("maintenance_overdue")) == 1

    problem(v.post("/api/v1/maintenance/services", {"plan_id": plan["id"], "date": "2026-03-02"}), 403)
    for body in ({"plan_id": plan["id"], "date": "2026-13-01"}, {"plan_id": plan["id"]},
                 {"plan_id": plan["id"], "date": "2026-03-02", "currency": "euro"},
                 {"plan_id": plan["id"], "date": "2026-03-02", "cost_cents": -5},
                 {"date": "2026-03-02"}, {"plan_id": plan["id"], "vehicle_id": world["truck"], "date": "2026-03-02"}):
        problem(m.post("/api/v1/maintenance/services", body), 400)
    service = ok(m.post("/api/v1/maintenance/services", {"plan_id": plan["id"], "date": "2026-03-02",
                                                         "cost_cents": 18950, "note": "Oil <5W30>\nand filter"}))
    assert service["vehicle_id"] == van and service["currency"] == "EUR" and service["odometer_m"] is None
    moved = ok(v.get("/api/v1/maintenance/plans/%d" % plan["id"]))
    assert moved["last_done_date"] == "2026-03-02"
    assert moved["last_done_odometer_m"] == pytest.approx(30100000)  # the vehicle's reading at the service
    due = [r for r in ok(v.get("/api/v1/reports/maintenance?vehicle_id=%d" % van))["items"] if r["plan_id"] == plan["id"]]
    assert due[0]["status"] == "ok", due
    time.sleep(2.5)
    assert len(events("maintenance_due")) == 1 and len(events("maintenance_overdue")) == 1
    log = ok(v.get("/api/v1/maintenance/services?plan_id=%d" % plan["id"]))
    assert [s["id"] for s in log["items"]] == [service["id"]] and log["items"][0]["note"] == "Oil <5W30>\nand filter"
    assert audit(srv, "service.add")[-1]["plan_id"] == plan["id"]


def test_tenant_administrators_set_the_time_zone(world):
    a, m = world["admin"], world["manager@acme"]
    assert ok(m.get("/api/v1/settings/tenant")) == {"name": "acme", "time_zone": "Europe/Paris"}
    problem(m.patch("/api/v1/settings/tenant", {"time_zone": "UTC"}), 403)
    for zone in ("Mars/Olympus", "../etc/passwd", "", 5):
        problem(a.patch("/api/v1/settings/tenant", {"time_zone": zone}), 400)
    problem(a.patch("/api/v1/settings/tenant", {"name": "evil"}), 400)
    assert ok(a.patch("/api/v1/settings/tenant", {"time_zone": "America/New_York"}))["time_zone"] == "America/New_York"
    assert ok(world["manager@globex"].get("/api/v1/settings/tenant"))["time_zone"] == "Europe/Paris"
    ok(a.patch("/api/v1/settings/tenant", {"time_zone": "Europe/Paris"}))


def test_processing_settings_are_read_whole_and_changed_in_part(world):
    a, m, srv = world["admin"], world["manager@acme"], world["srv"]
    settings = ok(a.get("/api/v1/settings/processing"))
    assert settings["idle_event_s"] == 300 and settings["min_trip_distance_m"] == 300  # the defaults, every key
    assert len(settings) >= 19
    problem(m.get("/api/v1/settings/processing"), 403)
    problem(m.call("PUT", "/api/v1/settings/processing", {"idle_event_s": 120}), 403)
    changed = ok(a.call("PUT", "/api/v1/settings/processing", {"idle_event_s": 120, "eco_weight_harsh": 7.5}))
    assert changed["idle_event_s"] == 120 and changed["eco_weight_harsh"] == 7.5
    assert {k: v for k, v in changed.items() if k not in ("idle_event_s", "eco_weight_harsh")} == \
        {k: v for k, v in settings.items() if k not in ("idle_event_s", "eco_weight_harsh")}
    again = ok(a.call("PUT", "/api/v1/settings/processing", {"tank_l": 80}))
    assert again["idle_event_s"] == 120 and again["tank_l"] == 80  # earlier changes stay
    for body, needle in (({"idle_event_s": "120"}, "number"), ({"idle": 5}, "unknown"),
                         ({"idle_event_s": -1}, "between"), ({"max_speed_kmh": 1e9}, "between")):
        assert needle in problem(a.call("PUT", "/api/v1/settings/processing", body), 400)["detail"]
    for raw in ("[1]", "{", '"x"'):
        problem(a.call("PUT", "/api/v1/settings/processing", raw), 400)
    status, _, _ = a.call("PUT", "/api/v1/settings/processing", "{}", headers={"Content-Type": "text/plain"})
    assert status == 415
    assert ok(a.get("/api/v1/settings/processing")) == again  # refusals changed nothing
    assert ok(world["manager@globex"].get("/api/v1/settings/tenant"))["name"] == "globex"
    logged = audit(srv, "settings.processing.update")
    assert len(logged) == 2 and logged[-1]["tank_l"] == 80
    # Stored settings a newer version no longer reads are the defaults (as for the pipeline), and the
    # next change writes valid ones.
    with db(srv) as c:
        c.execute("UPDATE tenant_settings SET settings = '{\"retired_key\": 1}' WHERE tenant_id = ?",
                  (world["acme_id"],))
    assert ok(a.get("/api/v1/settings/processing")) == settings
    assert ok(a.call("PUT", "/api/v1/settings/processing", {"tank_l": 60}))["idle_event_s"] == 300
    assert ok(a.get("/api/v1/settings/processing"))["tank_l"] == 60


def test_a_vehicle_has_its_own_speed_limit(world):
    m, v, truck = world["manager@acme"], world["viewer@acme"], world["truck"]
    assert ok(v.get("/api/v1/vehicles/%d" % truck))["speed_limit_kmh"] is None
    assert ok(m.patch("/api/v1/vehicles/%d" % truck, {"speed_limit_kmh": 90}))["speed_limit_kmh"] == 90
    assert ok(v.get("/api/v1/vehicles/%d" % truck))["speed_limit_kmh"] == 90
    for bad in (0, 301, "90"):
        problem(m.patch("/api/v1/vehicles/%d" % truck, {"speed_limit_kmh": bad}), 400)
    assert ok(m.patch("/api/v1/vehicles/%d" % truck, {"name": "Truck"}))["speed_limit_kmh"] == 90  # kept
    assert ok(m.patch("/api/v1/vehicles/%d" % truck, {"speed_limit_kmh": None}))["speed_limit_kmh"] is None
    bus = ok(m.post("/api/v1/vehicles", {"name": "Bus", "speed_limit_kmh": 80}))
    assert bus["speed_limit_kmh"] == 80
    with db(world["srv"]) as c:
        assert c.execute("SELECT speed_limit_kmh FROM vehicles WHERE id = ?", (bus["id"],)).fetchone()[0] == 80
    problem(v.patch("/api/v1/vehicles/%d" % truck, {"speed_limit_kmh": 50}), 403)
