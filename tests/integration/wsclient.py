"""A small WebSocket client (RFC 6455) on the standard library, so tests see exactly what fleetd does:
the opening handshake by hand, masked client frames, text messages, ping/pong and the closing handshake."""
import base64
import hashlib
import json
import os
import socket
import struct
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 1.3


class Refused(Exception):
    """The server answered the handshake with something else than 101."""

    def __init__(self, status, headers, body):
        super().__init__("handshake refused: %d %s" % (status, body))
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class WebSocket:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.close_code = None
        self.close_reason = None

    # --- reading -------------------------------------------------------------------------------
    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _frame(self):
        b0, b1 = self._read(2)
        fin, opcode = b0 & 0x80, b0 & 0x0F
        assert b1 & 0x80 == 0, "a server must not mask its frames (RFC 6455 5.1)"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read(8))[0]
        return bool(fin), opcode, self._read(n)

    def recv(self, timeout=5):
        """The next text message, or None once the server has closed (close_code is then set). Raises
        socket.timeout when nothing but pings came within `timeout` seconds in all."""
        deadline = time.monotonic() + timeout
        message, kind = b"", None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no message within %s s" % timeout)
            self.sock.settimeout(left)
            fin, opcode, payload = self._frame()
            if opcode == 0x9:  # ping: answer at once
                self._send(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                self.close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.close_reason = payload[2:].decode()
                try:
                    self._send(0x8, payload[:2])
                except OSError:
                    pass
                return None
            if opcode in (0x1, 0x2):
                kind, message = opcode, payload
            else:
                message += payload  # continuation
            if fin:
                assert kind == 0x1, "fleetd sends text messages"
                return message.decode()

    def recv_json(self, timeout=5):
        text = self.recv(timeout)
        return None if text is None else json.loads(text)

    # --- writing -------------------------------------------------------------------------------
    def _send(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        key = os.urandom(4)
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + key + masked)

    def send_text(self, text):
        self._send(0x1, text.encode())

    def close(self, code=1000):
        """Starts the closing handshake and waits for the server's close frame."""
        try:
            self._send(0x8, struct.pack(">H", code))
            while self.recv(timeout=5) is not None:
                pass
        except (OSError, ConnectionError):
            pass
        self.sock.close()


def connect(port, path="/api/v1/live", headers=None, timeout=10):
    """Opens a WebSocket to 127.0.0.1:port. Raises Refused when the server does not switch protocols."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    hdrs = {"Host": "127.0.0.1:%d" % port, "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
    hdrs.update(headers or {})
    sock.sendall(("GET %s HTTP/1.1\r\n%s\r\n" % (path, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    got = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    if status != 101:
        length = int(got.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        sock.close()
        raise Refused(status, got, rest[:length].decode())
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    assert got.get("sec-websocket-accept") == accept, got
    assert got.get("upgrade", "").lower() == "websocket"
    ws = WebSocket(sock)
    ws.buffer = rest
    return ws


def nothing_within(ws, seconds):
    """True when no message arrives on `ws` within `seconds`; a message fails the test."""
    try:
        message = ws.recv(timeout=seconds)
    except socket.timeout:
        return True
    raise AssertionError("unexpected message: %r" % message)
