"""Support access: the operator's staff read a customer's vehicle data only while that customer's
support grant is active, only by reading, and every such read lands in the customer's audit log."""
import os

import pytest

from apiclient import FAST_HASH, add_user, admin
from conftest import Server
import fleetapi


@pytest.fixture
def srv(tmp_path):
    data = tmp_path / "data"
    os.makedirs(data)
    for t in ("acme", "globex"):
        admin(data, "tenant", "add", "--name", t)
    add_user(data, "operator", "ops@provider.example", "operator-admin")
    add_user(data, "globex", "boss@globex.example", "tenant-admin")
    s = Server(data, *FAST_HASH).start()
    s.op = fleetapi.administrator(s.port("http"), "ops@provider.example")
    s.boss = fleetapi.administrator(s.port("http"), "boss@globex.example")
    s.van = fleetapi.add_vehicle(s.boss, "Globex van", plate="GX-1")
    yield s
    s.stop()


def test_the_operator_reads_a_customer_only_under_its_grant(srv):
    op, boss = srv.op, srv.boss
    # Without a grant: refused, and the operator's own scope has no such vehicle.
    status, body, _ = op.get("/api/v1/vehicles?support_tenant=globex")
    assert status == 403 and body["type"].endswith("/support-grant-required"), body
    status, body, _ = op.get("/api/v1/vehicles")
    assert status == 200 and body["items"] == []
    status, body, _ = op.get("/api/v1/vehicles?support_tenant=nobody")
    assert status == 404
    grant = fleetapi.ok(boss.post("/api/v1/support-grants", {"reason": "ticket 42", "hours": 1}))
    status, body, _ = op.get("/api/v1/vehicles?support_tenant=globex")
    assert status == 200 and [v["name"] for v in body["items"]] == ["Globex van"], body
    status, body, _ = op.get("/api/v1/vehicles/%d?support_tenant=globex" % srv.van)
    assert status == 200 and body["plate"] == "GX-1"
    status, body, _ = op.get("/api/v1/positions/latest?support_tenant=globex")
    assert status == 200
    # Reading only: no change, and not for another tenant that granted nothing.
    status, body, _ = op.call("PATCH", "/api/v1/vehicles/%d?support_tenant=globex" % srv.van, {"name": "x"})
    assert status == 403
    status, body, _ = op.post("/api/v1/vehicles?support_tenant=globex", {"name": "x"})
    assert status == 403
    status, body, _ = op.get("/api/v1/vehicles?support_tenant=acme")
    assert status == 403
    # The customer sees each read in its own log.
    status, log, _ = boss.get("/api/v1/audit?action=support.read")
    assert status == 200, log
    reads = [e for e in log["items"] if e["action"] == "support.read"]
    assert len(reads) >= 3 and all(e["actor"] == "user:%d" % op.user["id"] for e in reads)
    # Revoked: refused again at once.
    fleetapi.ok(boss.delete("/api/v1/support-grants/%d" % grant["id"]))
    status, body, _ = op.get("/api/v1/vehicles?support_tenant=globex")
    assert status == 403


def test_support_tenant_is_the_operators_only(srv):
    boss = srv.boss
    status, body, _ = boss.get("/api/v1/vehicles?support_tenant=acme")
    assert status == 403
