"""API tokens and the administration routes against the real binary: token scopes, revocation and
expiry, tokens stored hashed, tenant suspension, the role rules of user administration, other
tenants' ids, audit visibility and paging, and support grants. Administrators enrol TOTP first
(POST /api/v1/auth/totp/enroll, /confirm). Support-grant expiry needs a clock the server does not
take: it is tested in the store's unit tests (AdminStoreTest) with injected times."""
import glob
import hashlib
import os
import sqlite3
import time

import pytest

from apiclient import FAST_HASH, Client, add_user, admin, request, totp
from conftest import Server

OPS = "ops@provider.example"
ALICE = "alice@acme.example"  # tenant-admin of acme
FRED = "fred@acme.example"  # fleet-manager of acme
VICTOR = "victor@acme.example"  # viewer of acme
GINA = "gina@globex.example"  # tenant-admin of globex


@pytest.fixture
def srv(tmp_path):
    data = tmp_path / "data"
    os.makedirs(data)
    admin(data, "tenant", "add", "--name", "acme")
    admin(data, "tenant", "add", "--name", "globex")
    s_users = {}
    for tenant, email, role in (("operator", OPS, "operator-admin"), ("acme", ALICE, "tenant-admin"),
                                ("acme", FRED, "fleet-manager"), ("acme", VICTOR, "viewer"),
                                ("globex", GINA, "tenant-admin")):
        s_users[email] = add_user(data, tenant, email, role)
    s = Server(data, *FAST_HASH).start()
    s.users = s_users
    yield s
    s.stop()


def fresh_step():
    """Waits until the current 30-second TOTP step has at least 3 s left, so a code stays valid."""
    while 30 - time.time() % 30 < 3:
        time.sleep(0.5)


def signed_in(srv, email):
    c = Client(srv.port("http"))
    c.login(email)
    return c


def administrator(srv, email):
    """A signed-in administrator who has enrolled TOTP in this session (as their role requires)."""
    c = signed_in(srv, email)
    status, body, _ = c.post("/api/v1/auth/totp/enroll")
    assert status == 200, body
    fresh_step()
    status, codes, _ = c.post("/api/v1/auth/totp/confirm", {"code": totp(body["secret"])})
    assert status == 200, codes
    return c


def with_token(srv, token):
    c = Client(srv.port("http"))
    c.token = token
    return c


def make_token(c, scopes, **extra):
    status, body, _ = c.post("/api/v1/me/tokens", {"name": "ci", "scopes": scopes, **extra})
    assert status == 201, body
    return body


def problem(response, status, kind):
    code, body, _ = response
    assert code == status, body
    assert body["type"] == "https://fleetd.dev/problems/" + kind, body


def db_bytes(srv):
    out = b""
    for path in glob.glob(os.path.join(srv.data, "fleetd.db*")):
        with open(path, "rb") as f:
            out += f.read()
    return out


# --- API tokens ------------------------------------------------------------------------------------

def test_token_is_shown_once_and_stored_only_hashed(srv):
    fred = signed_in(srv, FRED)
    made = make_token(fred, ["read", "read"], expires_in_days=30)
    token = made["token"]
    assert token.startswith("fleetd_") and len(token) == 50
    assert made["scopes"] == ["read"] and made["last_used_at"] is None
    status, listed, _ = fred.get("/api/v1/me/tokens")
    assert status == 200 and [t["id"] for t in listed["items"]] == [made["id"]]
    assert "token" not in listed["items"][0] and token not in str(listed)
    status, me, _ = with_token(srv, token).get("/api/v1/me")
    assert status == 200 and me["email"] == FRED
    status, listed, _ = fred.get("/api/v1/me/tokens")
    assert listed["items"][0]["last_used_at"] is not None
    stored = db_bytes(srv)
    assert token.encode() not in stored
    assert token[7:].encode() not in stored
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored


