"""Account security against the real binary: password change (and the must-change gate), password
reset by e-mail (the development mailer's .eml files and SMTP to a relay), sessions, step-up, the
per-address throttle and the lockout e-mail."""
import email
import glob
import hashlib
import json
import os
import re
import socket
import threading
import time

import pytest

from apiclient import FAST_HASH, PASSWORD, Client, add_user, admin, header, request
from conftest import Server, free_port, wait_for

NEW_PASSWORD = "quiet-harbour-lantern-97"


@pytest.fixture
def data(tmp_path):
    """Tenant 'acme': bob (fleet-manager, must change his password), carol (viewer), dave (fleet-manager)."""
    d = tmp_path / "data"
    os.makedirs(d)
    admin(d, "tenant", "add", "--name", "acme")
    admin(d, "user", "add", "--tenant", "acme", "--email", "bob@acme.example", "--role", "fleet-manager",
          "--password-stdin", "--must-change-password", *FAST_HASH, stdin=PASSWORD + "\n")
    add_user(d, "acme", "carol@acme.example", "viewer")
    add_user(d, "acme", "dave@acme.example", "fleet-manager")
    return d


@pytest.fixture
def api(data):
    srv = Server(data, *FAST_HASH).start()
    yield srv
    srv.stop()


def client(srv, email, password=PASSWORD):
    c = Client(srv.port("http"))
    c.login(email, password)
    return c


def kind(body):
    return body["type"].rsplit("/", 1)[-1]


def mails(srv):
    """The development mailer's files, oldest first, parsed."""
    files = sorted(glob.glob(os.path.join(srv.data, "outbox", "*.eml")),
                   key=lambda p: int(os.path.basename(p).split(".")[0]))
    out = []
    for path in files:
        with open(path, "rb") as f:
            out.append(email.message_from_bytes(f.read()))
    return out


def wait_mails(srv, n):
    assert wait_for(lambda: len(mails(srv)) >= n, timeout=10), "expected %d mails, got %d" % (n, len(mails(srv)))
    return mails(srv)


def reset_token(msg):
    m = re.search(r"\n    ([A-Za-z0-9_-]{43})\r?\n", msg.get_payload())
    assert m, msg.get_payload()
    return m.group(1)


def audit_actions(srv):
    return [json.loads(x)["action"] for x in admin(srv.data, "audit", "list").stdout.splitlines()]


def test_must_change_password_blocks_other_routes_until_changed(api):
    bob = client(api, "bob@acme.example")
    assert bob.user["must_change_password"] is True
    status, body, _ = bob.get("/api/v1/me/sessions")
    assert status == 403 and kind(body) == "password-change-required"
    assert bob.get("/api/v1/me")[0] == 200  # /me stays open
    other = client(api, "bob@acme.example")  # a second session of his

    status, body, _ = bob.post("/api/v1/me/password", {"current_password": "wrong-password-here",
                                                       "new_password": NEW_PASSWORD})
    assert status == 403 and kind(body) == "wrong-password"
    for weak in ("short", "password1234", "bob-likes-long-passwords", "acme-is-great-2024", PASSWORD):
        status, body, _ = bob.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": weak})
        assert status == 400 and kind(body) == "weak-password", weak
        assert weak not in body["detail"]
    status, body, _ = bob.post("/api/v1/me/password", {"current_password": PASSWORD})
    assert status == 400 and kind(body) == "invalid-body"

    status, body, _ = bob.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert status == 200, body
    assert body["user"]["must_change_password"] is False and body["sessions_revoked"] == 1
    assert bob.get("/api/v1/me/sessions")[0] == 200
    assert bob.get("/api/v1/me")[1]["must_change_password"] is False
    assert other.get("/api/v1/me")[0] == 401  # his other session ended
    Client(api.port("http")).login("bob@acme.example", PASSWORD, expect=401)
    Client(api.port("http")).login("bob@acme.example", NEW_PASSWORD)
    assert "user.password_changed" in audit_actions(api)


def test_password_change_needs_a_session_and_the_csrf_token(api):
    port = api.port("http")
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert request(port, "POST", "/api/v1/me/password", body)[0] == 401
    carol = client(api, "carol@acme.example")
    status, _, text = request(port, "POST", "/api/v1/me/password", body, {"Cookie": carol.cookie})
    assert status == 403 and json.loads(text)["type"].endswith("/csrf")
    assert carol.post("/api/v1/me/password", body)[0] == 200


