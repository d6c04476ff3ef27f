"""Accounts, tenants and the secure API against the real binary: the admin CLI, sign-in, sessions,
lockout, CSRF, strict bodies, security headers and the audit chain."""
import json
import os
import socket
import sqlite3
import subprocess

import pytest

from apiclient import FAST_HASH, PASSWORD, admin, cookies, header, request
from conftest import FLEETD, Server

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"


@pytest.fixture
def api(tmp_path):
    """A server with tenant 'acme' and its admin alice@acme.example."""
    data = tmp_path / "data"
    os.makedirs(data)
    admin(data, "tenant", "add", "--name", "acme")
    r = admin(data, "user", "add", "--tenant", "acme", "--email", "Alice@Acme.example", "--role", "tenant-admin",
              "--password-stdin", *FAST_HASH, stdin=PASSWORD + "\n")
    srv = Server(data, *FAST_HASH).start()
    srv.user = json.loads(r.stdout)
    yield srv
    srv.stop()


def login(srv, email="alice@acme.example", password=PASSWORD, **extra):
    return request(srv.port("http"), "POST", "/api/v1/auth/login", {"email": email, "password": password, **extra})


def signed_in(srv):
    status, headers, body = login(srv)
    assert status == 200, body
    c = cookies(headers)
    session = c["__Host-fleetd_session"][0]
    csrf = c["__Host-fleetd_csrf"][0]
    return session, csrf, "__Host-fleetd_session=%s; __Host-fleetd_csrf=%s" % (session, csrf)


def test_admin_cli_creates_tenants_and_users_without_printing_secrets(tmp_path):
    data = tmp_path / "data"
    t = json.loads(admin(data, "tenant", "add", "--name", "acme").stdout)
    assert t["name"] == "acme" and t["status"] == "active"
    assert admin(data, "tenant", "add", "--name", "acme", check=False).returncode == 1
    names = [x["name"] for x in map(json.loads, admin(data, "tenant", "list").stdout.splitlines())]
    assert names == ["operator", "acme"]  # the operator's tenant is made on first use
    r = admin(data, "user", "add", "--tenant", "acme", "--email", "Bob@Acme.example", "--role", "viewer",
              "--password-stdin", *FAST_HASH, stdin=PASSWORD + "\n")
    u = json.loads(r.stdout)
    assert u["email"] == "bob@acme.example" and u["role"] == "viewer" and u["tenant"] == "acme"
    assert PASSWORD not in r.stdout and "argon2" not in r.stdout and "hash" not in r.stdout
    listed = [json.loads(x) for x in admin(data, "user", "list", "--tenant", "acme").stdout.splitlines()]
    assert [x["email"] for x in listed] == ["bob@acme.example"]
    assert admin(data, "user", "list", "--tenant", "operator").stdout == ""


def test_admin_cli_refuses_weak_passwords_and_wrong_roles(tmp_path):
    data = tmp_path / "data"
    admin(data, "tenant", "add", "--name", "acme")
    for weak in ("short", "password1234", "acme-is-the-best-company", "carol-likes-long-walks"):
        r = admin(data, "user", "add", "--tenant", "acme", "--email", "carol@acme.example", "--role", "viewer",
                  "--password-stdin", *FAST_HASH, stdin=weak + "\n", check=False)
        assert r.returncode == 1 and "password refused" in r.stderr, weak
        assert weak not in r.stderr
    r = admin(data, "user", "add", "--tenant", "acme", "--email", "carol@acme.example", "--role", "operator-admin",
              "--password-stdin", *FAST_HASH, stdin=PASSWORD + "\n", check=False)
    assert r.returncode == 1
    r = admin(data, "user", "add", "--tenant", "operator", "--email", "ops@provider.example", "--role",
              "operator-admin", "--password-stdin", *FAST_HASH, stdin=PASSWORD + "\n")
    assert json.loads(r.stdout)["tenant"] == "operator"