def test_token_scopes_narrow_what_a_token_may_do(srv):
    alice = administrator(srv, ALICE)
    read = with_token(srv, make_token(alice, ["read"])["token"])
    write = with_token(srv, make_token(alice, ["read", "write"])["token"])
    status, users, _ = read.get("/api/v1/users")
    assert status == 200 and users["total"] == 3
    problem(read.post("/api/v1/users", {"email": "new@acme.example", "role": "viewer"}), 403, "forbidden")
    # A write token writes (no CSRF token needed)...
    status, made, _ = write.post("/api/v1/vehicles", {"name": "Token van"})
    assert status == 201, made
    # ...but user and role changes need a recent password check, which a token cannot give.
    problem(write.post("/api/v1/users", {"email": "new@acme.example", "role": "viewer"}), 403, "step-up-required")
    # Tokens manage no tokens (they could outlive a revoked one) and grant no access.
    problem(write.post("/api/v1/me/tokens", {"name": "x", "scopes": ["read"]}), 403, "session-required")
    problem(write.get("/api/v1/me/tokens"), 403, "session-required")
    problem(write.post("/api/v1/support-grants", {"reason": "x", "hours": 1}), 403, "session-required")


def test_token_bodies_are_checked(srv):
    fred = signed_in(srv, FRED)
    for body in ({"name": "x", "scopes": []}, {"name": "x", "scopes": ["admin"]}, {"name": "", "scopes": ["read"]},
                 {"name": "x", "scopes": ["read"], "expires_in_days": 0},
                 {"name": "x", "scopes": ["read"], "expires_in_days": 366}, {"name": "x"}):
        problem(fred.post("/api/v1/me/tokens", body), 400, "invalid-body")
    made = make_token(fred, ["commands", "read"], expires_in_days=365)
    assert made["scopes"] == ["read", "commands"]
    days = (time.mktime(time.strptime(made["expires_at"][:19], "%Y-%m-%dT%H:%M:%S")) -
            time.mktime(time.strptime(made["created_at"][:19], "%Y-%m-%dT%H:%M:%S"))) / 86400
    assert round(days) == 365
    hostile = make_token(fred, ["read"], name='"</script><b>\u202e')
    assert hostile["name"] == '"</script><b>\u202e'


def test_revoked_expired_and_malformed_tokens_get_401(srv):
    fred = signed_in(srv, FRED)
    revoked = make_token(fred, ["read"])
    expired = make_token(fred, ["read"])
    assert with_token(srv, revoked["token"]).get("/api/v1/me")[0] == 200
    status, _, _ = fred.delete("/api/v1/me/tokens/%d" % revoked["id"])
    assert status == 204
    problem(fred.delete("/api/v1/me/tokens/%d" % revoked["id"]), 404, "not-found")
    status, body, headers = with_token(srv, revoked["token"]).get("/api/v1/me")
    assert status == 401 and body["type"].endswith("/invalid-token")
    assert ("www-authenticate", 'Bearer error="invalid_token"') in headers
    # The server takes no clock: expire the token in its database file, as time would.
    db = sqlite3.connect(os.path.join(srv.data, "fleetd.db"))
    db.execute("UPDATE api_tokens SET expires_at = 1 WHERE id = ?", (expired["id"],))
    db.commit()
    db.close()
    problem(with_token(srv, expired["token"]).get("/api/v1/me"), 401, "invalid-token")
    for header in ("Bearer abc", "Bearer fleetd_" + "A" * 43, "Basic " + expired["token"], "Bearer"):
        status, _, body = request(srv.port("http"), "GET", "/api/v1/me", headers={"Authorization": header})
        assert status == 401 and "invalid-token" in body, header
    # Another user's token id is as missing as an unknown one.
    victor = signed_in(srv, VICTOR)
    live = make_token(fred, ["read"])
    problem(victor.delete("/api/v1/me/tokens/%d" % live["id"]), 404, "not-found")
    problem(victor.delete("/api/v1/me/tokens/x"), 404, "not-found")
    assert with_token(srv, live["token"]).get("/api/v1/me")[0] == 200


def test_an_administrator_needs_the_second_factor_before_making_a_token(srv):
    alice = signed_in(srv, ALICE)
    problem(alice.post("/api/v1/me/tokens", {"name": "x", "scopes": ["read"]}), 403, "totp-enrolment-required")


# --- tenants ---------------------------------------------------------------------------------------

def tenant_id(ops, name):
    status, page, _ = ops.get("/api/v1/tenants?limit=1000")
    assert status == 200, page
    return next(t["id"] for t in page["items"] if t["name"] == name)