def test_password_change_failures_lock_the_account_and_mail_the_user(api):
    carol = client(api, "carol@acme.example")
    for _ in range(5):
        status, body, _ = carol.post("/api/v1/me/password", {"current_password": "guessing-again",
                                                             "new_password": NEW_PASSWORD})
        assert status == 403 and kind(body) == "wrong-password"
    status, body, headers = carol.post("/api/v1/me/password", {"current_password": PASSWORD,
                                                               "new_password": NEW_PASSWORD})
    assert status == 429 and kind(body) == "account-locked"
    assert 0 < int(header(headers, "retry-after")[0]) <= 15 * 60
    msg = wait_mails(api, 1)[0]
    assert msg["To"] == "carol@acme.example" and "locked" in msg["Subject"]


def test_lockout_by_sign_in_failures_mails_the_user(api):
    port = api.port("http")
    for _ in range(5):
        Client(port).login("carol@acme.example", "not-the-password", expect=401)
    Client(port).login("carol@acme.example", PASSWORD, expect=429)
    msgs = wait_mails(api, 1)
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg["To"] == "carol@acme.example"
    assert msg["Subject"] == "Your fleetd account was locked"
    text = msg.get_payload()
    assert "127.0.0.1" in text and "unlocks by itself at" in text and "password-reset" in text
    # Locking an address without an account mails nobody.
    for _ in range(5):
        Client(port).login("ghost@acme.example", "not-the-password", expect=401)
    time.sleep(1.5)
    assert len(mails(api)) == 1


def test_reset_answers_alike_for_every_address_and_mails_a_single_use_code(api):
    port = api.port("http")
    carol = client(api, "carol@acme.example")
    answers = [request(port, "POST", "/api/v1/auth/password-reset", {"email": e})
               for e in ("Carol@Acme.example", "nobody@acme.example", "not-an-address")]
    assert {(s, b) for s, _, b in answers} == {(202, answers[0][2])}
    msgs = wait_mails(api, 1)
    time.sleep(1.5)  # the unknown addresses must not have produced a mail meanwhile
    assert len(mails(api)) == 1
    msg = msgs[0]
    assert msg["To"] == "carol@acme.example" and msg["Subject"] == "Reset your fleetd password"
    assert msg["From"] == "fleetd@localhost" and msg["Content-Type"].startswith("text/plain")
    token = reset_token(msg)

    weak = request(port, "POST", "/api/v1/auth/password-reset/confirm", {"token": token, "new_password": "short"})
    assert weak[0] == 400 and json.loads(weak[2])["type"].endswith("/weak-password")
    status, _, text = request(port, "POST", "/api/v1/auth/password-reset/confirm",
                              {"token": token, "new_password": NEW_PASSWORD})
    assert status == 204, text
    assert carol.get("/api/v1/me")[0] == 401  # every session ended
    Client(port).login("carol@acme.example", NEW_PASSWORD)
    again = request(port, "POST", "/api/v1/auth/password-reset/confirm",
                    {"token": token, "new_password": "yet-another-good-password-5"})
    assert again[0] == 400 and json.loads(again[2])["type"].endswith("/invalid-reset-token")
    bogus = request(port, "POST", "/api/v1/auth/password-reset/confirm",
                    {"token": "A" * 43, "new_password": "yet-another-good-password-5"})
    assert bogus[0] == 400 and json.loads(bogus[2])["type"].endswith("/invalid-reset-token")
    actions = audit_actions(api)
    assert "auth.password_reset_requested" in actions and "user.password_reset" in actions
    assert actions.count("auth.password_reset_refused") == 2


def test_reset_clears_the_lockout_and_the_must_change_flag(api):
    port = api.port("http")
    for _ in range(5):
        Client(port).login("bob@acme.example", "not-the-password", expect=401)
    Client(port).login("bob@acme.example", PASSWORD, expect=429)
    assert request(port, "POST", "/api/v1/auth/password-reset", {"email": "bob@acme.example"})[0] == 202
    msgs = wait_mails(api, 2)  # the lockout notice, then the reset code
    token = reset_token([m for m in msgs if "Reset" in m["Subject"]][0])
    assert request(port, "POST", "/api/v1/auth/password-reset/confirm",
                   {"token": token, "new_password": NEW_PASSWORD})[0] == 204
    _, body = Client(port).login("bob@acme.example", NEW_PASSWORD)
    assert body["user"]["must_change_password"] is False


