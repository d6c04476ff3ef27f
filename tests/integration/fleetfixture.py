"""The fleet both test_positions.py and test_live.py start from: two tenants, their users, vehicles and
devices, and Teltonika traffic sent through the real device port."""
import os
import struct

import pytest

from apiclient import FAST_HASH, Client, add_user, admin
from conftest import Server, connect, recv_exact
import fleetapi
import frames as F

HOSTILE = "=Van <1> & \"Co\" 'x',\u00e9\u2603"  # a formula, XML and CSV specials, non-ASCII
DEV_A = F.TELTONIKA_IMEI  # in acme's van from 2026-01-05 to 2026-01-20, then device B
DEV_B = fleetapi.imei(2)
DEV_G = fleetapi.imei(3)  # globex's


def send(srv, device_imei, records):
    """Sends Teltonika Codec 8 packets of `records` [(iso time, lat, lon, speed)] and waits for each ACK."""
    parts = [records[i:i + 250] for i in range(0, len(records), 250)]
    send_packets(srv, device_imei, [(F.codec8_packet([(fleetapi.ms(t), lat, lon, v) for t, lat, lon, v in part]),
                                     len(part)) for part in parts])


def send_packets(srv, device_imei, packets):
    """Sends Teltonika packets [(bytes, number of records)] on one connection and waits for each ACK."""
    s = connect(srv.port("teltonika"))
    s.sendall(F.imei_frame(device_imei))
    assert recv_exact(s, 1) == b"\x01"
    for packet, count in packets:
        s.sendall(packet)
        assert recv_exact(s, 4) == struct.pack(">I", count)
    s.close()


@pytest.fixture
def fleet(tmp_path):
    """acme (a van with devices A then B, a truck without a device) and globex (a car with device G)."""
    data = tmp_path / "data"
    os.makedirs(data)
    admin(data, "tenant", "add", "--name", "acme")
    admin(data, "tenant", "add", "--name", "globex")
    for email, tenant, role in [("manager@acme.example", "acme", "fleet-manager"),
                                ("narrow@acme.example", "acme", "viewer"),
                                ("driver@acme.example", "acme", "driver"),
                                ("manager@globex.example", "globex", "fleet-manager"),
                                ("ops@provider.example", "operator", "operator-admin"),
                                ("admin@acme.example", "acme", "tenant-admin")]:
        add_user(data, tenant, email, role)
    for dev in (DEV_A, DEV_B, DEV_G):
        admin(data, "device", "add", "--imei", dev, "--protocol", "teltonika")
    srv = Server(data, *FAST_HASH).start()
    port = srv.port("http")
    srv.operator = fleetapi.administrator(port, "ops@provider.example")
    ids = {dev: fleetapi.give_device(srv.operator, dev, tenant)
           for dev, tenant in [(DEV_A, "acme"), (DEV_B, "acme"), (DEV_G, "globex")]}
    acme, globex = client(srv, "manager@acme.example"), client(srv, "manager@globex.example")
    srv.van = fleetapi.add_vehicle(acme, HOSTILE, plate="AB-123-CD")
    srv.truck = fleetapi.add_vehicle(acme, "Truck")
    srv.car = fleetapi.add_vehicle(globex, "Car")
    fleetapi.install(acme, srv.van, ids[DEV_A], "2026-01-05T00:00:00Z", "2026-01-20T00:00:00Z")
    fleetapi.install(acme, srv.van, ids[DEV_B], "2026-01-20T00:00:00Z")
    fleetapi.install(globex, srv.car, ids[DEV_G], "2026-01-01T00:00:00Z")
    srv.trucks = fleetapi.add_group(acme, "Trucks", [srv.truck])
    fleetapi.narrow(fleetapi.administrator(port, "admin@acme.example"), "narrow@acme.example", [srv.trucks])
    yield srv
    srv.stop()


def client(srv, email):
    c = Client(srv.port("http"))
    c.login(email)
    return c
