"""The driver role (issue 3: "driver (their own vehicle and bookings)") against the real binary with real
Teltonika traffic: a driver user linked to a driver record sees the vehicle that record is assigned to now
(vehicles, latest position, live map), not the others; of that vehicle's history only their own assignment
periods, not the previous driver's; nothing once the assignment has ended; and no other driver's name or
badge through any route they can call. Bookings do not exist yet."""
import datetime
import json
import time

from apiclient import request
from fleetfixture import DEV_A, DEV_B, DEV_G, client, fleet, send, send_packets  # noqa: F401 (fleet is a fixture)
import fleetapi
from fleetapi import ok
import frames as F
import wsclient
from wsclient import nothing_within

OTHER = "Paul SECRET-OTHER-DRIVER"  # the previous driver: must never reach Dora
OTHER_BADGE = "SECRETBADGE77"
SPAN = "from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z"


def iso_in(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def set_up(fleet, dora_until=None, dora_from="2026-01-15T00:00:00Z"):
    """Paul drove the van until 01-15, Dora from `dora_from` on (until `dora_until`, else open): (manager,
    dora, ids of Dora's and Paul's driver records, Dora's assignment)."""
    manager = client(fleet, "manager@acme.example")
    dora = client(fleet, "driver@acme.example")
    mine = ok(manager.post("/api/v1/drivers", {"name": "Dora", "badge_id": "DORA01", "user_id": dora.user["id"]}))
    paul = ok(manager.post("/api/v1/drivers", {"name": OTHER, "badge_id": OTHER_BADGE, "employee_number": "E-77"}))
    path = "/api/v1/vehicles/%d/assignments" % fleet.van
    ok(manager.post(path, {"driver_id": paul["id"], "from": "2026-01-01T00:00:00Z", "to": "2026-01-15T00:00:00Z"}))
    body = {"driver_id": mine["id"], "from": dora_from}
    if dora_until:
        body["to"] = dora_until
    assignment = ok(manager.post(path, body))
    # Device A was the van's from 01-05 to 01-20, then device B.
    send(fleet, DEV_A, [("2026-01-10T08:00:00Z", 10, 2, 40),    # Paul's
                        ("2026-01-16T08:00:00Z", 16, 2, 40)])   # Dora's
    send(fleet, DEV_B, [("2026-01-21T08:00:00Z", 21, 2, 40)])   # Dora's
    send(fleet, DEV_G, [("2026-01-16T08:00:00Z", 45, 4, 30)])   # globex's car
    return manager, dora, mine["id"], paul["id"], assignment


def history(c, vehicle, span=SPAN, fmt=None):
    status, body, _ = c.get("/api/v1/vehicles/%d/positions?%s%s" % (vehicle, span, "&format=" + fmt if fmt else ""))
    return status, body


def test_a_driver_sees_their_vehicle_and_their_own_periods_only(fleet):
    manager, dora, mine, paul, _ = set_up(fleet)
    status, page, _ = dora.get("/api/v1/vehicles")
    assert status == 200 and [v["id"] for v in page["items"]] == [fleet.van] and page["total"] == 1
    assert page["items"][0]["group_ids"] == []  # groups are the fleet's organisation, not hers
    assert dora.get("/api/v1/vehicles/%d" % fleet.van)[0] == 200
    assert dora.get("/api/v1/vehicles/%d" % fleet.truck)[0] == 404
    assert dora.get("/api/v1/vehicles/%d" % fleet.car)[0] == 404

    latest = dora.get("/api/v1/positions/latest")[1]["items"]
    assert [(p["vehicle_id"], p["lat"]) for p in latest] == [(fleet.van, 21)]

    # History: the range asked for, cut to her own assignment: not Paul's trip of the 10th.
    status, doc = history(dora, fleet.van)
    assert status == 200, doc
    assert [p["lat"] for p in doc["positions"]] == [16, 21]
    assert [p["lat"] for p in history(manager, fleet.van)[1]["positions"]] == [10, 16, 21]
    status, doc = history(dora, fleet.van, "from=2026-01-01T00:00:00Z&to=2026-01-15T00:00:00Z")
    assert status == 200 and doc["positions"] == []
    assert history(dora, fleet.truck)[0] == 404
    assert history(dora, fleet.car)[0] == 404
    # The export formats are cut the same way (exports need a recent sign-in: she just signed in).
    status, text = history(dora, fleet.van, fmt="csv")
    assert status == 200 and "2026-01-10" not in text and "2026-01-16" in text and "2026-01-21" in text

    # Her own driver record, nobody else's.
    status, drivers, _ = dora.get("/api/v1/drivers")
    assert status == 200 and [d["id"] for d in drivers["items"]] == [mine] and drivers["total"] == 1
    assert dora.get("/api/v1/drivers?user_id=%d" % manager.user["id"])[1]["items"][0]["id"] == mine
    assert dora.get("/api/v1/drivers?q=paul")[1]["items"] == []
    assert dora.get("/api/v1/drivers/%d" % mine)[0] == 200
    assert dora.get("/api/v1/drivers/%d" % paul)[0] == 404

    # Least privilege: the rest of fleet.read, and everything else, is closed to her.
    for path in ["/api/v1/groups", "/api/v1/devices", "/api/v1/installations",
                 "/api/v1/vehicles/%d/assignments" % fleet.van, "/api/v1/vehicles/%d/installations" % fleet.van,
                 "/api/v1/vehicles/%d/odometer" % fleet.van, "/api/v1/users", "/api/v1/audit", "/api/v1/events",
                 "/api/v1/reports/trips", "/api/v1/geofences", "/api/v1/notification-rules",
                 "/api/v1/settings/tenant"]:
        status, problem, _ = dora.get(path)
        assert status == 403 and problem["type"].endswith("/forbidden"), (path, status, problem)
    for method, path, body in [("POST", "/api/v1/vehicles", {"name": "Mine"}),
                               ("PATCH", "/api/v1/vehicles/%d" % fleet.van, {"name": "Mine"}),
                               ("PATCH", "/api/v1/drivers/%d" % mine, {"name": "Dora X"}),
                               ("POST", "/api/v1/vehicles/%d/assignments" % fleet.truck,
                                {"driver_id": mine, "from": "2026-01-01T00:00:00Z"})]:
        assert dora.call(method, path, body)[0] == 403, (method, path)

    # A token she makes reads as she does, and no more.
    token = ok(dora.post("/api/v1/me/tokens", {"name": "app", "scopes": ["read"]}))
    status, _, body = request(fleet.port("http"), "GET", "/api/v1/vehicles",
                              headers={"Authorization": "Bearer " + token["token"]})
    assert status == 200 and [v["id"] for v in json.loads(body)["items"]] == [fleet.van]


def badged(fleet, iso, lat, badge):
    """A position of the van's device B on which the box read `badge` (IO 78)."""
    record = {"ms": fleetapi.ms(iso), "lat": lat, "lon": 2, "speed": 30, "ignition": True, "badge": badge}
    send_packets(fleet, DEV_B, [(F.codec8_io_packet([record]), 1)])


def test_no_other_drivers_name_or_badge_through_any_route_she_can_call(fleet):
    manager, dora, mine, paul, _ = set_up(fleet)
    # Paul badged into the van during her assignment: the box's reading is his badge, not hers to see.
    badged(fleet, "2026-01-22T08:00:00Z", 22, 0x5EC0BAD6E77)
    badge = "0000005EC0BAD6E77"[-16:]
    assert badge in json.dumps(manager.get("/api/v1/positions/latest")[1])  # the manager sees what was read
    doc = json.loads(request(fleet.port("http"), "GET", "/api/v1/openapi.json")[2])
    called = 0
    for path, item in sorted(doc["paths"].items()):
        op = item.get("get")
        if not op or op["x-fleetd-access"] == "public" or path == "/api/v1/live":
            continue
        target = path.replace("/vehicles/{id}", "/vehicles/%d" % fleet.van)
        target = target.replace("/drivers/{id}", "/drivers/%d" % paul).replace("{id}", "1")
        if "/positions" in target and "latest" not in target:
            target += "?" + SPAN
        status, body, _ = dora.get(target)
        text = body if isinstance(body, str) else json.dumps(body)
        assert OTHER not in text and OTHER_BADGE not in text and "E-77" not in text, (target, text[:300])
        assert badge not in text and '"driver_id"' not in text.replace('"driver_id": null', ''), (target, text[:300])
        assert status < 500, (target, status, text[:300])
        assert status in (200, 403, 404) or op["x-fleetd-access"] == "signed-in", (target, status)
        if status == 200:
            called += 1
            assert op["x-fleetd-drivers"] is True, target  # reached: the route says it is open to drivers
    assert called >= 6  # /me, her vehicles, the van, latest, the van's history, her driver record...
    assert [p["lat"] for p in history(dora, fleet.van)[1]["positions"]] == [16, 21, 22]  # the position, not the badge
    for fmt in ("geojson", "gpx", "csv"):
        status, text = history(dora, fleet.van, fmt=fmt)
        assert status == 200 and badge not in text, fmt
    assert badge in history(manager, fleet.van, fmt="csv")[1]


def open_feed(fleet, c):
    return wsclient.connect(fleet.port("http"), headers={"Cookie": c.cookie})


def test_when_the_assignment_ends_she_sees_the_van_no_more(fleet):
    manager, dora, mine, paul, _ = set_up(fleet, dora_until=iso_in(6))
    assert [v["id"] for v in dora.get("/api/v1/vehicles")[1]["items"]] == [fleet.van]
    ws = open_feed(fleet, dora)
    assert ws.recv_json() == {"type": "ready", "vehicles": 1}
    send(fleet, DEV_G, [("2026-02-01T09:00:00Z", 45, 4, 30)])  # globex's: not hers
    send(fleet, DEV_B, [("2026-02-01T09:00:00Z", 22, 2, 30)])
    message = ws.recv_json(timeout=5)
    assert message["type"] == "position" and message["vehicle_id"] == fleet.van and message["lat"] == 22
    assert nothing_within(ws, 0.3)

    time.sleep(7)  # her assignment has ended; the feed decides again at its next refresh (every 5 s)
    assert dora.get("/api/v1/vehicles")[1]["items"] == []
    assert dora.get("/api/v1/vehicles/%d" % fleet.van)[0] == 404
    assert dora.get("/api/v1/positions/latest")[1]["items"] == []
    assert history(dora, fleet.van)[0] == 404  # not her vehicle any more, even for her own past periods
    assert manager.get("/api/v1/vehicles/%d" % fleet.van)[0] == 200
    time.sleep(5.5)
    send(fleet, DEV_B, [("2026-02-01T09:00:10Z", 23, 2, 30)])
    assert nothing_within(ws, 1.0)
    ws.close()
    # A new feed follows nothing.
    ws = open_feed(fleet, dora)
    assert ws.recv_json() == {"type": "ready", "vehicles": 0}
    ws.close()


def test_a_driver_feed_follows_her_vehicle_only_within_her_assignment(fleet):
    manager, dora, mine, paul, _ = set_up(fleet, dora_from="2026-01-25T00:00:00Z")
    ws = open_feed(fleet, dora)
    assert ws.recv_json() == {"type": "ready", "vehicles": 1}
    # A record the box buffered from before her assignment arrives late: not hers.
    send(fleet, DEV_B, [("2026-01-24T09:00:00Z", 14, 2, 30)])
    assert nothing_within(ws, 0.5)
    send(fleet, DEV_B, [("2026-02-02T09:00:00Z", 24, 2, 30)])
    assert ws.recv_json(timeout=5)["lat"] == 24
    badged(fleet, "2026-02-02T10:00:00Z", 25, 0xCAFE0042)  # another card read in her van
    message = ws.recv_json(timeout=5)
    assert message["lat"] == 25 and "driver_id" not in message["attributes"], message
    ws.close()