def test_tenant_suspension_blocks_sign_in_and_tokens_for_good(srv):
    ops = administrator(srv, OPS)
    fred = signed_in(srv, FRED)
    token = make_token(fred, ["read"])["token"]
    gina = administrator(srv, GINA)
    acme = tenant_id(ops, "acme")
    status, t, _ = ops.patch("/api/v1/tenants/%d" % acme, {"status": "suspended"})
    assert status == 200 and t["status"] == "suspended", t
    problem(fred.get("/api/v1/me"), 401, "unauthenticated")
    problem(with_token(srv, token).get("/api/v1/me"), 401, "invalid-token")
    Client(srv.port("http")).login(FRED, expect=403)
    assert gina.get("/api/v1/me")[0] == 200  # another tenant is untouched
    status, t, _ = ops.patch("/api/v1/tenants/%d" % acme, {"status": "active"})
    assert t["status"] == "active"
    problem(with_token(srv, token).get("/api/v1/me"), 401, "invalid-token")  # revoked, not paused
    signed_in(srv, FRED)
    problem(ops.patch("/api/v1/tenants/%d" % tenant_id(ops, "operator"), {"status": "suspended"}), 403, "forbidden")
    status, page, _ = ops.get("/api/v1/audit?action=tenant.suspend")
    assert [e["target"] for e in page["items"]] == ["tenant:acme"]


def test_tenants_are_the_operators_and_checked(srv):
    ops = administrator(srv, OPS)
    alice = administrator(srv, ALICE)
    problem(alice.get("/api/v1/tenants"), 403, "forbidden")
    problem(alice.post("/api/v1/tenants", {"name": "mine"}), 403, "forbidden")
    for zone in ("Mars/Olympus", "../../../etc/passwd", "/etc/localtime", "Europe", "Europe/Paris\u0000", ""):
        problem(ops.post("/api/v1/tenants", {"name": "initech", "time_zone": zone}), 400, "invalid-body")
    for name in ("Initech", "-x", "a b", "<script>", "x" * 65):
        problem(ops.post("/api/v1/tenants", {"name": name}), 400, "invalid-body")
    status, t, _ = ops.post("/api/v1/tenants", {"name": "initech", "time_zone": "America/New_York",
                                                "require_totp": True})
    assert status == 201 and t["time_zone"] == "America/New_York" and t["require_totp"] is True, t
    problem(ops.post("/api/v1/tenants", {"name": "initech"}), 409, "conflict")
    status, got, _ = ops.get("/api/v1/tenants/%d" % t["id"])
    assert got == t
    problem(ops.get("/api/v1/tenants/99999"), 404, "not-found")
    problem(ops.patch("/api/v1/tenants/99999", {"require_totp": False}), 404, "not-found")
    problem(ops.patch("/api/v1/tenants/%d" % t["id"], {"status": "gone"}), 400, "invalid-body")
    status, page, _ = ops.get("/api/v1/tenants?sort=-name&limit=2")
    assert [x["name"] for x in page["items"]] == ["operator", "initech"] and page["total"] == 4
    problem(ops.get("/api/v1/tenants?sort=password"), 400, "invalid-query")


def test_a_tenant_that_requires_totp_holds_its_users_back_until_they_enrol(srv):
    ops = administrator(srv, OPS)
    victor = signed_in(srv, VICTOR)
    assert victor.get("/api/v1/me")[0] == 200
    status, _, _ = ops.patch("/api/v1/tenants/%d" % tenant_id(ops, "acme"), {"require_totp": True})
    assert status == 200
    problem(victor.get("/api/v1/users"), 403, "totp-enrolment-required")
    # A token cannot get past the rule either.
    problem(victor.post("/api/v1/me/tokens", {"name": "x", "scopes": ["read"]}), 403, "totp-enrolment-required")


# --- users -----------------------------------------------------------------------------------------

