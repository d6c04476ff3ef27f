"""Reports, the events inbox and scheduled reports against the real binary.

The derived rows (trips, events, ...) are written straight into the server's SQLite file while it runs
(WAL mode lets a second connection write): deriving them from positions is the pipeline's job, and the
pipeline's scenario tests cover it. Here: the JSON, CSV and XLSX forms, the tenant's time zone and its
day boundaries, a trip overlapping the range reported whole, group narrowing, who may acknowledge, another
tenant's ids, bad parameters, and a scheduled report reaching the outbox with its attachment."""
import csv
import email
import email.policy
import glob
import io
import json
import os
import sqlite3
import time
import zipfile
import xml.etree.ElementTree as ET

import pytest

from apiclient import FAST_HASH, Client, add_user, admin
from conftest import Server, wait_for
import fleetapi

HOSTILE = "=Van <1> & \"Co\" 'x',\u00e9\u2603"  # a formula, XML and CSV specials, non-ASCII
NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def db(srv):
    c = sqlite3.connect(os.path.join(srv.data, "fleetd.db"), timeout=10)
    c.execute("PRAGMA busy_timeout = 10000")
    return c


def ms(iso):
    return fleetapi.ms(iso)


def add_trip(conn, tenant, vehicle, start, end, distance=10000, driver=None, eco=None):
    device = 900 + vehicle  # one device per vehicle
    conn.execute(
        "INSERT INTO trips (device_id, tenant_id, vehicle_id, driver_id, start_time, end_time, start_lat, start_lon, "
        "end_lat, end_lon, start_odometer_m, end_odometer_m, distance_m, max_speed_kmh, avg_speed_kmh, idle_s, "
        "overspeed_s, harsh_acceleration, harsh_braking, harsh_cornering, fuel_used_l, eco_score) VALUES "
        "(?, ?, ?, ?, ?, ?, 40.7, -74.0, 40.8, -73.9, 0, ?, ?, 88, 44, 60, 0, 1, 0, 0, NULL, ?)",
        (device, tenant, vehicle, driver, ms(start), ms(end), distance, distance, eco))


