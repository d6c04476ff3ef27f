"""The fleetd command line: decode, configuration, admin errors."""
import json
import os
import random
import socket
import subprocess

from conftest import FLEETD, Server, free_port, json_lines
import frames as F


def run(*args, **kw):
    return subprocess.run([FLEETD, *args], capture_output=True, text=True, timeout=60, **kw)


def test_decode_teltonika_prints_positions_and_the_reply():
    r = run("decode", "--protocol", "teltonika", "--hex", F.CODEC8_TWO.hex())
    assert r.returncode == 0, r.stderr
    lines = json_lines(r.stdout)
    assert [m["type"] for m in lines] == ["position", "position", "reply"]
    assert lines[0]["time"] == "2019-06-10T10:01:01.000Z"
    assert lines[2]["hex"] == "00000002"


def test_decode_file_reports_bad_lines_and_exits_2(tmp_path):
    f = tmp_path / "frames.hex"
    f.write_text("# comment\n%s\nzz-not-hex\n%s\n%s\n" % (
        F.TELTONIKA_HANDSHAKE.hex(), F.CODEC8_ONE.hex(), F.CODEC8_ONE[:-1].hex()))
    r = run("decode", "--protocol", "teltonika", "--file", str(f))
    assert r.returncode == 2
    lines = json_lines(r.stdout)
    assert lines[0] == {"type": "login", "imei": F.TELTONIKA_IMEI}
    position = [m for m in lines if m["type"] == "position"][0]
    assert position["imei"] == F.TELTONIKA_IMEI  # carried over from the handshake line
    err = r.stderr.strip().splitlines()
    assert len(err) == 2
    assert err[0].startswith("fleetd decode: line 3:") and "hex" in err[0]
    assert err[1].startswith("fleetd decode: line 5:")


def test_decode_gt06_and_udp_and_osmand():
    r = run("decode", "--protocol", "gt06", "--hex", F.GT06_LOGIN.hex() + F.GT06_LOCATION.hex())
    assert r.returncode == 0, r.stderr
    lines = json_lines(r.stdout)
    assert lines[0] == {"type": "login", "imei": F.GT06_IMEI}
    assert lines[1]["type"] == "reply" and lines[1]["hex"] == F.GT06_LOGIN_REPLY.hex()
    assert lines[2]["type"] == "position" and lines[2]["imei"] == F.GT06_IMEI
    r = run("decode", "--protocol", "teltonika", "--transport", "udp", "--hex", F.UDP_DATAGRAM.hex())
    assert r.returncode == 0, r.stderr
    lines = json_lines(r.stdout)
    assert lines[0]["imei"] == F.UDP_IMEI and lines[-1]["hex"] == F.UDP_ACK.hex()
    r = run("decode", "--protocol", "osmand", "--hex", "GET %s HTTP/1.1" % F.OSMAND_QUERY)
    assert r.returncode == 0, r.stderr
    m = json_lines(r.stdout)[0]
    assert (m["imei"], m["lat"], m["lon"], m["time"]) == ("902064", 42.06288, -88.23412, "2016-01-27T18:55:47.000Z")


def test_decode_never_crashes_on_random_bytes(tmp_path):
    rng = random.Random(7)
    for protocol in ("teltonika", "gt06", "osmand"):
        f = tmp_path / ("%s.txt" % protocol)
        lines = []
        for _ in range(300):
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
            lines.append(data.hex() if protocol != "osmand" else data.decode("latin-1").replace("\n", " "))
        f.write_text("\n".join(lines), encoding="latin-1")
        r = subprocess.run([FLEETD, "decode", "--protocol", protocol, "--file", str(f)], capture_output=True, timeout=60)
        assert r.returncode in (0, 2), (protocol, r.returncode)


def test_config_file_with_flags_overriding_it(tmp_path):
    port = free_port()
    cfg = tmp_path / "fleetd.toml"
    cfg.write_text('[server]\nlisten = "127.0.0.1"\nhttp_port = 0\nlog_level = "warn"\n'
                   '[devices]\nteltonika_port = 0\ngt06_port = 0\nosmand_port = 1\n')
    os.makedirs(tmp_path / "data")
    srv = Server(tmp_path / "data", "--config", str(cfg), "--osmand-port", str(port), bare=True)
    srv.start()
    try:
        assert srv.port("gt06") == 0          # disabled by the file
        assert srv.port("teltonika") == 0
        assert srv.port("osmand") == port     # the flag wins over the file
    finally:
        srv.stop()


def test_config_errors_are_clear(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[devices]\nteltonika_prot = 5027\n')
    r = run("serve", "--config", str(cfg), "--data", str(tmp_path / "d"))
    assert r.returncode == 2 and "unknown key 'devices.teltonika_prot'" in r.stderr
    cfg.write_text('[server]\nhttp_port = "eighty"\n')
    r = run("serve", "--config", str(cfg), "--data", str(tmp_path / "d"))
    assert r.returncode == 2 and "server.http_port must be an integer" in r.stderr
    r = run("serve", "--http-port", "70000", "--data", str(tmp_path / "d"))
    assert r.returncode == 2 and "between 0 and 65535" in r.stderr
    cfg.write_text('[server\n')
    r = run("serve", "--config", str(cfg))
    assert r.returncode == 2 and "bad.toml" in r.stderr


def test_admin_validates_ids_and_reports_missing_data(tmp_path):
    r = run("admin", "--data", str(tmp_path / "d"), "device", "add", "--imei", "12ab", "--protocol", "teltonika")
    assert r.returncode == 1 and "15 digits" in r.stderr
    r = run("admin", "--data", str(tmp_path / "nowhere"), "device", "list")
    assert r.returncode == 1 and "no fleetd database" in r.stderr
    r = run("admin", "--data", str(tmp_path / "d"), "device", "add", "--imei", "356307042441013", "--protocol", "teltonika",
            "--name", '<script>alert("x")</script>')
    assert r.returncode == 0
    assert json.loads(r.stdout)["name"] == '<script>alert("x")</script>'
    r = run("admin", "--data", str(tmp_path / "d"), "device", "add", "--imei", "356307042441013", "--protocol", "gt06")
    assert r.returncode == 1 and "already exists" in r.stderr
