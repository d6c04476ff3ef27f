"""Ingestion end to end: the real fleetd on 127.0.0.1, real sockets, real SQLite."""
import random
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import (FLEETD, connect, http_get, is_closed, json_lines, metric, recv_exact, wait_for)
import frames as F


def positions(srv, imei, *extra):
    return json_lines(srv.admin("positions", "--imei", imei, *extra).stdout)


def teltonika_login(srv, imei_frame=F.TELTONIKA_HANDSHAKE):
    s = connect(srv.port("teltonika"))
    s.sendall(imei_frame)
    assert recv_exact(s, 1) == b"\x01"
    return s


def test_teltonika_handshake_and_ack_come_after_commit(server):
    server.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika", "--name", "Van 1")
    server.start()
    s = teltonika_login(server)
    s.sendall(F.CODEC8_ONE)
    assert recv_exact(s, 4) == struct.pack(">I", 1)
    # The ACK came, so the record must already be readable by another process.
    rows = positions(server, F.TELTONIKA_IMEI)
    assert [r["time"] for r in rows] == [F.CODEC8_ONE_TIME]
    assert rows[0]["io"]["66"] == 24079
    assert rows[0]["attributes"]["external_voltage_v"] == pytest.approx(24.079)
    s.sendall(F.CODEC8_TWO)
    assert recv_exact(s, 4) == struct.pack(">I", 2)
    s.sendall(F.CODEC8_CAPTURED)
    assert recv_exact(s, 4) == struct.pack(">I", 1)
    s.close()
    rows = positions(server, F.TELTONIKA_IMEI)
    assert len(rows) == 4
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
    m = server.metrics()
    assert metric(m, "fleetd_records_total", "teltonika") == 4
    assert metric(m, "fleetd_ack_latency_seconds_count", "teltonika") == 3


def test_codec8_extended_and_raw_frames_are_kept(server):
    server.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    server.start()
    s = teltonika_login(server)
    s.sendall(F.CODEC8E_ONE)
    assert recv_exact(s, 4) == struct.pack(">I", 1)
    s.close()
    kept = json_lines(server.admin("frames", "--imei", F.TELTONIKA_IMEI).stdout)
    assert [k["hex"] for k in kept] == [F.CODEC8E_ONE.hex()]


def test_unknown_device_is_refused_listed_as_pending_and_can_be_approved(server):
    server.start()
    s = connect(server.port("teltonika"))
    s.sendall(F.TELTONIKA_HANDSHAKE)
    assert recv_exact(s, 1) == b"\x00"
    assert is_closed(s)
    pending = json_lines(server.admin("device", "pending").stdout)
    assert len(pending) == 1
    assert pending[0]["imei"] == F.TELTONIKA_IMEI
    assert pending[0]["protocol"] == "teltonika"
    assert pending[0]["address"].startswith("127.0.0.1:")
    assert pending[0]["attempts"] == 1
    server.admin("device", "approve", "--imei", F.TELTONIKA_IMEI)
    assert json_lines(server.admin("device", "pending").stdout) == []
    s = teltonika_login(server)  # approved while the server runs: accepted at once
    s.sendall(F.CODEC8_ONE)
    assert recv_exact(s, 4) == struct.pack(">I", 1)
    assert metric(server.metrics(), "fleetd_devices_refused_total", "teltonika") == 1


def test_disabled_device_is_refused(server):
    server.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    server.admin("device", "disable", "--imei", F.TELTONIKA_IMEI)
    server.start()
    s = connect(server.port("teltonika"))
    s.sendall(F.TELTONIKA_HANDSHAKE)
    assert recv_exact(s, 1) == b"\x00"
    assert is_closed(s)
    listed = json_lines(server.admin("device", "list").stdout)
    assert listed[0]["status"] == "disabled"


def test_resent_packet_creates_no_duplicate(server):
    server.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    server.start()
    for _ in range(3):  # the device never saw our ACK and sends the same batch again, on new connections
        s = teltonika_login(server)
        s.sendall(F.CODEC8_TWO)
        assert recv_exact(s, 4) == struct.pack(">I", 2)
        s.close()
    assert len(positions(server, F.TELTONIKA_IMEI)) == 2
    m = server.metrics()
    assert metric(m, "fleetd_store_duplicates_total") == 4