def add_event(conn, tenant, vehicle, kind, at, key, detail="{}"):
    cur = conn.execute(
        "INSERT INTO events (key, tenant_id, device_id, vehicle_id, type, time, lat, lon, detail, created_at) "
        "VALUES (?, ?, 900, ?, ?, ?, 40.7, -74.0, ?, 0)", (key, tenant, vehicle, kind, ms(at), detail))
    return cur.lastrowid


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    data = tmp / "data"
    os.makedirs(data)
    admin(data, "tenant", "add", "--name", "acme")
    admin(data, "tenant", "add", "--name", "globex")
    for email_, tenant, role in [("manager@acme.example", "acme", "fleet-manager"),
                                 ("viewer@acme.example", "acme", "viewer"),
                                 ("narrow@acme.example", "acme", "viewer"),
                                 ("admin@acme.example", "acme", "tenant-admin"),
                                 ("manager@globex.example", "globex", "fleet-manager")]:
        add_user(data, tenant, email_, role)
    with sqlite3.connect(os.path.join(data, "fleetd.db")) as c:  # New York: UTC-5 until 8 March, then UTC-4
        c.execute("UPDATE tenants SET time_zone = 'America/New_York' WHERE name = 'acme'")
    srv = Server(data, *FAST_HASH).start()
    port = srv.port("http")
    w = {"srv": srv, "port": port}
    for name in ("manager@acme.example", "viewer@acme.example", "narrow@acme.example", "manager@globex.example"):
        c = Client(port)
        c.login(name)
        w[name.split("@")[0] + "@" + name.split("@")[1].split(".")[0]] = c
    w["admin"] = fleetapi.administrator(port, "admin@acme.example")
    m, g = w["manager@acme"], w["manager@globex"]
    w["van"] = fleetapi.add_vehicle(m, HOSTILE, plate="AB-123-CD")
    w["truck"] = fleetapi.add_vehicle(m, "Truck")
    w["car"] = fleetapi.add_vehicle(g, "Car")
    w["trucks"] = fleetapi.add_group(m, "Trucks", [w["truck"]])
    fleetapi.narrow(w["admin"], "narrow@acme.example", [w["trucks"]])
    conn = db(srv)
    w["acme_id"], = conn.execute("SELECT id FROM tenants WHERE name = 'acme'").fetchone()
    w["globex_id"], = conn.execute("SELECT id FROM tenants WHERE name = 'globex'").fetchone()
    a = w["acme_id"]
    # 2 March local (New York, UTC-5) is 05:00Z on 2 March to 05:00Z on 3 March.
    add_trip(conn, a, w["van"], "2026-03-02T04:30:00Z", "2026-03-02T05:30:00Z", 1000, eco=70)  # 1 Mar 23:30 local
    add_trip(conn, a, w["van"], "2026-03-02T14:00:00Z", "2026-03-02T15:00:00Z", 20000, eco=90)
    add_trip(conn, a, w["van"], "2026-03-03T04:30:00Z", "2026-03-03T05:30:00Z", 5000)  # 2 Mar 23:30 local
    add_trip(conn, a, w["van"], "2026-03-03T06:00:00Z", "2026-03-03T07:00:00Z", 3000)  # 3 Mar 01:00 local
    add_trip(conn, a, w["truck"], "2026-03-02T16:00:00Z", "2026-03-02T17:00:00Z", 8000, eco=80)
    add_trip(conn, w["globex_id"], w["car"], "2026-03-02T16:00:00Z", "2026-03-02T17:00:00Z", 8000)
    w["ev_van"] = add_event(conn, a, w["van"], "overspeed", "2026-03-02T14:10:00Z", "k1", '{"speed_kmh":142}')
    w["ev_van2"] = add_event(conn, a, w["van"], "harsh_braking", "2026-03-02T14:20:00Z", "k2")
    w["ev_truck"] = add_event(conn, a, w["truck"], "overspeed", "2026-03-02T16:10:00Z", "k3")
    w["ev_car"] = add_event(conn, w["globex_id"], w["car"], "crash", "2026-03-02T16:10:00Z", "k4")
    conn.commit()
    conn.close()
    yield w
    srv.stop()


def items(resp):
    status, body, _ = resp
    assert status == 200, body
    return body["items"]


def test_trips_overlapping_the_range_are_whole_and_local_dates_are_the_tenants(world):
    m = world["manager@acme"]
    status, body, _ = m.get("/api/v1/reports/trips?from=2026-03-02&to=2026-03-02&vehicle_id=%d" % world["van"])
    assert status == 200, body
    assert body["time_zone"] == "America/New_York"
    assert body["from"] == "2026-03-02T05:00:00.000Z" and body["to"] == "2026-03-03T05:00:00.000Z"
    starts = [t["start_time"] for t in body["items"]]
    # The 1 March 23:30 trip runs into 2 March: reported whole; the 3 March 01:00 local one is out.
    assert starts == ["2026-03-02T04:30:00.000Z", "2026-03-02T14:00:00.000Z", "2026-03-03T04:30:00.000Z"]
    assert body["items"][0]["end_time"] == "2026-03-02T05:30:00.000Z"
    assert body["items"][0]["duration_s"] == 3600 and body["items"][0]["vehicle_name"] == HOSTILE
    assert body["total"] == 3
    # RFC 3339 bounds are instants: [05:30Z, 14:00Z) touches no trip.
    assert items(m.get("/api/v1/reports/trips?from=2026-03-02T05:30:00Z&to=2026-03-02T14:00:00Z")) == []
    # Paging.
    status, page, _ = m.get("/api/v1/reports/trips?from=2026-03-02&to=2026-03-02&limit=1&offset=1")
    assert status == 200 and page["total"] == 4 and len(page["items"]) == 1 and page["offset"] == 1