def test_reset_routes_refuse_other_origins_and_bad_bodies(api):
    port = api.port("http")
    status, _, text = request(port, "POST", "/api/v1/auth/password-reset", {"email": "carol@acme.example"},
                              {"Origin": "https://evil.example"})
    assert status == 403 and json.loads(text)["type"].endswith("/csrf")
    assert request(port, "POST", "/api/v1/auth/password-reset", {"email": "carol@acme.example", "x": 1})[0] == 400
    assert request(port, "POST", "/api/v1/auth/password-reset/confirm", {"token": "x" * 129,
                                                                         "new_password": NEW_PASSWORD})[0] == 400


def test_public_auth_routes_are_throttled_per_address(api):
    port = api.port("http")
    for i in range(20):
        status, _, _ = request(port, "POST", "/api/v1/auth/password-reset", {"email": "x%d@acme.example" % i})
        assert status == 202, i
    for path, body in (("/api/v1/auth/password-reset", {"email": "x@acme.example"}),
                       ("/api/v1/auth/password-reset/confirm", {"token": "t", "new_password": NEW_PASSWORD}),
                       ("/api/v1/auth/login", {"email": "carol@acme.example", "password": PASSWORD})):
        status, headers, text = request(port, "POST", path, body)
        assert status == 429, path
        assert json.loads(text)["type"].endswith("/too-many-requests")
        assert 1 <= int(header(headers, "retry-after")[0]) <= 3
    time.sleep(3.1)  # 20 a minute: one token every 3 seconds
    assert request(port, "POST", "/api/v1/auth/login", {"email": "carol@acme.example", "password": PASSWORD})[0] == 200


def test_throttle_rate_is_configurable(data):
    srv = Server(data, *FAST_HASH, "--address-attempts-per-minute", "2").start()
    try:
        port = srv.port("http")
        statuses = [request(port, "POST", "/api/v1/auth/password-reset", {"email": "a@acme.example"})[0]
                    for _ in range(3)]
        assert statuses == [202, 202, 429]
    finally:
        srv.stop()


def test_sessions_are_listed_without_secrets_and_revoked_one_by_one_or_all_others(api):
    port = api.port("http")
    hostile = '"><script>alert(1)</script>\\'
    status, hdrs, text = request(port, "POST", "/api/v1/auth/login",
                                 {"email": "carol@acme.example", "password": PASSWORD}, {"User-Agent": hostile})
    assert status == 200
    second = Client(port)
    second.cookie = "; ".join(v.split(";")[0] for v in header(hdrs, "set-cookie"))
    second.csrf = json.loads(text)["csrf_token"]
    first = client(api, "carol@acme.example")
    third = client(api, "carol@acme.example")
    dave = client(api, "dave@acme.example")

    status, page, _ = first.get("/api/v1/me/sessions")
    assert status == 200 and page["total"] == 3 and len(page["items"]) == 3
    raw = json.dumps(page)
    for c in (first, second, third):
        token = c.cookie.split("__Host-fleetd_session=")[1].split(";")[0]
        assert token not in raw and hashlib.sha256(token.encode()).hexdigest() not in raw
    assert [s["current"] for s in page["items"]].count(True) == 1
    assert all(re.fullmatch(r"[0-9a-f]{16}", s["id"]) for s in page["items"])
    assert hostile in [s["user_agent"] for s in page["items"]]  # kept as text, JSON-escaped
    assert all(s["ip"] == "127.0.0.1" for s in page["items"])
    status, page2, _ = first.get("/api/v1/me/sessions?limit=1&sort=created_at")
    assert status == 200 and page2["total"] == 3 and len(page2["items"]) == 1
    assert first.get("/api/v1/me/sessions?sort=ip")[0] == 400

    # Revoke the hostile-agent session by its id.
    target = [s for s in page["items"] if s["user_agent"] == hostile][0]["id"]
    assert dave.delete("/api/v1/me/sessions/" + target)[0] == 404  # not his: same as missing
    assert second.get("/api/v1/me")[0] == 200
    assert first.delete("/api/v1/me/sessions/" + target)[0] == 204
    assert second.get("/api/v1/me")[0] == 401
    assert first.delete("/api/v1/me/sessions/" + target)[0] == 404
    assert first.delete("/api/v1/me/sessions/0123456789abcdef")[0] == 404
    assert first.delete("/api/v1/me/sessions/not-an-id")[0] == 404

    status, body, _ = first.delete("/api/v1/me/sessions")
    assert status == 200 and body["sessions_revoked"] == 1
    assert third.get("/api/v1/me")[0] == 401
    assert first.get("/api/v1/me")[0] == 200
    assert first.get("/api/v1/me/sessions")[1]["total"] == 1

    # Revoking the current session signs the caller out.
    own = first.get("/api/v1/me/sessions")[1]["items"][0]["id"]
    status, _, headers = first.delete("/api/v1/me/sessions/" + own)
    assert status == 204 and any("Max-Age=0" in v for v in header(headers, "set-cookie"))
    assert first.get("/api/v1/me")[0] == 401
    actions = audit_actions(api)
    assert "session.revoked" in actions and "session.revoked_others" in actions


