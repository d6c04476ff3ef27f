"""Set-up of a fleet through the API, for test_positions.py and test_live.py: devices given to tenants
by the operator, vehicles, installations and groups created by each tenant's fleet manager."""
import datetime

from apiclient import Client, totp


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


def ok(resp):
    status, body, _ = resp
    assert status in (200, 201, 204), body
    return body


def administrator(port, email):
    """The operator-admin or tenant-admin `email`, signed in with TOTP enrolled (administrators must)."""
    c = Client(port)
    c.login(email)
    enrolment = ok(c.post("/api/v1/auth/totp/enroll"))
    ok(c.post("/api/v1/auth/totp/confirm", {"code": totp(enrolment["secret"])}))
    return c


def give_device(op, device_imei, tenant):
    """The operator gives a registered device to a tenant; returns its id."""
    page = ok(op.get("/api/v1/devices?q=" + device_imei))
    device = [d for d in page["items"] if d["imei"] == device_imei][0]
    ok(op.patch("/api/v1/devices/%d" % device["id"], {"tenant": tenant}))
    return device["id"]


def add_vehicle(c, name, plate=""):
    return ok(c.post("/api/v1/vehicles", {"name": name, "plate": plate}))["id"]


def install(c, vehicle_id, device_id, start, end=None):
    body = {"vehicle_id": vehicle_id, "device_id": device_id, "from": start}
    if end:
        body["to"] = end
    return ok(c.post("/api/v1/installations", body))["id"]


def add_group(c, name, vehicle_ids):
    gid = ok(c.post("/api/v1/groups", {"name": name}))["id"]
    ok(c.call("PUT", "/api/v1/groups/%d/vehicles" % gid, {"vehicle_ids": vehicle_ids}))
    return gid


def narrow(admin_client, email, group_ids):
    """A tenant admin limits a user of the tenant to the vehicles of some groups."""
    page = ok(admin_client.get("/api/v1/users?limit=1000"))
    user = [u for u in page["items"] if u["email"] == email][0]
    ok(admin_client.patch("/api/v1/users/%d" % user["id"], {"group_ids": group_ids}))