def test_users_are_created_with_a_one_time_password_under_the_role_rules(srv):
    alice = administrator(srv, ALICE)
    problem(alice.post("/api/v1/users", {"email": "boss@acme.example", "role": "operator-admin"}), 403, "forbidden")
    problem(alice.post("/api/v1/users", {"email": "x@acme.example", "role": "king"}), 400, "invalid-body")
    problem(alice.post("/api/v1/users", {"email": "not-an-address", "role": "viewer"}), 400, "invalid-body")
    problem(alice.post("/api/v1/users", {"email": "x@acme.example", "role": "viewer", "tenant": "globex"}),
            403, "forbidden")
    problem(alice.post("/api/v1/users", {"email": GINA, "role": "viewer"}), 409, "conflict")
    problem(alice.post("/api/v1/users", {"email": "x@acme.example", "role": "viewer", "group_ids": [12345]}),
            404, "not-found")
    status, made, _ = alice.post("/api/v1/users", {"email": "Tina@Acme.example", "role": "tenant-admin",
                                                   "name": "Tina \"T\" <b>Turner</b>"})
    assert status == 201, made
    user, password = made["user"], made["password"]
    assert user["email"] == "tina@acme.example" and user["name"] == "Tina \"T\" <b>Turner</b>"
    assert user["must_change_password"] is True and user["tenant"] == "acme" and len(password) >= 12
    assert password.encode() not in db_bytes(srv)
    tina = Client(srv.port("http"))
    tina.login("tina@acme.example", password)
    problem(tina.get("/api/v1/users"), 403, "password-change-required")
    status, page, _ = alice.get("/api/v1/audit?action=user.add")
    assert page["items"][0]["target"] == "user:%d" % user["id"]


def test_nobody_raises_anyone_above_themself_or_demotes_or_disables_themself(srv):
    alice = administrator(srv, ALICE)
    me = srv.users[ALICE]["id"]
    victor_id = srv.users[VICTOR]["id"]
    problem(alice.patch("/api/v1/users/%d" % victor_id, {"role": "operator-admin"}), 403, "forbidden")
    problem(alice.patch("/api/v1/users/%d" % me, {"role": "viewer"}), 403, "forbidden")
    problem(alice.patch("/api/v1/users/%d" % me, {"disabled": True}), 403, "forbidden")
    status, u, _ = alice.patch("/api/v1/users/%d" % me, {"name": "Alice"})
    assert status == 200 and u["name"] == "Alice" and u["role"] == "tenant-admin"
    status, u, _ = alice.patch("/api/v1/users/%d" % victor_id, {"role": "fleet-manager"})
    assert status == 200 and u["role"] == "fleet-manager"
    victor = signed_in(srv, VICTOR)
    assert victor.get("/api/v1/users")[0] == 200  # fleet managers read users...
    problem(victor.post("/api/v1/users", {"email": "y@acme.example", "role": "viewer"}), 403, "forbidden")  # ...only


def test_viewers_cannot_list_users(srv):
    problem(signed_in(srv, VICTOR).get("/api/v1/users"), 403, "forbidden")


def test_another_tenants_users_answer_404(srv):
    alice = administrator(srv, ALICE)
    gina_id = srv.users[GINA]["id"]
    problem(alice.get("/api/v1/users/%d" % gina_id), 404, "not-found")
    problem(alice.patch("/api/v1/users/%d" % gina_id, {"disabled": True}), 404, "not-found")
    problem(alice.get("/api/v1/users/99999"), 404, "not-found")
    problem(alice.get("/api/v1/users?tenant=globex"), 403, "forbidden")
    status, page, _ = alice.get("/api/v1/users?q=example&limit=1000")
    assert GINA not in [u["email"] for u in page["items"]] and page["total"] == 3


def test_disabling_a_user_ends_their_sessions_and_tokens(srv):
    alice = administrator(srv, ALICE)
    fred = signed_in(srv, FRED)
    token = make_token(fred, ["read"])["token"]
    status, u, _ = alice.patch("/api/v1/users/%d" % srv.users[FRED]["id"], {"disabled": True})
    assert status == 200 and u["disabled"] is True
    problem(fred.get("/api/v1/me"), 401, "unauthenticated")
    problem(with_token(srv, token).get("/api/v1/me"), 401, "invalid-token")
    status, page, _ = alice.get("/api/v1/users?disabled=true")
    assert [x["email"] for x in page["items"]] == [FRED]


def test_the_operator_manages_any_tenants_users_and_is_audited(srv):
    ops = administrator(srv, OPS)
    status, page, _ = ops.get("/api/v1/users?tenant=acme&sort=email")
    assert status == 200 and [u["email"] for u in page["items"]] == [ALICE, FRED, VICTOR]
    problem(ops.get("/api/v1/users?tenant=nobody"), 404, "not-found")
    problem(ops.post("/api/v1/users", {"email": "boss@acme.example", "role": "operator-admin", "tenant": "acme"}),
            403, "forbidden")
    status, made, _ = ops.post("/api/v1/users", {"email": "boss@acme.example", "role": "tenant-admin",
                                                 "tenant": "acme"})
    assert status == 201 and made["user"]["tenant"] == "acme", made
    status, made, _ = ops.post("/api/v1/users", {"email": "ops2@provider.example", "role": "operator-admin"})
    assert status == 201 and made["user"]["tenant"] == "operator"
    status, u, _ = ops.get("/api/v1/users/%d?tenant=acme" % srv.users[FRED]["id"])
    assert status == 200 and u["email"] == FRED
    problem(ops.get("/api/v1/users/%d" % srv.users[FRED]["id"]), 404, "not-found")  # not in the operator's tenant
    # Acme's admin sees in its own audit log that the operator read its users.
    alice = administrator(srv, ALICE)
    status, page, _ = alice.get("/api/v1/audit?action=user.read")
    assert status == 200 and len(page["items"]) == 2
    assert all(e["actor_user_id"] == srv.users[OPS]["id"] for e in page["items"])