def test_late_records_are_stored_with_their_own_time(server):
    server.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    server.start()
    s = teltonika_login(server)
    base = 1_700_000_000_000
    s.sendall(F.codec8_packet([(base + 60_000, 45.2, 4.2, 30)]))
    assert recv_exact(s, 4) == struct.pack(">I", 1)
    s.sendall(F.codec8_packet([(base, 45.1, 4.1, 20), (base + 30_000, 45.15, 4.15, 25)]))  # buffered earlier
    assert recv_exact(s, 4) == struct.pack(">I", 2)
    rows = positions(server, F.TELTONIKA_IMEI)
    assert [r["lat"] for r in rows] == [45.1, 45.15, 45.2]
    ranged = positions(server, F.TELTONIKA_IMEI, "--from", "2023-11-14T22:13:20Z", "--to", "2023-11-14T22:13:50Z")
    assert [r["lat"] for r in ranged] == [45.1, 45.15]


@pytest.mark.parametrize("garbage,reason", [
    (b"\x00\x00\x00\x00\x00\x00\x00\x05\x08\x01\x02\x03\x04\x00\x00\x00\x00", "crc"),
    (F.CODEC8_ONE[:-1] + bytes([F.CODEC8_ONE[-1] ^ 0xFF]), "CRC"),
    (b"\x12\x34\x56\x78" * 8, ""),
])
def test_malformed_frame_closes_the_connection_and_is_logged_once(server, garbage, reason):
    server.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    server.start()
    s = teltonika_login(server)
    s.sendall(garbage)
    assert is_closed(s)
    assert positions(server, F.TELTONIKA_IMEI) == []
    log = wait_for(lambda: "malformed frame" in server.read_log() and server.read_log())
    lines = [line for line in log.splitlines() if "malformed frame" in line]
    assert len(lines) == 1
    assert garbage.hex()[:16] in lines[0]
    assert reason.lower() in lines[0].lower()
    assert metric(server.metrics(), "fleetd_errors_total", "teltonika") == 1
    # The server is still healthy for everyone else.
    s = teltonika_login(server)
    s.sendall(F.CODEC8_ONE)
    assert recv_exact(s, 4) == struct.pack(">I", 1)


def test_frame_longer_than_the_limit_is_refused(server_factory):
    srv = server_factory("--max-frame-bytes", "2048")
    srv.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    srv.start()
    s = teltonika_login(srv)
    s.sendall(struct.pack(">II", 0, 1_000_000))  # declares a 1 MB packet
    assert is_closed(s)


def test_random_bytes_never_crash_the_server(server):
    server.start()
    rng = random.Random(42)
    for port_name in ("teltonika", "gt06", "osmand"):
        for _ in range(30):
            s = connect(server.port(port_name))
            s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 600))))
            s.close()
    status, body = http_get(server.port("http"), "/healthz")
    assert status == 200 and body == "ok\n"
    assert server.proc.poll() is None


def test_idle_connection_is_closed_after_its_timeout(server_factory):
    srv = server_factory("--idle-timeout", "1")
    srv.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    srv.start()
    quiet = connect(srv.port("teltonika"))  # says nothing at all
    s = teltonika_login(srv)
    started = time.time()
    assert is_closed(s, timeout=5)
    assert is_closed(quiet, timeout=5)
    assert 0.9 <= time.time() - started < 4
    assert metric(srv.metrics(), "fleetd_idle_timeouts_total", "teltonika") == 2