def test_the_daily_summary_counts_a_trip_on_the_local_day_it_starts(world):
    m = world["manager@acme"]
    rows = items(m.get("/api/v1/reports/summary?from=2026-03-01&to=2026-03-02&vehicle_id=%d" % world["van"]))
    assert [(r["date"], r["trips"], r["distance_m"]) for r in rows] == [("2026-03-01", 1, 1000), ("2026-03-02", 2, 25000)]
    assert rows[0]["last_end"] == "2026-03-02T05:30:00.000Z"
    util = items(m.get("/api/v1/reports/utilisation?from=2026-03-01&to=2026-03-04"))
    van = [u for u in util if u["vehicle_id"] == world["van"]][0]
    assert (van["days"], van["days_used"], van["trips"]) == (4, 3, 4)
    eco = items(m.get("/api/v1/reports/eco?from=2026-03-02&to=2026-03-02&by=vehicle"))
    # The van's scored trip (90) outweighs nothing else that day (its other trip has no score); the truck's is 80.
    assert [e["vehicle_name"] for e in eco] == [HOSTILE, "Truck"]
    assert eco[0]["rank"] == 1 and abs(eco[0]["eco_score"] - (90 * 20000) / 20000) < 1e-9


def test_csv_export_is_local_guarded_and_audited(world):
    m = world["manager@acme"]
    status, text, headers = m.get("/api/v1/reports/trips?from=2026-03-01&to=2026-03-02&format=csv")
    assert status == 200, text
    assert dict(headers)["content-type"].startswith("text/csv")
    assert 'attachment; filename="trips-20260301T050000Z-20260303T050000Z.csv"' == dict(headers)["content-disposition"]
    rows = list(csv.reader(io.StringIO(text)))
    head = rows[0]
    assert head[:7] == ["id", "vehicle_id", "vehicle_name", "driver_id", "driver_name",
                        "start_time (America/New_York)", "end_time (America/New_York)"]
    van = [r for r in rows[1:] if r[1] == str(world["van"])]
    assert van[0][5] == "2026-03-01 23:30:00"  # local wall-clock time
    assert van[0][2].startswith("'=Van")      # the formula guard
    assert van[0][2][1:] == HOSTILE
    entries = [json.loads(x) for x in admin(world["srv"].data, "audit", "list").stdout.splitlines()]
    exports = [e for e in entries if e["action"] == "reports.export"]
    assert exports and exports[-1]["detail"]["format"] == "csv" and exports[-1]["target"] == "report:trips"
    assert exports[-1]["actor"] == "user:%d" % m.user["id"]


def test_xlsx_export_is_a_workbook_with_local_date_times(world):
    m = world["manager@acme"]
    status, _, headers = m.get("/api/v1/reports/events?from=2026-03-02&to=2026-03-02&format=xlsx")
    assert status == 200
    h = dict(headers)
    assert h["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert h["content-disposition"].endswith('.xlsx"')
    # The client decodes text; fetch the bytes again over a raw request.
    import apiclient
    raw = raw_get(apiclient, world["port"], m, "/api/v1/reports/trips?from=2026-03-01&to=2026-03-02&format=xlsx")
    z = zipfile.ZipFile(io.BytesIO(raw))
    assert "[Content_Types].xml" in z.namelist()
    sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = sheet.findall(".//x:sheetData/x:row", NS)
    def text(c):
        t = c.find(".//x:t", NS)
        return t.text if t is not None else None
    head = [text(c) for c in rows[0].findall("x:c", NS)]
    assert head[5] == "start_time (America/New_York)"
    f2 = [c for c in rows[1].findall("x:c", NS) if c.get("r") == "F2"][0]  # empty cells are left out
    names = [text(c) for r in rows[1:] for c in r.findall("x:c", NS) if c.get("t") == "inlineStr"]
    assert HOSTILE in names  # a string cell: never a formula
    assert not sheet.findall(".//x:f", NS)
    assert f2.get("s") and f2.get("t") is None  # a styled number: a date-time serial
    # 2026-03-01 23:30 local: day 46082 since 1899-12-30, and 23.5 hours.
    assert abs(float(f2.find("x:v", NS).text) - (46082 + 23.5 / 24)) < 1e-6


def raw_get(apiclient, port, client, path):
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: %s\r\nConnection: close\r\n\r\n"
                   % (path, client.cookie)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0], head
    if b"chunked" in head.lower():
        body = apiclient.dechunk(body)
    return body


