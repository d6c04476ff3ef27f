"""The pipeline inside the real `fleetd serve`: simulated vehicles send Teltonika Codec 8 records over the
device port along a known route, and the trips, stops and events come back through the reports API.

The route (built below, positions every 10 s while driving, every 60 s while parked): parked with the
ignition off, a 20 km drive north at 60 km/h across midnight (23:50 to 00:10 UTC), a 15-minute stop,
a 10 km drive with a driver's badge read, parked again. Distances are along the points (no odometer).

The same route sent in order, with its first half arriving late (after the second), and across a kill -9
and restart must give the same trips and the same events — not one more."""
import math
import os
import sqlite3
import struct

import pytest

from apiclient import FAST_HASH, Client, add_user, admin
from conftest import Server, connect, recv_exact, wait_for
import fleetapi
import frames as F

BADGE = 0x00000000CAFE0042
BADGE_TEXT = "00000000CAFE0042"  # as the decoder names IO 78
START_LAT, LON = 48.0, 2.0
EARTH_M = 6371008.8
STEP_S = 10
SPEED_KMH = 60.0
DAY = "2026-03-01T23:40:00Z"


def route():
    """[(record dict)], and the expected trips [(start ms, end ms, distance m, badge?)]."""
    t = fleetapi.ms(DAY)
    lat = START_LAT
    out, trips = [], []

    def park(minutes):
        nonlocal t
        for _ in range(minutes):
            out.append({"ms": t, "lat": lat, "lon": LON, "speed": 0, "ignition": False})
            t += 60_000

    def drive(minutes, badge=None):
        nonlocal t, lat
        start, dist = t, 0.0
        step_deg = SPEED_KMH / 3.6 * STEP_S / EARTH_M * 180 / math.pi
        for i in range(minutes * 60 // STEP_S + 1):
            r = {"ms": t, "lat": lat, "lon": LON, "speed": SPEED_KMH, "ignition": True}
            if badge:
                r["badge"] = badge
            out.append(r)
            if i < minutes * 60 // STEP_S:
                lat += step_deg
                dist += SPEED_KMH / 3.6 * STEP_S
                t += STEP_S * 1000
        trips.append((start, t, dist, badge))
        t += STEP_S * 1000

    park(10)
    drive(20)  # 23:50 to 00:10: across midnight
    park(15)
    drive(10, BADGE)
    park(10)
    return out, trips


RECORDS, TRIPS = route()


def send(srv, device_imei, records):
    s = connect(srv.port("teltonika"))
    s.sendall(F.imei_frame(device_imei))
    assert recv_exact(s, 1) == b"\x01"
    for i in range(0, len(records), 50):
        part = records[i:i + 50]
        s.sendall(F.codec8_io_packet(part))
        assert recv_exact(s, 4) == struct.pack(">I", len(part))
    s.close()


def get(c, path):
    status, body, _ = c.get(path)
    assert status == 200, body
    return body


def trips_of(c, vehicle):
    body = get(c, "/api/v1/reports/trips?from=2026-03-01&to=2026-03-03&limit=1000&vehicle_id=%d" % vehicle)
    return body["items"]


def events_of(c, vehicle):
    items, before = [], None
    while True:
        q = "/api/v1/events?limit=1000&vehicle_id=%d" % vehicle + ("&before=" + before if before else "")
        body = get(c, q)
        items += body["items"]
        before = body["next"]
        if not before:
            return items


def shape(trips):
    return [(t["start_time"], t["end_time"], round(t["distance_m"]), t["driver_id"]) for t in trips]


def event_shape(events):
    return sorted((e["type"], e["time"], e["driver_id"]) for e in events)


def settled(c, vehicle, want_trips):
    """Waits until the vehicle has `want_trips` trips and its trips and events stop changing."""
    last = [None]

    def check():
        trips = trips_of(c, vehicle)
        now = (shape(trips), event_shape(events_of(c, vehicle)))
        same = now == last[0]
        last[0] = now
        return len(trips) == want_trips and same

    assert wait_for(check, timeout=30, interval=0.5), last[0]
    return trips_of(c, vehicle), events_of(c, vehicle)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = tmp_path_factory.mktemp("pipeline") / "data"
    os.makedirs(data)
    admin(data, "tenant", "add", "--name", "acme")
    add_user(data, "acme", "manager@acme.example", "fleet-manager")
    add_user(data, "operator", "ops@provider.example", "operator-admin")
    imeis = [fleetapi.imei(50 + i) for i in range(6)]
    for imei in imeis:
        admin(data, "device", "add", "--imei", imei, "--protocol", "teltonika")
    srv = Server(data, *FAST_HASH, "--pipeline-workers", "2").start()
    op = fleetapi.administrator(srv.port("http"), "ops@provider.example")
    m = Client(srv.port("http"))
    m.login("manager@acme.example")
    w = {"srv": srv, "m": m, "imeis": imeis, "vehicles": []}
    for i, imei in enumerate(imeis):
        device = fleetapi.give_device(op, imei, "acme")
        vehicle = fleetapi.add_vehicle(m, "Van %d" % i)
        fleetapi.install(m, vehicle, device, "2026-01-01T00:00:00Z")
        w["vehicles"].append(vehicle)
    w["driver"] = fleetapi.ok(m.post("/api/v1/drivers", {"name": "Ann", "badge_id": BADGE_TEXT}))["id"]
    yield w
    w["srv"].stop()


def check_route(trips, driver_id):
    assert len(trips) == len(TRIPS), shape(trips)
    for got, (start, end, dist, badge) in zip(trips, TRIPS):
        # The trip starts and ends at the route's first and last driving points (within one point).
        assert abs(fleetapi.ms(got["start_time"]) - start) <= STEP_S * 1000, (got, start)
        assert abs(fleetapi.ms(got["end_time"]) - end) <= 60_000, (got, end)
        assert abs(got["distance_m"] - dist) <= 0.01 * dist, (got["distance_m"], dist)
        assert got["driver_id"] == (driver_id if badge else None)


@pytest.fixture(scope="module")
def reference(world):
    """The route sent in order to vehicle 0: trips, stops, distances and events."""
    send(world["srv"], world["imeis"][0], RECORDS)
    return settled(world["m"], world["vehicles"][0], len(TRIPS))


def test_a_route_in_order_gives_its_trips_stops_distances_driver_and_events(world, reference):
    trips, events = reference
    check_route(trips, world["driver"])
    # The first trip crosses midnight and is one trip, whole.
    assert trips[0]["start_time"].startswith("2026-03-01T23:5") and trips[0]["end_time"].startswith("2026-03-02T00:1")
    stops = get(world["m"], "/api/v1/reports/stops?from=2026-03-01&to=2026-03-03&vehicle_id=%d"
                % world["vehicles"][0])["items"]
    between = [s for s in stops if trips[0]["end_time"] <= s["start_time"] < trips[1]["start_time"]]
    assert len(between) == 1, stops
    assert 14 * 60 <= between[0]["duration_s"] <= 16 * 60
    types = {e["type"] for e in events}
    assert {"trip_start", "trip_end", "ignition_on", "ignition_off"} <= types, types
    for kind in ("trip_start", "trip_end", "ignition_on", "ignition_off"):
        assert len([e for e in events if e["type"] == kind]) == len(TRIPS), kind
    # Events are attributed to the vehicle; the badge's driver to what happened on the second trip.
    assert all(e["vehicle_id"] == world["vehicles"][0] for e in events)
    on_second = [e for e in events if e["type"] == "trip_end" and e["time"] > trips[1]["start_time"]]
    assert on_second and on_second[0]["driver_id"] == world["driver"]
    # Positions in order, committed after the pipeline's first look: processed from the feed, not
    # read back (docs/pipeline.md, "The feed").
    fed = [line for line in world["srv"].metrics().splitlines()
           if line.startswith("fleetd_pipeline_positions_fed_total ")]
    assert fed and float(fed[0].split()[1]) > 0, fed


def test_late_records_recompute_the_window_to_what_in_order_gives(world, reference):
    """The first half arrives after the second (a device that buffered out of coverage)."""
    half = len(RECORDS) // 2
    vehicle = world["vehicles"][1]
    send(world["srv"], world["imeis"][1], RECORDS[half:])
    wait_for(lambda: trips_of(world["m"], vehicle), timeout=15, interval=0.3)
    send(world["srv"], world["imeis"][1], RECORDS[:half])
    trips, events = settled(world["m"], vehicle, len(TRIPS))
    check_route(trips, world["driver"])
    assert shape(trips) == shape(reference[0])
    assert event_shape(events) == event_shape(reference[1])
    metrics = world["srv"].metrics()
    assert "fleetd_pipeline_recomputes_total 0\n" not in metrics


def test_a_restart_after_kill_9_resumes_without_duplicates_or_gaps(world, reference):
    vehicle = world["vehicles"][2]
    third = len(RECORDS) // 3
    send(world["srv"], world["imeis"][2], RECORDS[:third])
    wait_for(lambda: trips_of(world["m"], vehicle) or True, timeout=2)
    world["srv"].kill9()
    world["srv"].start()
    c = Client(world["srv"].port("http"))
    c.login("manager@acme.example")
    world["m"] = c
    send(world["srv"], world["imeis"][2], RECORDS[third:])
    trips, events = settled(c, vehicle, len(TRIPS))
    assert shape(trips) == shape(reference[0])
    assert event_shape(events) == event_shape(reference[1])
    # And the earlier vehicles' rows did not change or double on the restart.
    assert shape(trips_of(c, world["vehicles"][0])) == shape(reference[0])
    assert event_shape(events_of(c, world["vehicles"][0])) == event_shape(reference[1])


def test_an_acknowledged_event_keeps_its_row_through_a_recomputation(world, reference):
    vehicle = world["vehicles"][3]
    first_stop = 10 + 20 * 60 // STEP_S + 1  # the second trip and what follows arrive first
    send(world["srv"], world["imeis"][3], RECORDS[first_stop:])
    trips, events = settled(world["m"], vehicle, 1)
    target = [e for e in events if e["type"] == "trip_start"][0]
    fleetapi.ok(world["m"].post("/api/v1/events/%d/acknowledge" % target["id"]))
    send(world["srv"], world["imeis"][3], RECORDS[:first_stop])
    trips, events = settled(world["m"], vehicle, len(TRIPS))
    same = [e for e in events if e["id"] == target["id"]]
    assert same and same[0]["acknowledged_at"] and same[0]["time"] == target["time"]
    assert event_shape(events) == event_shape(reference[1])
    db = sqlite3.connect(os.path.join(world["srv"].data, "fleetd.db"))
    assert db.execute("SELECT count(*) FROM pipeline_late").fetchone()[0] == 0


def test_geofences_and_assignments_saved_through_the_api_apply_to_what_follows(world, reference):
    """A geofence around the start and a driver assigned to the vehicle, saved through the operations API
    (which tells the runner), shape what the next route gives: a visit that ends when the first trip
    leaves, and the first trip (no badge) attributed to the assigned driver."""
    m, vehicle = world["m"], world["vehicles"][4]
    geofence = fleetapi.ok(m.post("/api/v1/geofences", {
        "name": "Depot", "geometry": {"type": "Point", "coordinates": [LON, START_LAT]}, "radius_m": 500}))["id"]
    other = fleetapi.ok(m.post("/api/v1/drivers", {"name": "Bob"}))["id"]
    fleetapi.ok(m.post("/api/v1/vehicles/%d/assignments" % vehicle, {"driver_id": other, "from": "2026-02-01T00:00:00Z"}))
    send(world["srv"], world["imeis"][4], RECORDS)
    trips, events = settled(m, vehicle, len(TRIPS))
    check_route([dict(t, driver_id=None) if t["driver_id"] == other else t for t in trips], world["driver"])
    assert trips[0]["driver_id"] == other      # by assignment
    assert trips[1]["driver_id"] == world["driver"]  # the badge wins
    visits = get(m, "/api/v1/reports/geofence-visits?from=2026-03-01&to=2026-03-03&vehicle_id=%d" % vehicle)["items"]
    mine = [v for v in visits if v["geofence_id"] == geofence]
    assert len(mine) == 1, visits
    # It leaves the 500 m circle 30 s into the first trip (at 60 km/h), give or take a point.
    left = fleetapi.ms(mine[0]["exit_time"]) - TRIPS[0][0]
    assert 20_000 <= left <= 50_000, mine
    assert [e["type"] for e in events if e["geofence_id"] == geofence].count("geofence_exit") == 1


def test_a_trip_with_speeding_and_idling_is_scored_by_the_documented_formula(world):
    """Through the real ingestion path: a trip 2 min over the default 130 km/h limit and idling 3 min
    (ignition on, standing) scores 100 - 1 x % of driving time over the limit - 0.5 x % of engine time
    idling (default weights, no harsh event); the vehicle's eco ranking gives the same score."""
    vehicle = world["vehicles"][5]
    t = fleetapi.ms("2026-03-02T08:00:00Z")
    lat = START_LAT
    records = []

    def point(speed, ignition):
        records.append({"ms": t, "lat": lat, "lon": LON, "speed": speed, "ignition": ignition})

    def hold(minutes, speed, ignition):
        nonlocal t, lat
        for _ in range(minutes * 60 // STEP_S):
            point(speed, ignition)
            lat += speed / 3.6 * STEP_S / EARTH_M * 180 / math.pi
            t += STEP_S * 1000

    hold(5, 0, False)
    hold(3, 60, True)
    hold(2, 140, True)    # over the limit: 120 s
    hold(3, 60, True)
    hold(3, 0, True)      # idling: 180 s
    hold(2, 60, True)
    hold(10, 0, False)
    send(world["srv"], world["imeis"][5], records)
    trips = wait_for(lambda: trips_of(world["m"], vehicle), timeout=15, interval=0.3)
    assert len(trips) == 1, shape(trips)
    trip = trips[0]
    assert abs(trip["overspeed_s"] - 120) <= STEP_S, trip
    assert abs(trip["idle_s"] - 180) <= STEP_S, trip
    assert trip["harsh_acceleration"] == trip["harsh_braking"] == trip["harsh_cornering"] == 0, trip
    duration = trip["duration_s"]
    assert abs(duration - 13 * 60) <= 2 * STEP_S, trip
    expected = 100 - 1 * 100 * trip["overspeed_s"] / (duration - trip["idle_s"]) - 0.5 * 100 * trip["idle_s"] / duration
    assert abs(trip["eco_score"] - expected) < 0.5, (trip["eco_score"], expected)
    assert 60 < trip["eco_score"] < 75, trip  # about 100 - 20 - 11.5
    ranking = get(world["m"], "/api/v1/reports/eco?by=vehicle&from=2026-03-02&to=2026-03-03&vehicle_id=%d"
                  % vehicle)["items"]
    assert len(ranking) == 1 and abs(ranking[0]["eco_score"] - trip["eco_score"]) < 0.01, ranking