def test_streaming_connection_keeps_its_timeout_and_splits_frames_across_reads(server_factory):
    # Packets less than a second apart: the session keeps its read buffer between them and reads
    # straight into it. The idle timeout and frames split across reads must work as before.
    srv = server_factory("--idle-timeout", "1")
    srv.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    srv.start()
    s = teltonika_login(srv)
    for frame, count in ((F.CODEC8_ONE, 1), (F.CODEC8_TWO, 2), (F.CODEC8_CAPTURED, 1)):
        half = len(frame) // 2
        s.sendall(frame[:half])
        time.sleep(0.05)
        s.sendall(frame[half:])
        assert recv_exact(s, 4) == struct.pack(">I", count)
        time.sleep(0.1)
    s.sendall(F.CODEC8_ONE + F.CODEC8_TWO)  # two frames in one read: two ACKs, one resent record
    assert recv_exact(s, 8) == struct.pack(">II", 1, 2)
    last_ack = time.time()
    assert is_closed(s, timeout=5)
    assert 0.9 <= time.time() - last_ack < 4
    assert len(positions(srv, F.TELTONIKA_IMEI)) == 4
    assert metric(srv.metrics(), "fleetd_idle_timeouts_total", "teltonika") == 1


def test_connections_over_the_limit_are_closed(server_factory):
    srv = server_factory("--max-connections", "2")
    srv.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    srv.start()
    a = teltonika_login(srv)
    b = teltonika_login(srv)
    c = connect(srv.port("teltonika"))
    assert is_closed(c)
    assert metric(srv.metrics(), "fleetd_connections_rejected_total", "teltonika") == 1
    a.close()
    b.close()
    wait_for(lambda: metric(srv.metrics(), "fleetd_connections_active", "teltonika") == 0)
    teltonika_login(srv).close()


def test_teltonika_udp_is_acked_after_commit(server):
    server.admin("device", "add", "--imei", F.UDP_IMEI, "--protocol", "teltonika")
    server.start()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    u.sendto(F.UDP_DATAGRAM, ("127.0.0.1", server.port("teltonika_udp")))
    ack, _ = u.recvfrom(64)
    assert ack == F.UDP_ACK
    assert len(positions(server, F.UDP_IMEI)) == 1
    u.sendto(F.UDP_DATAGRAM, ("127.0.0.1", server.port("teltonika_udp")))  # lost ACK: resent
    assert u.recvfrom(64)[0] == F.UDP_ACK
    assert len(positions(server, F.UDP_IMEI)) == 1


def test_teltonika_udp_from_unknown_device_gets_no_ack(server):
    server.start()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(1.5)
    u.sendto(F.UDP_DATAGRAM, ("127.0.0.1", server.port("teltonika_udp")))
    with pytest.raises(socket.timeout):
        u.recvfrom(64)
    assert json_lines(server.admin("device", "pending").stdout)[0]["imei"] == F.UDP_IMEI


def test_gt06_login_location_and_alarm(server):
    server.admin("device", "add", "--imei", F.GT06_IMEI, "--protocol", "gt06")
    server.start()
    s = connect(server.port("gt06"))
    s.sendall(F.GT06_LOGIN)
    assert recv_exact(s, 10) == F.GT06_LOGIN_REPLY
    s.sendall(F.GT06_LOCATION)
    reply = recv_exact(s, 10)
    assert reply[:4] == bytes.fromhex("78780512") and reply[4:6] == bytes.fromhex("0003")
    s.sendall(F.GT06_ALARM)
    reply = recv_exact(s, 10)
    assert reply[:4] == bytes.fromhex("78780516") and reply[4:6] == bytes.fromhex("0036")
    s.close()
    rows = positions(server, F.GT06_IMEI)
    assert len(rows) == 2
    loc = [r for r in rows if r["time"] == "2015-10-20T14:21:11.000Z"][0]
    assert loc["lat"] == pytest.approx(54.94535, abs=1e-5)
    assert loc["lon"] == pytest.approx(24.01762, abs=1e-5)
    alarm = [r for r in rows if r is not loc][0]
    assert alarm["attributes"]["alarm"] == "sos"


