"""Device frames for the integration tests. The captured frames come from public sources named beside
each; `codec8_packet` builds extra Codec 8 packets (for tests that need many distinct records)."""
import struct

# Teltonika wiki "Codec" page: IMEI handshake of 356307042441013 (protocols.md 1.1).
TELTONIKA_IMEI = "356307042441013"
TELTONIKA_HANDSHAKE = bytes.fromhex("000F333536333037303432343431303133")
# Teltonika wiki Codec 8 example 1 (asserted in augusto-sb/node-teltonika-codec-parser test/test.ts):
# one record at 2019-06-10T10:04:46Z, IO 21=3, 1=1, 66=24079, 241=24602, 78=0.
CODEC8_ONE = bytes.fromhex(
    "000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E00"
    "00000000000000010000C7CF")
CODEC8_ONE_TIME = "2019-06-10T10:04:46.000Z"
# Teltonika wiki Codec 8 example 3 (same source): two records, 2019-06-10T10:01:01Z and 10:01:19Z.
CODEC8_TWO = bytes.fromhex(
    "000000000000004308020000016B40D57B480100000000000000000000000000000001010101000000000000016B40D5C19801000000"
    "0000000000000000000000000101010101000000020000252C")
# Teltonika wiki Codec 8 Extended example (augusto-sb test/test.ts, alim-zanibekov/teltonika teltonika_test.go).
CODEC8E_ONE = bytes.fromhex(
    "000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011001D0001001001"
    "5E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994")
# traccar TeltonikaProtocolDecoderTest (a captured FMB frame with a real position).
CODEC8_CAPTURED = bytes.fromhex(
    "000000000000004c08010000016818d500580009c28d9f1cb3757a00be00c60f0053000f06f0011503c80001011d00fc000742379918"
    "0053cdf80dce426f430f88190bb8560bb802f100005aa110002887e000010000ee8d")
# Teltonika wiki Codec 8 over UDP (augusto-sb test/test.ts): IMEI 352093086403655, packet id CAFE,
# AVL packet id 05, one record; the ACK is 0005 CAFE 01 05 01.
UDP_IMEI = "352093086403655"
UDP_DATAGRAM = bytes.fromhex(
    "003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503"
    "010101425DBC000001")
UDP_ACK = bytes.fromhex("0005CAFE010501")

# GT06 protocol PDF login example (protocols.md 2.3): IMEI 123456789012345, serial 1; reply from the same source.
GT06_IMEI = "123456789012345"
GT06_LOGIN = bytes.fromhex("78780D01012345678901234500018CDD0D0A")
GT06_LOGIN_REPLY = bytes.fromhex("787805010001D9DC0D0A")
# traccar Gt06ProtocolDecoderTest: location 0x12, 2015-10-20T14:21:11Z, lat 54.94535, lon 24.01762, serial 3.
GT06_LOCATION = bytes.fromhex("78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a")
# GT06 PDF alarm example, CRC verified (RUBY Gt06Server::PacketTest asserts SOS, voltage 6, GSM 4, serial 54).
GT06_ALARM = bytes.fromhex("787825160B0B0F0E241DCF027AC8870C4657E60014020901CC00287D001F726506040101003656A40D0A")
# traccar Gt06FrameDecoderTest: status/heartbeat 0x13 whose length byte is two short, serial 0x044d.
GT06_HEARTBEAT = bytes.fromhex("787808134606020002044dc5050d0a")

# traccar OsmAndProtocolDecoderTest query request.
OSMAND_ID = "902064"
OSMAND_QUERY = "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&altitude=224.0&speed=0.0"
# traccar.org/osmand JSON format (Traccar Client 9+), as in traccar's test.
OSMAND_JSON = ('{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,'
               '"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},"is_moving":false,'
               '"odometer":0,"event":"motionchange","battery":{"level":1,"is_charging":false},'
               '"activity":{"type":"still"},"extras":{}},"device_id":"902064"}')


def crc16_ibm(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def imei_frame(imei):
    return struct.pack(">H", len(imei)) + imei.encode()


def codec8_packet(records):
    """records: list of (time_ms, lat, lon, speed_kmh). Codec 8 with one IO value (239 ignition)."""
    body = bytes([0x08, len(records)])
    for t, lat, lon, speed in records:
        body += struct.pack(">QB", t, 1)
        body += struct.pack(">iiHHBH", int(round(lon * 1e7)), int(round(lat * 1e7)), 100, 90, 9, speed)
        body += bytes([239, 1, 1, 239, 1]) + bytes([0, 0, 0])
    body += bytes([len(records)])
    return struct.pack(">II", 0, len(body)) + body + struct.pack(">I", crc16_ibm(body))


def codec8_io_packet(records):
    """records: list of dicts {"ms", "lat", "lon", "speed", "ignition" (bool), "badge" (int, optional: an
    iButton id, IO 78), "odometer_m" (int, optional: IO 16)}. Codec 8 (Teltonika wiki "Codec"): 1-byte IO
    239 ignition, 4-byte IO 16 total odometer, 8-byte IO 78 iButton."""
    body = bytes([0x08, len(records)])
    for r in records:
        body += struct.pack(">QB", r["ms"], 1)
        body += struct.pack(">iiHHBH", int(round(r["lon"] * 1e7)), int(round(r["lat"] * 1e7)), 100, 0, 9,
                            int(round(r["speed"])))
        io4 = [(16, r["odometer_m"])] if r.get("odometer_m") is not None else []
        io8 = [(78, r["badge"])] if r.get("badge") else []
        body += bytes([239, 1 + len(io4) + len(io8), 1, 239, 1 if r["ignition"] else 0, 0])
        body += bytes([len(io4)]) + b"".join(struct.pack(">BI", i, v) for i, v in io4)
        body += bytes([len(io8)]) + b"".join(struct.pack(">BQ", i, v) for i, v in io8)
    body += bytes([len(records)])
    return struct.pack(">II", 0, len(body)) + body + struct.pack(">I", crc16_ibm(body))