def test_step_up_checks_the_password(api):
    carol = client(api, "carol@acme.example")
    status, body, _ = carol.post("/api/v1/auth/step-up", {"password": "not-the-password"})
    assert status == 403 and kind(body) == "wrong-password"
    status, body, _ = carol.post("/api/v1/auth/step-up", {"password": PASSWORD})
    assert status == 200 and body["step_up_until"].endswith("Z")
    assert "auth.step_up" in audit_actions(api) and "auth.step_up_failed" in audit_actions(api)
    assert request(api.port("http"), "POST", "/api/v1/auth/step-up", {"password": PASSWORD})[0] == 401


def test_step_up_and_password_change_give_the_session_new_secrets(api):
    """The session is rotated when it gains privilege: a cookie copied before no longer works."""
    dave = client(api, "dave@acme.example")
    for path, body in (("/api/v1/auth/step-up", {"password": PASSWORD}),
                       ("/api/v1/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})):
        before_cookie, before_csrf = dave.cookie, dave.csrf
        status, _, _ = dave.post(path, body)
        assert status == 200
        assert dave.cookie != before_cookie and dave.csrf != before_csrf
        assert dave.get("/api/v1/me")[0] == 200
        old = request(api.port("http"), "GET", "/api/v1/me", None, {"Cookie": before_cookie})
        assert old[0] == 401, old


class FakeSmtp:
    """A minimal SMTP relay on 127.0.0.1 that records what it is sent."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(20)
        self.port = self.sock.getsockname()[1]
        self.messages = []
        self.commands = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            f = conn.makefile("rb")
            conn.sendall(b"220 fake ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode().strip()
                self.commands.append(cmd)
                if cmd.startswith("EHLO"):
                    conn.sendall(b"250-fake\r\n250 8BITMIME\r\n")
                elif cmd == "DATA":
                    conn.sendall(b"354 go on\r\n")
                    data = b""
                    while True:
                        chunk = f.readline()
                        if chunk == b".\r\n":
                            break
                        data += chunk
                    self.messages.append(data)
                    conn.sendall(b"250 queued\r\n")
                elif cmd == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")


def test_mail_goes_to_the_smtp_relay_when_one_is_configured(data):
    relay = FakeSmtp()
    srv = Server(data, *FAST_HASH, "--smtp-host", "127.0.0.1", "--smtp-port", str(relay.port),
                 "--mail-from", "noreply@fleet.example").start()
    try:
        assert request(srv.port("http"), "POST", "/api/v1/auth/password-reset", {"email": "carol@acme.example"})[0] == 202
        assert wait_for(lambda: relay.messages, timeout=10)
        assert "MAIL FROM:<noreply@fleet.example>" in relay.commands
        assert "RCPT TO:<carol@acme.example>" in relay.commands
        msg = email.message_from_bytes(relay.messages[0])
        assert msg["To"] == "carol@acme.example" and reset_token(msg)
        assert not glob.glob(os.path.join(srv.data, "outbox", "*.eml"))  # no files when a relay is set
    finally:
        srv.stop()
        relay.sock.close()


def test_admin_outbox_prints_the_queued_mail(api):
    """`fleetd admin outbox` prints what the server queued: the reset code reaches an operator without SMTP."""
    request(api.port("http"), "POST", "/api/v1/auth/password-reset", {"email": "carol@acme.example"})
    token = reset_token(wait_mails(api, 1)[0])
    out = [json.loads(line) for line in admin(api.data, "outbox").stdout.splitlines()]
    assert [m["to"] for m in out] == ["carol@acme.example"]
    assert out[0]["kind"] == "password-reset" and out[0]["subject"] == "Reset your fleetd password"
    assert token in out[0]["body"] and out[0]["sent_at"] is not None  # the development mailer wrote the file
    assert admin(api.data, "outbox", "--limit", "0", check=False).returncode != 0