def test_gt06_frames_in_one_segment_are_answered_in_order_once_committed(server):
    # Login, location and alarm in one TCP segment: one batch, committed once; the three replies go
    # out together (from the committer's sync thread) in the order of their frames.
    server.admin("device", "add", "--imei", F.GT06_IMEI, "--protocol", "gt06")
    server.start()
    s = connect(server.port("gt06"))
    s.sendall(F.GT06_LOGIN + F.GT06_LOCATION + F.GT06_ALARM)
    replies = recv_exact(s, 30)
    assert replies[:10] == F.GT06_LOGIN_REPLY
    assert replies[10:14] == bytes.fromhex("78780512") and replies[14:16] == bytes.fromhex("0003")
    assert replies[20:24] == bytes.fromhex("78780516") and replies[24:26] == bytes.fromhex("0036")
    # Answered, so committed: readable by another process at once.
    assert len(positions(server, F.GT06_IMEI)) == 2
    # A frame without records is answered by the connection itself, in full, also right after
    # answers that the sync thread sent.
    for _ in range(2):
        s.sendall(F.GT06_HEARTBEAT)
        reply = recv_exact(s, 10)
        assert reply[:4] == bytes.fromhex("78780513") and reply[4:6] == bytes.fromhex("044d")
        s.sendall(F.GT06_LOCATION)
        assert recv_exact(s, 10)[:4] == bytes.fromhex("78780512")
    s.close()
    assert metric(server.metrics(), "fleetd_ack_latency_seconds_count", "gt06") == 3


def test_device_gone_before_its_ack_keeps_its_records_and_the_server_goes_on(server):
    # Each connection sends a packet and closes at once: the answer, sent once the batch is durable,
    # meets a closed peer (the second and later sends a reset one). Nothing is lost, nothing crashes.
    server.admin("device", "add", "--imei", F.TELTONIKA_IMEI, "--protocol", "teltonika")
    server.start()
    for frame in (F.CODEC8_ONE, F.CODEC8_TWO, F.CODEC8_CAPTURED):
        s = teltonika_login(server)
        s.sendall(frame)
        s.close()
    assert wait_for(lambda: len(positions(server, F.TELTONIKA_IMEI)) == 4, timeout=10)
    s = teltonika_login(server)
    s.sendall(F.CODEC8_ONE)  # a resend: acknowledged, stored once
    assert recv_exact(s, 4) == struct.pack(">I", 1)
    s.close()
    assert len(positions(server, F.TELTONIKA_IMEI)) == 4
    assert server.proc.poll() is None


def test_gt06_unknown_device_is_closed_without_login_reply(server):
    server.start()
    s = connect(server.port("gt06"))
    s.sendall(F.GT06_LOGIN)
    assert is_closed(s)
    assert json_lines(server.admin("device", "pending").stdout)[0]["protocol"] == "gt06"


def test_gt06_position_before_login_is_refused(server):
    server.admin("device", "add", "--imei", F.GT06_IMEI, "--protocol", "gt06")
    server.start()
    s = connect(server.port("gt06"))
    s.sendall(F.GT06_LOCATION)
    assert is_closed(s)
    assert positions(server, F.GT06_IMEI) == []


