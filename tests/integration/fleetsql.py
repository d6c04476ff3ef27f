"""TEMPORARY set-up for test_positions.py and test_live.py: on the `live` branch the fleet routes
(vehicles, installations, groups: branch `fleet`) and a way to give a device to a tenant do not exist yet,
so these helpers write those rows straight into the server's SQLite database (WAL: safe beside the running
server). Replace each one by its API call (POST /api/v1/vehicles, /api/v1/installations, ...) once the fleet
routes are merged. Devices themselves are registered with the admin CLI (`device add`)."""
import datetime
from contextlib import closing
import os
import sqlite3


def ms(iso):
    """Epoch milliseconds of an ISO 8601 UTC time ("2026-01-10T00:00:00Z")."""
    t = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return int(t.timestamp() * 1000)


def imei(n):
    """A 15-digit IMEI with a valid Luhn check digit."""
    body = str(35000000000000 + n)
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _db(data):
    return sqlite3.connect(os.path.join(str(data), "fleetd.db"), timeout=10, isolation_level=None)


def _tenant_id(db, tenant):
    return db.execute("SELECT id FROM tenants WHERE name = ?", (tenant,)).fetchone()[0]


def give_device(data, device_imei, tenant):
    with closing(_db(data)) as db:
        db.execute("UPDATE devices SET tenant_id = ? WHERE imei = ?", (_tenant_id(db, tenant), device_imei))
        return db.execute("SELECT id FROM devices WHERE imei = ?", (device_imei,)).fetchone()[0]


def add_vehicle(data, tenant, name, plate=""):
    with closing(_db(data)) as db:
        cur = db.execute("INSERT INTO vehicles (tenant_id, name, plate, created_at) VALUES (?, ?, ?, 0)",
                         (_tenant_id(db, tenant), name, plate))
        return cur.lastrowid


def install(data, vehicle_id, device_imei, start, end=None):
    with closing(_db(data)) as db:
        tenant, = db.execute("SELECT tenant_id FROM vehicles WHERE id = ?", (vehicle_id,)).fetchone()
        device, = db.execute("SELECT id FROM devices WHERE imei = ?", (device_imei,)).fetchone()
        cur = db.execute("INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, to_time, created_at) "
                         "VALUES (?, ?, ?, ?, ?, 0)", (tenant, vehicle_id, device, ms(start), end and ms(end)))
        return cur.lastrowid


def add_group(data, tenant, name, vehicle_ids):
    with closing(_db(data)) as db:
        gid = db.execute("INSERT INTO vehicle_groups (tenant_id, name, created_at) VALUES (?, ?, 0)",
                         (_tenant_id(db, tenant), name)).lastrowid
        for v in vehicle_ids:
            db.execute("INSERT INTO group_vehicles (group_id, vehicle_id) VALUES (?, ?)", (gid, v))
        return gid


def narrow(data, email, group_id):
    """Limits the user to the vehicles of a group."""
    with closing(_db(data)) as db:
        uid, = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
        db.execute("INSERT INTO user_groups (user_id, group_id) VALUES (?, ?)", (uid, group_id))