def test_login_sets_the_session_cookie_with_every_attribute(api):
    status, headers, body = login(api, email="ALICE@acme.example")
    assert status == 200, body
    doc = json.loads(body)
    assert doc["user"] == {"id": api.user["id"], "email": "alice@acme.example", "role": "tenant-admin",
                           "tenant": "acme", "must_change_password": False, "totp_enabled": False, "disabled": False,
                           "time_zone": "Europe/Paris"}
    c = cookies(headers)
    value, attrs = c["__Host-fleetd_session"]
    assert len(value) >= 40
    assert set(attrs) == {"Path=/", "Secure", "HttpOnly", "SameSite=Strict"}
    csrf, csrf_attrs = c["__Host-fleetd_csrf"]
    assert csrf == doc["csrf_token"] and "HttpOnly" not in csrf_attrs and "Secure" in csrf_attrs
    assert header(headers, "cache-control") == ["no-store"]
    # A new session at every sign-in.
    _, headers2, _ = login(api)
    assert cookies(headers2)["__Host-fleetd_session"][0] != value


def test_every_answer_carries_the_security_headers(api):
    for method, path, body in [("POST", "/api/v1/auth/login", {"email": "x@y.z", "password": "p"}),
                               ("GET", "/api/v1/me", None), ("GET", "/api/v1/nothing", None), ("GET", "/healthz", None)]:
        _, headers, _ = request(api.port("http"), method, path, body)
        assert header(headers, "content-security-policy") == [CSP], path
        assert "unsafe-inline" not in CSP
        assert header(headers, "x-content-type-options") == ["nosniff"], path
        assert header(headers, "referrer-policy") == ["no-referrer"], path
        if path.startswith("/api"):
            assert header(headers, "cache-control") == ["no-store"], path


def test_me_with_the_cookie_and_without(api):
    _, _, cookie = signed_in(api)
    status, _, body = request(api.port("http"), "GET", "/api/v1/me", headers={"Cookie": cookie})
    assert status == 200, body
    assert json.loads(body)["email"] == "alice@acme.example"
    status, _, body = request(api.port("http"), "GET", "/api/v1/me")
    assert status == 401 and json.loads(body)["type"].endswith("/unauthenticated")
    status, _, _ = request(api.port("http"), "GET", "/api/v1/me", headers={"Cookie": "__Host-fleetd_session=forged"})
    assert status == 401


def test_wrong_password_and_unknown_email_get_the_same_answer(api):
    s1, h1, b1 = login(api, password="not-the-password-at-all")
    s2, h2, b2 = login(api, email="nobody@acme.example", password="not-the-password-at-all")
    assert s1 == s2 == 401
    assert b1 == b2
    assert json.loads(b1)["type"] == "https://fleetd.dev/problems/invalid-credentials"
    assert "set-cookie" not in [k for k, _ in h1 + h2]


def test_five_failures_lock_the_account(api):
    for _ in range(5):
        status, _, _ = login(api, password="not-the-password-at-all")
        assert status == 401
    status, headers, body = login(api)  # even the right password, while locked
    assert status == 429, body
    assert json.loads(body)["type"].endswith("/account-locked")
    assert 0 < int(header(headers, "retry-after")[0]) <= 15 * 60
    # An unknown e-mail locks the same way (no enumeration through lockout).
    for _ in range(5):
        assert login(api, email="ghost@acme.example", password="x")[0] == 401
    assert login(api, email="ghost@acme.example", password="x")[0] == 429
    entries = [json.loads(x) for x in admin(api.data, "audit", "list").stdout.splitlines()]
    actions = [e["action"] for e in entries]
    assert actions.count("auth.login_failed") >= 10 and "auth.locked" in actions
    assert all(e["ip"] == "127.0.0.1" for e in entries if e["action"].startswith("auth."))