def test_a_narrowed_viewer_sees_its_groups_vehicles_and_other_tenants_ids_are_not_found(world):
    n = world["narrow@acme"]
    trips = items(n.get("/api/v1/reports/trips?from=2026-03-02&to=2026-03-02"))
    assert {t["vehicle_id"] for t in trips} == {world["truck"]}
    assert n.get("/api/v1/reports/trips?from=2026-03-02&to=2026-03-02&vehicle_id=%d" % world["van"])[0] == 404
    assert {e["vehicle_id"] for e in items(n.get("/api/v1/events"))} == {world["truck"]}
    assert n.get("/api/v1/events/%d" % world["ev_van"])[0] == 404
    g = world["manager@globex"]
    for path in ["/api/v1/reports/trips?from=2026-03-02&to=2026-03-02&vehicle_id=%d" % world["van"],
                 "/api/v1/reports/summary?from=2026-03-02&to=2026-03-02&group_id=%d" % world["trucks"],
                 "/api/v1/events/%d" % world["ev_van"]]:
        status, body, _ = g.get(path)
        assert status == 404, (path, body)
    assert g.post("/api/v1/events/%d/acknowledge" % world["ev_van"])[0] == 404
    assert "Truck" not in json.dumps(items(g.get("/api/v1/reports/trips?from=2026-03-02&to=2026-03-02")))
    assert world["manager@acme"].get("/api/v1/events/%d" % world["ev_car"])[0] == 404


@pytest.mark.parametrize("query", [
    "trips", "trips?from=2026-03-02", "trips?from=2026-03-02&to=2026-03-01", "trips?from=2025-01-01&to=2026-03-01",
    "trips?from=2026-02-30&to=2026-03-02", "trips?from=yesterday&to=2026-03-02", "trips?from=2026-03-01&to=2026-03-02&format=pdf",
    "trips?from=2026-03-01&to=2026-03-02&colour=red", "trips?from=2026-03-01&to=2026-03-02&vehicle_id=x",
    "trips?from=2026-03-01&to=2026-03-02&limit=5000", "events?from=2026-03-01&to=2026-03-02&type=teleport",
    "eco?from=2026-03-01&to=2026-03-02&by=fleet", "trips?from=2026-03-01&to=2026-03-02&by=driver",
    "events?from=2026-03-01&to=2026-03-02&acknowledged=maybe", "maintenance?from=2026-03-01"])
def test_bad_parameters_are_400(world, query):
    status, body, _ = world["manager@acme"].get("/api/v1/reports/" + query)
    assert status == 400, (query, body)