def test_osmand_query_and_json_get_200_after_commit(server):
    server.admin("device", "add", "--imei", F.OSMAND_ID, "--protocol", "osmand")
    server.start()
    status, _ = http_get(server.port("osmand"), F.OSMAND_QUERY)
    assert status == 200
    rows = positions(server, F.OSMAND_ID)
    assert [(r["time"], r["lat"], r["lon"]) for r in rows] == [("2016-01-27T18:55:47.000Z", 42.06288, -88.23412)]
    status, _ = http_get(server.port("osmand"), "/", method="POST", body=F.OSMAND_JSON,
                         headers={"Content-Type": "application/json"})
    assert status == 200
    status, _ = http_get(server.port("osmand"), "/", method="POST",
                         body="id=902064&lat=45.0&lon=4.0&timestamp=1700000000",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert len(positions(server, F.OSMAND_ID)) == 3


def test_osmand_refuses_unknown_devices_bad_requests_and_huge_bodies(server):
    server.start()
    port = server.port("osmand")
    status, body = http_get(port, "/?id=555&lat=1&lon=2")
    assert status == 400 and "unknown-device" in body
    status, body = http_get(port, "/?lat=1&lon=2")
    assert status == 400 and "missing id" in body
    status, body = http_get(port, "/", method="POST", body='{"location": [1, 2', headers={"Content-Type": "application/json"})
    assert status == 400
    status, _ = http_get(port, "/", method="POST", body="x" * 200_000, headers={"Content-Type": "text/plain"})
    assert status == 413
    assert server.proc.poll() is None


def test_metrics_are_prometheus_text(server):
    server.start()
    status, body = http_get(server.port("http"), "/metrics")
    assert status == 200
    for protocol in ("teltonika", "gt06", "osmand"):
        assert metric(body, "fleetd_connections_total", protocol) == 0
    assert "# TYPE fleetd_ack_latency_seconds histogram" in body
    assert 'fleetd_ack_latency_seconds_bucket{protocol="teltonika",le="+Inf"} 0' in body
    status, body = http_get(server.port("http"), "/nothing-here.txt")  # (no dot: the web app)
    assert status == 404 and '"status":404' in body


def test_kill9_loses_no_acknowledged_record(server):
    """Several devices stream distinct records; fleetd is killed with SIGKILL mid-stream and restarted:
    every record that was acknowledged before the kill must be there, exactly once."""
    imeis = ["3500000000%05d" % i for i in range(8)]
    for imei in imeis:
        server.admin("device", "add", "--imei", imei, "--protocol", "teltonika")
    server.start()
    acked = {imei: [] for imei in imeis}
    stop = threading.Event()

    def device(imei, seed):
        rng = random.Random(seed)
        t = 1_700_000_000_000
        try:
            s = connect(server.port("teltonika"), timeout=5)
            s.sendall(F.imei_frame(imei))
            if recv_exact(s, 1) != b"\x01":
                return
            while not stop.is_set():
                batch = []
                for _ in range(rng.randint(1, 20)):
                    t += 1000
                    batch.append((t, 45 + rng.random(), 4 + rng.random(), rng.randint(0, 90)))
                s.sendall(F.codec8_packet(batch))
                if recv_exact(s, 4) != struct.pack(">I", len(batch)):
                    return
                acked[imei].extend(b[0] for b in batch)
        except (OSError, ConnectionError):
            return

    threads = [threading.Thread(target=device, args=(imei, i)) for i, imei in enumerate(imeis)]
    for th in threads:
        th.start()
    time.sleep(1.5)
    server.kill9()
    stop.set()
    for th in threads:
        th.join(timeout=10)
    total = sum(len(v) for v in acked.values())
    assert total > 100, "the devices should have had time to send"
    server.start()
    for imei in imeis:
        stored = [r["time"] for r in positions(server, imei)]
        assert len(stored) == len(set(stored)), "no duplicates"
        import datetime
        have = {int(datetime.datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp() * 1000) for x in stored}
        missing = [t for t in acked[imei] if t not in have]
        assert not missing, "%d acknowledged records of %s lost" % (len(missing), imei)


def test_raw_frames_under_load_are_kept_by_chunk_and_all_are_there_after_a_stop(server):
    """Under load the committer holds each device's frames and writes about a second of them a row
    (docs/operations.md, "Raw frames"); once the load stops they are written, and a graceful stop
    loses none: one frame for every packet stored."""
    import json
    import os
    import sqlite3
    n = 300
    imeis = subprocess.run([FLEETD, "simulate", "--list-imeis", "--devices", str(n)], capture_output=True,
                           text=True, check=True).stdout.split()
    for imei in imeis:
        server.admin("device", "add", "--imei", imei, "--protocol", "teltonika")
    server.start()
    # 300 devices, a 2-record packet every 50 ms each: far above the 1,000 frames/s from which frames are held.
    r = subprocess.run([FLEETD, "simulate", "--target", "127.0.0.1:%d" % server.port("teltonika"),
                        "--protocol", "teltonika", "--devices", str(n), "--interval", "0.05", "--duration", "3",
                        "--records-per-packet", "2", "--json", "--ramp-up-ms", "200"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["errors"] == 0
    assert report["records_acked"] > 2000
    # Idle again: what was held is written within moments, while the server runs.
    assert wait_for(lambda: metric(server.metrics(), "fleetd_store_frames_held") == 0, timeout=5)
    m = server.metrics()
    stored_records = metric(m, "fleetd_store_records_total")
    written = metric(m, "fleetd_store_frames_written_total")
    assert written == stored_records / 2
    # One device's frames through the operator's command line: its packets, decodable, in order.
    kept = json_lines(server.admin("frames", "--imei", imeis[7]).stdout)
    stored = json_lines(server.admin("positions", "--imei", imeis[7]).stdout)
    assert len(kept) * 2 == len(stored)
    assert [k["id"] for k in kept] == sorted(k["id"] for k in kept)
    assert [k["received_at"] for k in kept] == sorted(k["received_at"] for k in kept)
    decoded = subprocess.run([FLEETD, "decode", "--protocol", "teltonika", "--hex", kept[-1]["hex"]],
                             capture_output=True, text=True, check=True).stdout
    assert [d["time"] for d in json_lines(decoded) if d["type"] == "position"][-1] == stored[-1]["time"]
    assert server.stop() == 0
    with sqlite3.connect(os.path.join(server.data, "fleetd.db")) as db:
        frames, rows, biggest = db.execute("SELECT sum(frames), count(*), max(frames) FROM frame_chunks").fetchone()
    assert frames == stored_records / 2
    assert biggest > 1 and rows < frames / 2, "under load frames are written by chunk, not one a row"


def test_simulator_runs_at_the_priority_it_is_given(server):
    """`--nice` sets the simulator's scheduling priority (the benchmarks give it the server's own
    committer priority, so that on a shared machine its answers to ACKs do not wait behind the server);
    5 is allowed to anyone. Out of range is refused before anything runs."""
    import os
    imei = subprocess.run([FLEETD, "simulate", "--list-imeis", "--devices", "1"], capture_output=True,
                          text=True, check=True).stdout.split()[0]
    server.admin("device", "add", "--imei", imei, "--protocol", "teltonika")
    server.start()
    sim = subprocess.Popen([FLEETD, "simulate", "--target", "127.0.0.1:%d" % server.port("teltonika"),
                            "--devices", "1", "--interval", "0.2", "--duration", "3", "--nice", "5", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []

    def nice_of_every_thread():
        if not positions(server, imei):  # not running its vehicles yet
            return False
        values = set()
        for tid in os.listdir("/proc/%d/task" % sim.pid):
            with open("/proc/%d/task/%s/stat" % (sim.pid, tid)) as f:
                values.add(int(f.read().rsplit(")", 1)[1].split()[16]))  # field 19: nice
        seen.append(values)
        return True

    try:
        assert wait_for(nice_of_every_thread, timeout=10, interval=0.1)
    finally:
        out, err = sim.communicate(timeout=30)
    assert sim.returncode == 0, err
    assert seen[-1] == {5}, seen
    bad = subprocess.run([FLEETD, "simulate", "--target", "127.0.0.1:1", "--nice", "-21"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode != 0 and "nice" in bad.stderr


def test_simulator_drives_devices_and_every_ack_is_checked(server):
    imeis = subprocess.run([FLEETD, "simulate", "--list-imeis", "--devices", "3"], capture_output=True,
                           text=True, check=True).stdout.split()
    for imei in imeis:
        server.admin("device", "add", "--imei", imei, "--protocol", "teltonika")
    server.start()
    r = subprocess.run([FLEETD, "simulate", "--target", "127.0.0.1:%d" % server.port("teltonika"),
                        "--protocol", "teltonika", "--devices", "3", "--interval", "0.5", "--duration", "3",
                        "--records-per-packet", "4", "--json", "--ramp-up-ms", "100"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    import json
    report = json.loads(r.stdout)
    assert report["records_acked"] > 0
    assert report["records_acked"] == report["records_sent"]
    assert report["errors"] == 0
    stored = sum(len(positions(server, imei)) for imei in imeis)
    assert stored == report["records_acked"]