def test_logout_revokes_the_session_server_side(api):
    session, csrf, cookie = signed_in(api)
    port = api.port("http")
    status, headers, _ = request(port, "POST", "/api/v1/auth/logout", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert status == 204
    assert "Max-Age=0" in cookies(headers)["__Host-fleetd_session"][1]
    status, _, _ = request(port, "GET", "/api/v1/me", headers={"Cookie": cookie})
    assert status == 401
    actions = [json.loads(x)["action"] for x in admin(api.data, "audit", "list").stdout.splitlines()]
    assert actions[-2:] == ["auth.login", "auth.logout"]


def test_state_changing_requests_need_the_csrf_token_and_same_origin(api):
    session, csrf, cookie = signed_in(api)
    port = api.port("http")
    for extra in [{}, {"X-CSRF-Token": "wrong"},
                  {"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
                  # The header must match the cookie; a token without the cookie is refused.
                  {"X-CSRF-Token": csrf, "Cookie": "__Host-fleetd_session=" + session}]:
        status, _, body = request(port, "POST", "/api/v1/auth/logout", headers={"Cookie": cookie, **extra})
        assert status == 403, extra
        assert json.loads(body)["type"].endswith("/csrf")
    status, _, _ = request(port, "GET", "/api/v1/me", headers={"Cookie": cookie})
    assert status == 200  # still signed in
    status, _, _ = request(port, "POST", "/api/v1/auth/logout",
                           headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": "http://127.0.0.1:%d" % port})
    assert status == 204


def test_bodies_are_strict(api):
    port = api.port("http")
    cases = [{"email": "alice@acme.example", "password": PASSWORD, "remember": True},
             {"email": "alice@acme.example", "password": 12345678901234},
             {"email": "alice@acme.example"}, "[1,2]", "{not json"]
    for body in cases:
        status, _, text = request(port, "POST", "/api/v1/auth/login", body if isinstance(body, str) else body)
        assert status == 400, body
        assert json.loads(text)["type"].endswith("/invalid-body")
    status, _, _ = request(port, "POST", "/api/v1/auth/login", "{}", headers={"Content-Type": "text/plain"})
    assert status == 415
    huge = json.dumps({"email": "a@b.c", "password": "x" * (70 * 1024)})
    status, headers, text = request(port, "POST", "/api/v1/auth/login", huge)
    assert status == 413
    assert header(headers, "content-security-policy") == [CSP]
    status, headers, _ = request(port, "GET", "/api/v1/auth/login")
    assert status == 405 and header(headers, "allow") == ["POST"]


def test_suspended_tenant_cannot_sign_in_and_loses_its_sessions(api):
    _, _, cookie = signed_in(api)
    admin(api.data, "tenant", "suspend", "--name", "acme")
    port = api.port("http")
    assert request(port, "GET", "/api/v1/me", headers={"Cookie": cookie})[0] == 401
    status, _, body = login(api)
    assert status == 403 and json.loads(body)["type"].endswith("/tenant-suspended")
    status, _, _ = login(api, password="not-the-password-at-all")
    assert status == 401  # a wrong password learns nothing about the tenant
    admin(api.data, "tenant", "activate", "--name", "acme")
    assert login(api)[0] == 200


def test_audit_verify_detects_tampering(api):
    signed_in(api)
    login(api, password="not-the-password-at-all")
    r = admin(api.data, "audit", "verify")
    doc = json.loads(r.stdout)
    assert doc["ok"] is True and doc["entries"] >= 5
    db = sqlite3.connect(os.path.join(api.data, "fleetd.db"))
    with pytest.raises(sqlite3.DatabaseError):  # the table refuses updates...
        db.execute("UPDATE audit_log SET ip = '10.0.0.1' WHERE action = 'auth.login'")
    db.execute("DROP TRIGGER audit_log_no_update")  # ...but someone with the file can get past that
    broken = db.execute("SELECT min(id) FROM audit_log WHERE action = 'auth.login'").fetchone()[0]
    db.execute("UPDATE audit_log SET ip = '10.0.0.1' WHERE id = ?", (broken,))
    db.commit()
    db.close()
    r = admin(api.data, "audit", "verify", check=False)
    assert r.returncode == 1
    assert json.loads(r.stdout) == {"ok": False, "first_broken_id": broken,
                                    "reason": "hash does not match the entry's content"}