def test_group_ids_narrow_what_a_user_sees_and_administrators_are_never_narrowed(srv):
    alice = administrator(srv, ALICE)
    north = alice.post("/api/v1/groups", {"name": "North"})[1]
    south = alice.post("/api/v1/groups", {"name": "South"})[1]
    alice.post("/api/v1/vehicles", {"name": "N1", "group_ids": [north["id"]]})
    alice.post("/api/v1/vehicles", {"name": "S1", "group_ids": [south["id"]]})
    status, made, _ = alice.post("/api/v1/users", {"email": "nora@acme.example", "role": "viewer",
                                                   "group_ids": [north["id"]]})
    assert status == 201 and made["user"]["group_ids"] == [north["id"]], made
    nora_id = made["user"]["id"]
    # Nora's first sign-in asks her to change the one-time password; the victor viewer stands in.
    victor_id = srv.users[VICTOR]["id"]
    status, u, _ = alice.patch("/api/v1/users/%d" % victor_id, {"group_ids": [north["id"]]})
    assert status == 200 and u["group_ids"] == [north["id"]]
    victor = signed_in(srv, VICTOR)
    assert [v["name"] for v in victor.get("/api/v1/vehicles")[1]["items"]] == ["N1"]
    alice.patch("/api/v1/users/%d" % victor_id, {"group_ids": []})
    assert [v["name"] for v in victor.get("/api/v1/vehicles?sort=name")[1]["items"]] == ["N1", "S1"]
    problem(alice.patch("/api/v1/users/%d" % nora_id, {"role": "tenant-admin"}), 400, "invalid-body")
    status, u, _ = alice.patch("/api/v1/users/%d" % nora_id, {"role": "tenant-admin", "group_ids": []})
    assert status == 200 and u["role"] == "tenant-admin" and u["group_ids"] == []
    problem(alice.post("/api/v1/users", {"email": "x@acme.example", "role": "tenant-admin",
                                         "group_ids": [north["id"]]}), 400, "invalid-body")
    gina = administrator(srv, GINA)
    refused = gina.post("/api/v1/users", {"email": "g2@globex.example", "role": "viewer", "group_ids": [north["id"]]})
    problem(refused, 404, "not-found")  # acme's group, from globex: as unknown as any
    assert refused[1]["detail"] == "no such group %d" % north["id"]
    _, page, _ = alice.get("/api/v1/audit?action=user.update&limit=10")
    assert page["items"][0]["detail"] == {"role": "tenant-admin", "group_ids": []}


# --- audit -----------------------------------------------------------------------------------------

def test_audit_is_per_tenant_for_tenant_admins_and_all_for_the_operator(srv):
    alice = administrator(srv, ALICE)
    gina = administrator(srv, GINA)
    ops = administrator(srv, OPS)
    acme, globex = tenant_id(ops, "acme"), tenant_id(ops, "globex")
    _, mine, _ = alice.get("/api/v1/audit?limit=1000")
    assert mine["items"] and {e["tenant_id"] for e in mine["items"]} == {acme}
    _, theirs, _ = gina.get("/api/v1/audit?limit=1000")
    assert {e["tenant_id"] for e in theirs["items"]} == {globex}
    _, everything, _ = ops.get("/api/v1/audit?limit=1000")
    tenants = {e["tenant_id"] for e in everything["items"]}
    assert {acme, globex} <= tenants
    _, only_globex, _ = ops.get("/api/v1/audit?tenant=globex&limit=1000")
    assert [e["id"] for e in only_globex["items"]] == [e["id"] for e in theirs["items"]]
    problem(alice.get("/api/v1/audit?tenant=globex"), 403, "forbidden")
    problem(signed_in(srv, FRED).get("/api/v1/audit"), 403, "forbidden")
    e = mine["items"][0]
    assert set(e) == {"id", "at", "tenant_id", "actor_user_id", "actor", "action", "target", "ip", "detail", "hash"}
    assert isinstance(e["detail"], dict)