def test_the_inbox_pages_filters_and_acknowledges_once(world):
    m, v = world["manager@acme"], world["viewer@acme"]
    first = m.get("/api/v1/events?limit=2")[1]
    assert [e["id"] for e in first["items"]] == [world["ev_truck"], world["ev_van2"]]
    rest = m.get("/api/v1/events?limit=2&before=" + first["next"])[1]
    assert [e["id"] for e in rest["items"]] == [world["ev_van"]] and rest["next"] is None
    assert items(m.get("/api/v1/events?type=overspeed&vehicle_id=%d" % world["van"]))[0]["detail"] == {"speed_kmh": 142}
    assert m.get("/api/v1/events?before=nonsense")[0] == 400
    assert m.get("/api/v1/events?offset=3")[0] == 400
    # A viewer reads but may not acknowledge.
    assert v.get("/api/v1/events/%d" % world["ev_truck"])[0] == 200
    assert v.post("/api/v1/events/%d/acknowledge" % world["ev_truck"])[0] == 403
    status, acked, _ = m.post("/api/v1/events/%d/acknowledge" % world["ev_truck"])
    assert status == 200, acked
    assert acked["acknowledged_by"] == m.user["id"] and acked["acknowledged_at"]
    time.sleep(0.01)
    again = m.post("/api/v1/events/%d/acknowledge" % world["ev_truck"])[1]
    assert again["acknowledged_at"] == acked["acknowledged_at"]
    assert m.post("/api/v1/events/%d/acknowledge" % world["ev_truck"], {"note": "x"})[0] == 400
    assert [e["id"] for e in items(m.get("/api/v1/events?acknowledged=true"))] == [world["ev_truck"]]
    assert world["ev_truck"] not in [e["id"] for e in items(m.get("/api/v1/events?acknowledged=false"))]
    entries = [json.loads(x) for x in admin(world["srv"].data, "audit", "list").stdout.splitlines()]
    assert [e["target"] for e in entries if e["action"] == "event.acknowledge"] == ["event:%d" % world["ev_truck"]]
    # The events report sees the acknowledgement too.
    report = items(m.get("/api/v1/reports/events?from=2026-03-02&to=2026-03-02&acknowledged=true"))
    assert [e["id"] for e in report] == [world["ev_truck"]]


def test_schedules_belong_to_their_owner_are_bounded_and_send_their_report(world):
    m, v = world["manager@acme"], world["viewer@acme"]
    status, s, headers = m.post("/api/v1/reports/schedules", {
        "report": "trips", "frequency": "daily", "format": "csv", "params": {"vehicle_id": world["van"]}})
    assert status == 201, s
    assert s["params"] == {"vehicle_id": world["van"]} and s["next_run_at"].endswith("Z")
    assert v.get("/api/v1/reports/schedules/%d" % s["id"])[0] == 404  # another user's
    assert v.delete("/api/v1/reports/schedules/%d" % s["id"])[0] == 404
    for bad in [{"report": "gossip", "frequency": "daily", "format": "csv"},
                {"report": "trips", "frequency": "hourly", "format": "csv"},
                {"report": "trips", "frequency": "daily", "format": "pdf"},
                {"report": "trips", "frequency": "daily", "format": "csv", "params": {"from": "2026-01-01"}},
                {"report": "trips", "frequency": "daily", "format": "csv", "params": {"vehicle_id": [1]}},
                {"report": "trips", "frequency": "daily"}]:
        assert m.post("/api/v1/reports/schedules", bad)[0] == 400, bad
    assert m.post("/api/v1/reports/schedules", {"report": "trips", "frequency": "daily", "format": "csv",
                                                "params": {"vehicle_id": world["car"]}})[0] == 404
    status, weekly, _ = m.patch("/api/v1/reports/schedules/%d" % s["id"], {"frequency": "weekly"})
    assert status == 200 and weekly["frequency"] == "weekly" and weekly["next_run_at"] != s["next_run_at"]
    ids = [ok_id(v.post("/api/v1/reports/schedules", {"report": "summary", "frequency": "daily", "format": "xlsx"}))
           for _ in range(20)]
    assert v.post("/api/v1/reports/schedules", {"report": "summary", "frequency": "daily", "format": "xlsx"})[0] == 409
    assert len(items(v.get("/api/v1/reports/schedules"))) == 20
    for i in ids:
        assert v.delete("/api/v1/reports/schedules/%d" % i)[0] == 204

    # Due now: the sender renders the week before 2026-03-09 06:00 New York (2 to 8 March) for its owner.
    conn = db(world["srv"])
    conn.execute("UPDATE report_schedules SET next_run_at = ? WHERE id = ?", (ms("2026-03-09T10:00:00Z"), s["id"]))
    conn.commit()
    conn.close()
    outbox = os.path.join(world["srv"].data, "outbox")

    def report_mail():
        for path in glob.glob(os.path.join(outbox, "*.eml")):
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            if msg["Subject"].startswith("fleetd: trips report"):
                return msg
        return None
    assert wait_for(lambda: report_mail() is not None, timeout=15)
    msg = report_mail()
    assert msg["To"] == "manager@acme.example"
    assert "2026-03-02 to 2026-03-08" in msg["Subject"]
    parts = list(msg.iter_attachments())
    assert len(parts) == 1 and parts[0].get_filename() == "trips-2026-03-02.csv"
    rows = list(csv.reader(io.StringIO(parts[0].get_content() if isinstance(parts[0].get_content(), str)
                                       else parts[0].get_content().decode())))
    assert rows[0][5] == "start_time (America/New_York)"
    # The trip from 1 March 23:30 runs into the week: whole.
    assert [r[5] for r in rows[1:]] == ["2026-03-01 23:30:00", "2026-03-02 09:00:00", "2026-03-02 23:30:00",
                                        "2026-03-03 01:00:00"]
    after = m.get("/api/v1/reports/schedules/%d" % s["id"])[1]
    assert after["last_run_at"] and after["next_run_at"] > "2026-03-09"
    entries = [json.loads(x) for x in admin(world["srv"].data, "audit", "list").stdout.splitlines()]
    sent = [e for e in entries if e["action"] == "reports.export" and e["actor"] == "scheduler"]
    assert sent and sent[-1]["detail"]["schedule_id"] == s["id"]
    assert m.delete("/api/v1/reports/schedules/%d" % s["id"])[0] == 204


