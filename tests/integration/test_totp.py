"""Two-factor authentication against the real binary: the mandatory enrolment gate for administrators,
enrolment and confirmation, codes accepted once, recovery codes, and disabling where allowed."""
import os
import time

import pytest

from apiclient import Client, add_user, admin, request, totp
from conftest import Server


@pytest.fixture
def srv(tmp_path):
    data = tmp_path / "data"
    os.makedirs(data)
    admin(data, "tenant", "add", "--name", "acme")
    add_user(data, "acme", "alice@acme.example", "tenant-admin")
    add_user(data, "acme", "victor@acme.example", "viewer")
    s = Server(data, "--argon2-memory-kib", "64", "--argon2-ops", "1").start()
    yield s
    s.stop()


def fresh_step():
    """Waits until the current 30-second step has at least 3 s left, so a test's codes stay valid."""
    while 30 - time.time() % 30 < 3:
        time.sleep(0.5)


def enrol(c):
    status, body, _ = c.post("/api/v1/auth/totp/enroll")
    assert status == 200, body
    fresh_step()
    status, codes, _ = c.post("/api/v1/auth/totp/confirm", {"code": totp(body["secret"])})
    assert status == 200, codes
    return body["secret"], codes["recovery_codes"]


def test_administrators_must_enrol_before_anything_else(srv):
    c = Client(srv.port("http"))
    c.login("alice@acme.example")
    status, body, _ = c.post("/api/v1/auth/totp/recovery-codes", {"code": "123456"})
    assert status == 403 and body["type"].endswith("/totp-enrolment-required"), body
    status, me, _ = c.get("/api/v1/me")  # the caller may still see who they are
    assert status == 200 and me["totp_enabled"] is False
    before = c.cookie
    secret, codes = enrol(c)
    assert len(codes) == 10 and len(set(codes)) == 10
    status, me, _ = c.get("/api/v1/me")
    assert me["totp_enabled"] is True
    # Enrolment gave the session new secrets: the cookie from before the second factor is dead.
    assert c.cookie != before
    assert request(srv.port("http"), "GET", "/api/v1/me", None, {"Cookie": before})[0] == 401


def test_enrolment_returns_a_secret_and_uri_and_confirms_only_with_its_code(srv):
    c = Client(srv.port("http"))
    c.login("alice@acme.example")
    status, first, _ = c.post("/api/v1/auth/totp/enroll")
    assert status == 200
    assert first["otpauth_uri"].startswith("otpauth://totp/fleetd:alice%40acme.example?secret=" + first["secret"]) or \
        first["otpauth_uri"].startswith("otpauth://totp/fleetd:alice@acme.example?secret=" + first["secret"])
    status, second, _ = c.post("/api/v1/auth/totp/enroll", {})  # a new enrolment replaces the pending one
    assert status == 200 and second["secret"] != first["secret"]
    fresh_step()
    status, body, _ = c.post("/api/v1/auth/totp/confirm", {"code": totp(first["secret"])})
    assert status == 400 and body["type"].endswith("/totp-invalid")
    status, body, _ = c.post("/api/v1/auth/totp/confirm", {"code": "12345x"})
    assert status == 400
    status, body, _ = c.post("/api/v1/auth/totp/confirm", {"code": totp(second["secret"])})
    assert status == 200 and len(body["recovery_codes"]) == 10
    status, body, _ = c.post("/api/v1/auth/totp/enroll")
    assert status == 409 and body["type"].endswith("/totp-already-enabled")
    # The secret is sealed at rest: the database file does not hold it.
    with open(os.path.join(srv.data, "fleetd.db"), "rb") as f:
        db = f.read()
    for name in os.listdir(srv.data):
        if name.startswith("fleetd.db-wal"):
            with open(os.path.join(srv.data, name), "rb") as f:
                db += f.read()
    assert second["secret"].encode() not in db


def test_sign_in_needs_the_code_and_each_code_works_once(srv):
    c = Client(srv.port("http"))
    c.login("alice@acme.example")
    secret, _ = enrol(c)
    d = Client(srv.port("http"))
    status, body = d.login("alice@acme.example", expect=401)
    assert body["type"].endswith("/totp-required")
    # The code used to confirm is spent; the next step's code (one step of tolerance) works once.
    status, body = d.login("alice@acme.example", totp_code=totp(secret), expect=401)
    assert body["type"].endswith("/totp-invalid")
    d.login("alice@acme.example", totp_code=totp(secret, step=1))
    status, body = Client(srv.port("http")).login("alice@acme.example", totp_code=totp(secret, step=1), expect=401)
    assert body["type"].endswith("/totp-invalid")
    status, body = Client(srv.port("http")).login("alice@acme.example", totp_code=totp(secret, step=5), expect=401)
    assert body["type"].endswith("/totp-invalid")


def test_recovery_codes_work_once_and_can_be_renewed(srv):
    c = Client(srv.port("http"))
    c.login("alice@acme.example")
    secret, codes = enrol(c)
    Client(srv.port("http")).login("alice@acme.example", totp_code=codes[0])
    status, body = Client(srv.port("http")).login("alice@acme.example", totp_code=codes[0], expect=401)
    assert body["type"].endswith("/totp-invalid")
    status, renewed, _ = c.post("/api/v1/auth/totp/recovery-codes", {"code": totp(secret, step=1)})
    assert status == 200 and not set(renewed["recovery_codes"]) & set(codes)
    status, body = Client(srv.port("http")).login("alice@acme.example", totp_code=codes[1], expect=401)
    Client(srv.port("http")).login("alice@acme.example", totp_code=renewed["recovery_codes"][3])


def test_disable_is_refused_for_administrators_and_allowed_for_others(srv):
    a = Client(srv.port("http"))
    a.login("alice@acme.example")
    secret, _ = enrol(a)
    status, body, _ = a.post("/api/v1/auth/totp/disable", {"password": "plum-orchard-telescope-42",
                                                           "code": totp(secret, step=1)})
    assert status == 403 and body["type"].endswith("/totp-mandatory")
    v = Client(srv.port("http"))
    v.login("victor@acme.example")
    vsecret, _ = enrol(v)
    status, body, _ = v.post("/api/v1/auth/totp/disable", {"password": "wrong-password-123", "code": totp(vsecret, step=1)})
    assert status == 400
    status, body, _ = v.post("/api/v1/auth/totp/disable", {"password": "plum-orchard-telescope-42",
                                                           "code": totp(vsecret, step=1)})
    assert status == 204, body
    Client(srv.port("http")).login("victor@acme.example")  # no second factor any more


def test_totp_changes_are_audited(srv):
    c = Client(srv.port("http"))
    c.login("alice@acme.example")
    enrol(c)
    out = admin(srv.data, "audit", "list").stdout
    assert "totp.enroll" in out and "totp.enabled" in out
    assert admin(srv.data, "audit", "verify").returncode == 0