def test_audit_pages_by_keyset_newest_first_and_filters(srv):
    alice = administrator(srv, ALICE)
    for i in range(5):
        assert alice.post("/api/v1/users", {"email": "u%d@acme.example" % i, "role": "viewer"})[0] == 201
    _, everything, _ = alice.get("/api/v1/audit?limit=1000")
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True) and everything["next_before_id"] is None
    seen, before = [], None
    while True:
        status, page, _ = alice.get("/api/v1/audit?limit=2" + ("&before_id=%d" % before if before else ""))
        assert status == 200 and page["limit"] == 2
        seen += [e["id"] for e in page["items"]]
        before = page["next_before_id"]
        if before is None:
            break
    assert seen == ids
    _, adds, _ = alice.get("/api/v1/audit?action=user.add")
    assert len(adds["items"]) == 3 + 5 and all(e["action"] == "user.add" for e in adds["items"])  # CLI's + alice's
    me = srv.users[ALICE]["id"]
    _, by_alice, _ = alice.get("/api/v1/audit?actor_user_id=%d&limit=1000" % me)
    assert by_alice["items"] and all(e["actor_user_id"] == me for e in by_alice["items"])
    _, future, _ = alice.get("/api/v1/audit?from=2100-01-01T00:00:00Z")
    assert future["items"] == []
    _, past, _ = alice.get("/api/v1/audit?to=2000-01-01T00:00:00Z")
    assert past["items"] == []
    for bad in ("limit=1001", "limit=0", "before_id=x", "from=yesterday", "offset=5", "sort=id"):
        problem(alice.get("/api/v1/audit?" + bad), 400, "invalid-query")


# --- support grants --------------------------------------------------------------------------------

def test_support_grants_are_given_listed_and_ended_by_the_tenant(srv):
    alice = administrator(srv, ALICE)
    gina = administrator(srv, GINA)
    ops = administrator(srv, OPS)
    for body in ({"reason": "x", "hours": 0}, {"reason": "x", "hours": 73}, {"reason": "", "hours": 1},
                 {"hours": 1}, {"reason": "x", "hours": 1, "tenant": "globex"}):
        problem(alice.post("/api/v1/support-grants", body), 400, "invalid-body")
    status, g, _ = alice.post("/api/v1/support-grants", {"reason": "ticket <42>", "hours": 2})
    assert status == 201 and g["active"] is True and g["tenant"] == "acme" and g["revoked_at"] is None, g
    assert g["granted_by"] == srv.users[ALICE]["id"] and g["reason"] == "ticket <42>"
    problem(ops.post("/api/v1/support-grants", {"reason": "self-service", "hours": 1}), 403, "forbidden")
    problem(signed_in(srv, FRED).post("/api/v1/support-grants", {"reason": "x", "hours": 1}), 403, "forbidden")
    _, listed, _ = alice.get("/api/v1/support-grants")
    assert [x["id"] for x in listed["items"]] == [g["id"]]
    _, theirs, _ = gina.get("/api/v1/support-grants")
    assert theirs["items"] == []
    _, seen_by_ops, _ = ops.get("/api/v1/support-grants?active=true")
    assert [x["id"] for x in seen_by_ops["items"]] == [g["id"]]
    problem(gina.delete("/api/v1/support-grants/%d" % g["id"]), 404, "not-found")
    status, _, _ = alice.delete("/api/v1/support-grants/%d" % g["id"])
    assert status == 204
    problem(alice.delete("/api/v1/support-grants/%d" % g["id"]), 409, "conflict")
    _, ended, _ = ops.get("/api/v1/support-grants?tenant=acme&active=false")
    assert [x["id"] for x in ended["items"]] == [g["id"]] and ended["items"][0]["active"] is False
    _, active, _ = ops.get("/api/v1/support-grants?active=true")
    assert active["items"] == []
    _, audit, _ = alice.get("/api/v1/audit?limit=1000")
    actions = [e["action"] for e in audit["items"]]
    assert "support.grant" in actions and "support.revoke" in actions