def test_maintenance_due_reads_plans_counters_and_the_calendar(world):
    m = world["manager@acme"]
    conn = db(world["srv"])
    conn.execute("INSERT INTO maintenance_plans (tenant_id, vehicle_id, name, due_date, warn_days, created_at) "
                 "VALUES (?, ?, 'Inspection', '2020-01-01', 30, 0)", (world["acme_id"], world["truck"]))
    conn.execute("INSERT INTO maintenance_plans (tenant_id, vehicle_id, name, due_date, created_at) "
                 "VALUES (?, ?, 'Theirs', '2020-01-01', 0)", (world["globex_id"], world["car"]))
    conn.commit()
    conn.close()
    status, body, _ = m.get("/api/v1/reports/maintenance")
    assert status == 200, body
    assert [(r["name"], r["status"], r["due_date"]) for r in body["items"]] == [("Inspection", "overdue", "2020-01-01")]
    assert body["date"] and body["time_zone"] == "America/New_York"
    assert items(world["narrow@acme"].get("/api/v1/reports/maintenance?vehicle_id=%d" % world["truck"]))[0]["name"] \
        == "Inspection"


def ok_id(resp):
    status, body, _ = resp
    assert status == 201, body
    return body["id"]


def test_a_disabled_owners_schedule_is_skipped_to_its_next_run(world):
    v = world["viewer@acme"]
    s = ok_body(v.post("/api/v1/reports/schedules", {"report": "summary", "frequency": "daily", "format": "xlsx"}))
    ok_body(world["admin"].patch("/api/v1/users/%d" % v.user["id"], {"disabled": True}))
    conn = db(world["srv"])
    conn.execute("UPDATE report_schedules SET next_run_at = ? WHERE id = ?", (ms("2026-03-09T10:00:00Z"), s["id"]))
    conn.commit()

    def moved():
        row = conn.execute("SELECT next_run_at, last_run_at FROM report_schedules WHERE id = ?", (s["id"],)).fetchone()
        return row if row[0] > ms("2026-03-09T10:00:00Z") else None
    row = wait_for(moved, timeout=15)
    conn.close()
    assert row and row[1]
    time.sleep(1.5)  # the mailer's poll
    subjects = []
    for path in glob.glob(os.path.join(world["srv"].data, "outbox", "*.eml")):
        with open(path, "rb") as f:
            subjects.append(email.message_from_binary_file(f, policy=email.policy.default)["Subject"])
    assert not [x for x in subjects if "summary report" in x]


def ok_body(resp):
    status, body, _ = resp
    assert status in (200, 201), body
    return body
