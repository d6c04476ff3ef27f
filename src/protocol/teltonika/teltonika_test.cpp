#include "protocol/teltonika/teltonika.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/time.hpp"
#include "protocol/teltonika/detail/crc.hpp"
#include "protocol/teltonika/detail/io_names.hpp"

// Frames come from public sources named beside each one (protocols.md section 1 lists them):
//   WIKI  Teltonika wiki "Codec" page examples
//   AUG   augusto-sb/node-teltonika-codec-parser test/test.ts (asserts the decoded wiki examples)
//   ALIM  alim-zanibekov/teltonika teltonika_test.go
//   FK    filipkroca/teltonikaparser teltonikaparser_test.go and commands_test.go
//   TRC   traccar/traccar TeltonikaProtocolDecoderTest.java and TeltonikaFrameDecoderTest.java
// Where a source asserts decoded values, the test asserts the same values; otherwise the expected
// values were read from the bytes by hand, field by field, per the wiki layout (protocols.md 1.2).
namespace fleet::protocol::teltonika {
namespace {

using core::FrameScan;
using core::Message;
using core::MessageType;
using core::Record;

std::vector<uint8_t> Hex(std::string_view hex) {
    auto bytes = core::FromHex(hex);
    EXPECT_TRUE(bytes.ok()) << hex;
    return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

std::string HexOf(const std::vector<uint8_t>& bytes) { return core::ToHex(bytes); }

// The frames of a tests/data/teltonika file (one hex frame a line; '#' lines are comments).
std::vector<std::vector<uint8_t>> ReadFrames(const std::string& name) {
    std::ifstream in(std::string(FLEETD_TEST_DATA) + "/teltonika/" + name);
    EXPECT_TRUE(in.good()) << name;
    std::vector<std::vector<uint8_t>> frames;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        frames.push_back(Hex(line));
    }
    return frames;
}

std::string Time(const Record& r) { return core::FormatIso(r.device_time); }

std::optional<core::AttrValue> Attr(const Record& r, std::string_view name) {
    const core::AttrValue* v = core::FindAttribute(r.attributes, name);
    if (v == nullptr) return std::nullopt;
    return *v;
}

int64_t IntAttr(const Record& r, std::string_view name) {
    auto v = Attr(r, name);
    EXPECT_TRUE(v && std::holds_alternative<int64_t>(*v)) << name;
    return v && std::holds_alternative<int64_t>(*v) ? std::get<int64_t>(*v) : -999999;
}

double DoubleAttr(const Record& r, std::string_view name) {
    auto v = Attr(r, name);
    EXPECT_TRUE(v && std::holds_alternative<double>(*v)) << name;
    return v && std::holds_alternative<double>(*v) ? std::get<double>(*v) : -999999;
}

bool BoolAttr(const Record& r, std::string_view name) {
    auto v = Attr(r, name);
    EXPECT_TRUE(v && std::holds_alternative<bool>(*v)) << name;
    return v && std::holds_alternative<bool>(*v) && std::get<bool>(*v);
}

std::string StringAttr(const Record& r, std::string_view name) {
    auto v = Attr(r, name);
    EXPECT_TRUE(v && std::holds_alternative<std::string>(*v)) << name;
    return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "<missing>";
}

// The IO element of `r` with `id`, or nullptr.
const core::IoElement* Io(const Record& r, uint16_t id) {
    for (const auto& e : r.io) {
        if (e.id == id) return &e;
    }
    return nullptr;
}

uint64_t IoValue(const Record& r, uint16_t id) {
    const core::IoElement* e = Io(r, id);
    EXPECT_NE(e, nullptr) << "IO " << id;
    return e != nullptr ? e->value : 0;
}

core::Decoded MustDecodeTcp(const std::vector<uint8_t>& frame) {
    auto d = DecodeTcp(frame);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message) << " in " << HexOf(frame);
    return d.ok() ? *d : core::Decoded{};
}

core::Decoded MustDecodeUdp(const std::vector<uint8_t>& datagram) {
    auto d = DecodeUdp(datagram);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message) << " in " << HexOf(datagram);
    return d.ok() ? *d : core::Decoded{};
}

// Recomputes the CRC field of a TCP packet after a test edited its data.
void FixCrc(std::vector<uint8_t>& packet) {
    std::span<const uint8_t> data(packet.data() + 8, packet.size() - 12);
    uint16_t crc = core::Crc16Ibm(data);
    packet[packet.size() - 2] = static_cast<uint8_t>(crc >> 8);
    packet[packet.size() - 1] = static_cast<uint8_t>(crc);
}

// Sets the data length field of a TCP packet to match its size.
void FixLength(std::vector<uint8_t>& packet) {
    uint32_t length = static_cast<uint32_t>(packet.size() - 12);
    for (int i = 0; i < 4; ++i) packet[4 + i] = static_cast<uint8_t>(length >> (8 * (3 - i)));
}

// WIKI Codec 8 example 1; AUG asserts its decoded values.
constexpr std::string_view kWikiCodec8 =
    "000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F1"
    "0000601A014E0000000000000000010000C7CF";
// WIKI Codec 8 example 3 (two records); AUG.
constexpr std::string_view kWikiCodec8TwoRecords =
    "000000000000004308020000016B40D57B480100000000000000000000000000000001010101000000000000016B40"
    "D5C198010000000000000000000000000000000101010101000000020000252C";
// WIKI Codec 8 Extended example; AUG and ALIM.
constexpr std::string_view kWikiCodec8E =
    "000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011"
    "001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994";
// WIKI Codec 16 example; AUG and ALIM.
constexpr std::string_view kWikiCodec16 =
    "000000000000005F10020000016BDBC7833000000000000000000000000000000000000B0504020001000003000200"
    "0B"
    "00270042563A00000000016BDBC7871800000000000000000000000000000000000B05040200010000030002000B00"
    "26"
    "0042563A00000200005FB3";
// WIKI IMEI handshake.
constexpr std::string_view kWikiImei = "000F333536333037303432343431303133";

// ---- Handshake ----------------------------------------------------------------------------------

TEST(TeltonikaTest, AcceptsTheWikiImeiHandshake) {
    auto frame = Hex(kWikiImei);
    FrameScan scan = ScanTcp(frame, 4096);
    ASSERT_EQ(scan.status, FrameScan::Status::kFrame);
    EXPECT_EQ(scan.length, frame.size());
    EXPECT_EQ(scan.skip, 0u);

    core::Decoded d = MustDecodeTcp(frame);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].type, MessageType::kLogin);
    EXPECT_EQ(d.messages[0].imei, "356307042441013");
    EXPECT_EQ(HexOf(d.reply), "01");
}

TEST(TeltonikaTest, SkipsAStrayFfBeforeTheImeiAsTraccarDoes) {
    // TRC TeltonikaFrameDecoderTest: FF000F3132... is framed as 000F3132...
    auto buf = Hex("FF000F313233343536373839303132333435");
    FrameScan scan = ScanTcp(buf, 4096);
    ASSERT_EQ(scan.status, FrameScan::Status::kFrame);
    EXPECT_EQ(scan.length, buf.size());
    EXPECT_EQ(scan.skip, 1u);
    core::Decoded d = MustDecodeTcp({buf.begin() + 1, buf.end()});
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].imei, "123456789012345");
}

TEST(TeltonikaTest, RefusesImeisThatAreNotDigits) {
    auto letter = Hex(kWikiImei);
    letter[10] = 'A';
    EXPECT_FALSE(DecodeTcp(letter).ok());
    EXPECT_EQ(ScanTcp(letter, 4096).status, FrameScan::Status::kError);
    EXPECT_FALSE(DecodeTcp(Hex("000333353637")).ok());  // says 3 digits, has 4
    EXPECT_FALSE(DecodeTcp(Hex("00")).ok());
}

// ---- AVL packets over TCP -----------------------------------------------------------------------

TEST(TeltonikaTest, DecodesTheWikiCodec8Example) {
    core::Decoded d = MustDecodeTcp(Hex(kWikiCodec8));
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(HexOf(d.reply), "00000001");
    const Message& m = d.messages[0];
    EXPECT_EQ(m.type, MessageType::kPosition);
    EXPECT_TRUE(m.imei.empty());
    const Record& r = m.record;
    // AUG: timestamp 1560161086000, priority 1, zero position, event IO 1,
    // io {1:1, 21:3, 66:24079, 241:24602, 78:0}.
    EXPECT_EQ(r.device_time.time_since_epoch().count(), 1560161086000);
    EXPECT_EQ(Time(r), "2019-06-10T10:04:46.000Z");
    EXPECT_EQ(r.lat, 0);
    EXPECT_EQ(r.lon, 0);
    EXPECT_EQ(r.altitude_m, 0);
    EXPECT_EQ(r.course_deg, 0);
    EXPECT_EQ(r.satellites, 0);
    EXPECT_EQ(r.speed_kmh, 0);
    EXPECT_FALSE(r.valid);
    ASSERT_EQ(r.io.size(), 5u);
    EXPECT_EQ(IoValue(r, 1), 1u);
    EXPECT_EQ(IoValue(r, 21), 3u);
    EXPECT_EQ(IoValue(r, 66), 24079u);
    EXPECT_EQ(IoValue(r, 241), 24602u);
    EXPECT_EQ(IoValue(r, 78), 0u);
    EXPECT_EQ(Io(r, 78)->size, 8);
    EXPECT_EQ(IntAttr(r, "priority"), 1);
    EXPECT_EQ(IntAttr(r, "event_io_id"), 1);
    EXPECT_EQ(IntAttr(r, "gsm_signal"), 3);
    EXPECT_TRUE(BoolAttr(r, "digital_input_1"));
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "external_voltage_v"), 24.079);
    EXPECT_FALSE(Attr(r, "driver_id"));  // iButton 0: no badge
    EXPECT_FALSE(Attr(r, "alarm"));
    // The JSON line `fleetd decode` prints for it.
    EXPECT_EQ(
        core::MessageToJson(m),
        R"({"type":"position","time":"2019-06-10T10:04:46.000Z","lat":0,"lon":0,"altitude":0,)"
        R"("speed_kmh":0,"course":0,"satellites":0,"valid":false,)"
        R"("io":{"21":3,"1":1,"66":24079,"241":24602,"78":0},)"
        R"("attributes":{"priority":1,"event_io_id":1,"gsm_signal":3,"digital_input_1":true,)"
        R"("external_voltage_v":24.079}})");
}

TEST(TeltonikaTest, DecodesTheWikiCodec8ExamplesWithOneAndTwoRecords) {
    // AUG: 1560161136000, io {1:1, 21:3, 66:24080}.
    core::Decoded one =
        MustDecodeTcp(Hex("000000000000002808010000016B40D9AD80010000000000000000000000000000000103"
                          "021503010101425E1000"
                          "00010000F22A"));
    ASSERT_EQ(one.messages.size(), 1u);
    EXPECT_EQ(one.messages[0].record.device_time.time_since_epoch().count(), 1560161136000);
    EXPECT_EQ(IoValue(one.messages[0].record, 66), 24080u);

    // AUG: 1560160861000 io {1:0} and 1560160879000 io {1:1}, both priority 1, event IO 1.
    core::Decoded two = MustDecodeTcp(Hex(kWikiCodec8TwoRecords));
    ASSERT_EQ(two.messages.size(), 2u);
    EXPECT_EQ(HexOf(two.reply), "00000002");
    EXPECT_EQ(two.messages[0].record.device_time.time_since_epoch().count(), 1560160861000);
    EXPECT_EQ(two.messages[1].record.device_time.time_since_epoch().count(), 1560160879000);
    EXPECT_EQ(IoValue(two.messages[0].record, 1), 0u);
    EXPECT_EQ(IoValue(two.messages[1].record, 1), 1u);
    EXPECT_FALSE(BoolAttr(two.messages[0].record, "digital_input_1"));
    EXPECT_TRUE(BoolAttr(two.messages[1].record, "digital_input_1"));
}

TEST(TeltonikaTest, DecodesTheWikiCodec8ExtendedExample) {
    core::Decoded d = MustDecodeTcp(Hex(kWikiCodec8E));
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(HexOf(d.reply), "00000001");
    const Record& r = d.messages[0].record;
    // AUG: 1560166592000, priority 1, event IO 1, io {1:1, 11:893700218, 14:500686954,
    // 16:22949000, 17:29}.
    EXPECT_EQ(r.device_time.time_since_epoch().count(), 1560166592000);
    EXPECT_EQ(IntAttr(r, "priority"), 1);
    EXPECT_EQ(IntAttr(r, "event_io_id"), 1);
    ASSERT_EQ(r.io.size(), 5u);
    EXPECT_EQ(IoValue(r, 1), 1u);
    EXPECT_EQ(IoValue(r, 11), 893700218u);
    EXPECT_EQ(IoValue(r, 14), 500686954u);
    EXPECT_EQ(IoValue(r, 16), 22949000u);
    EXPECT_EQ(IoValue(r, 17), 29u);
    EXPECT_EQ(Io(r, 11)->size, 8);
    EXPECT_EQ(IntAttr(r, "odometer_m"), 22949000);
    EXPECT_EQ(IntAttr(r, "axis_x_mg"), 29);
}

TEST(TeltonikaTest, DecodesTheWikiCodec16ExampleWithGenerationType) {
    core::Decoded d = MustDecodeTcp(Hex(kWikiCodec16));
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(HexOf(d.reply), "00000002");
    // AUG: 1562760414000 and 1562760415000, priority 0, event IO 11, generation type 5,
    // io {1:0, 3:0, 11:39 (then 38), 66:22074}.
    const Record& a = d.messages[0].record;
    const Record& b = d.messages[1].record;
    EXPECT_EQ(a.device_time.time_since_epoch().count(), 1562760414000);
    EXPECT_EQ(b.device_time.time_since_epoch().count(), 1562760415000);
    for (const Record* r : {&a, &b}) {
        EXPECT_EQ(IntAttr(*r, "priority"), 0);
        EXPECT_EQ(IntAttr(*r, "event_io_id"), 11);
        EXPECT_EQ(IntAttr(*r, "generation_type"), 5);
        EXPECT_EQ(IoValue(*r, 1), 0u);
        EXPECT_EQ(IoValue(*r, 3), 0u);
        EXPECT_EQ(IoValue(*r, 66), 22074u);
        EXPECT_FALSE(BoolAttr(*r, "digital_input_3"));
    }
    EXPECT_EQ(IoValue(a, 11), 39u);
    EXPECT_EQ(IoValue(b, 11), 38u);
}

TEST(TeltonikaTest, DecodesCodec16IdsAbove255) {
    // TRC: Codec 16 record whose 1-byte elements use 2-byte IDs 256..287 (values read from the
    // bytes).
    core::Decoded d =
        MustDecodeTcp(Hex("000000000000009F100100000164D855401800D5E3B744EC11C762023B011A0600000000"
                          "07200A01000001050001"
                          "0600010D00010E00010F00011600011700011800011F0013010100000107000001080000"
                          "01090000010A0000010B"
                          "0000010C000001100000011100000112000001130000011400000115000001190000011A"
                          "0000011B0000011C0000"
                          "011D0000011E000003010200000000010300000000010400000000000100000D3B"));
    ASSERT_EQ(d.messages.size(), 1u);
    const Record& r = d.messages[0].record;
    EXPECT_EQ(Time(r), "2018-07-26T20:43:43.000Z");
    EXPECT_DOUBLE_EQ(r.lon, -70.64967);    // D5E3B744
    EXPECT_DOUBLE_EQ(r.lat, -33.4379166);  // EC11C762
    EXPECT_EQ(r.altitude_m, 571);
    EXPECT_EQ(r.course_deg, 282);
    EXPECT_EQ(r.satellites, 6);
    EXPECT_EQ(IntAttr(r, "generation_type"), 7);
    EXPECT_EQ(r.io.size(), 32u);  // N1 10 + N2 19 + N4 3
    EXPECT_NE(Io(r, 0x0105), nullptr);
    EXPECT_EQ(IoValue(r, 0x0102), 0u);
    EXPECT_EQ(Io(r, 0x0102)->size, 4);
}

TEST(TeltonikaTest, DecodesVariableLengthElementsOfCodec8Extended) {
    // TRC: an FMB003-style record with NX elements 256 (VIN) and 281 (fault codes).
    core::Decoded d = MustDecodeTcp(
        Hex("00000000000000a38e0100000178b11c9e1000040bbbc91f03190c002100e113001300000010000600ef01"
            "00f001"
            "00150300c800004501001e070005004237e00018000a00ce166200430f970024059f000300f10000665900"
            "c70000"
            "001e00100000a1b500000002010000115756315a5a5a32455a38363031353338380119002950303239392c"
            "503036"
            "37352c50303637342c50303637322c50303637312c50303437312c50324241430100001ad8"));
    ASSERT_EQ(d.messages.size(), 1u);
    const Record& r = d.messages[0].record;
    const core::IoElement* vin = Io(r, 256);
    ASSERT_NE(vin, nullptr);
    EXPECT_EQ(vin->size, 0);
    EXPECT_EQ(vin->bytes, "WV1ZZZ2EZ86015388");
    EXPECT_EQ(StringAttr(r, "dtc_codes"), "P0299,P0675,P0674,P0672,P0671,P0471,P2BAC");
    EXPECT_EQ(IntAttr(r, "dtc_count"), 7);
    EXPECT_TRUE(BoolAttr(r, "ignition"));
    EXPECT_EQ(IntAttr(r, "odometer_m"), 41397);
    EXPECT_EQ(IntAttr(r, "trip_odometer_m"), 30);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "external_voltage_v"), 14.304);
    EXPECT_DOUBLE_EQ(r.lat, 52.0296716);
    EXPECT_DOUBLE_EQ(r.lon, 6.7877833);

    // ALIM: two records, the second with one NX element (385, beacon data) of 45 bytes.
    core::Decoded beacons = MustDecodeTcp(
        Hex("00000000000000A98E020000017357633410000F0DC39B2095964A00AC00F80B00000000000B000500F001"
            "00150400"
            "C800004501007156000500B5000500B600040018000000430FE00044011B000100F10000601B0000000000"
            "000173576"
            "33BE1000F0DC39B2095964A00AC00F80B000001810001000000000000000000010181002D1121310203040"
            "5060708"
            "090A0B0C0D0E0F104545010ABC212102030405060708090A0B0C0D0E0F10020B010AAD020000BF30"));
    ASSERT_EQ(beacons.messages.size(), 2u);
    const Record& second = beacons.messages[1].record;
    ASSERT_EQ(second.io.size(), 1u);
    EXPECT_EQ(second.io[0].id, 385);
    EXPECT_EQ(second.io[0].size, 0);
    EXPECT_EQ(second.io[0].bytes.size(), 45u);
    EXPECT_EQ(IntAttr(second, "event_io_id"), 385);
    EXPECT_EQ(core::IoToJson(second.io).substr(0, 16), R"({"385":"11213102)");
}

TEST(TeltonikaTest, DecodesTheIButtonAsADriverId) {
    // TRC: four Codec 8 records, each with only IO 78; the badge is present in records 2 and 4.
    core::Decoded d =
        MustDecodeTcp(Hex("000000000000009f080400000159738f76b8012e13b796110ab27600d700000b00004e01"
                          "000000014e000000000000"
                          "000000000159738f6ee8012e13b796110ab27600d700000a00004e01000000014e01000b"
                          "00791c179300000159738f"
                          "6b00012e13b796110ab27600d700000a00004e01000000014e0000000000000000000001"
                          "59738f5f48012e13b79611"
                          "0ab27600d700000b00004e01000000014e01000b00791c17930400009671"));
    ASSERT_EQ(d.messages.size(), 4u);
    EXPECT_EQ(HexOf(d.reply), "00000004");
    EXPECT_FALSE(Attr(d.messages[0].record, "driver_id"));
    EXPECT_EQ(StringAttr(d.messages[1].record, "driver_id"), "01000B00791C1793");
    EXPECT_FALSE(Attr(d.messages[2].record, "driver_id"));
    EXPECT_EQ(StringAttr(d.messages[3].record, "driver_id"), "01000B00791C1793");
    EXPECT_DOUBLE_EQ(d.messages[0].record.lon, 77.3044118);
    EXPECT_DOUBLE_EQ(d.messages[0].record.lat, 28.5913718);
    EXPECT_EQ(d.messages[0].record.satellites, 11);
    EXPECT_TRUE(d.messages[0].record.valid);
}

TEST(TeltonikaTest, ReadsSignedCoordinatesAndAltitude) {
    // TRC: latitude south of the equator (EBC142B0 → -33.9656016).
    core::Decoded south = MustDecodeTcp(Hex(
        "00000000000000b98e0200000179555c7bf8010b3a1cfbebc142b00000000000000000ec000f000900f0000015"
        "000"
        "0c80000450200710100740001070100fa0000ec01000500b500000018000000430d5600440000001900000001"
        "00f1000000000000000000000179555c83c8010b3a1cfbebc142b0000000000000000185000f000900f0000015"
        "00"
        "00c80000450200710100740001070100fa00018511000500b500000018000000430d5600440000001900000001"
        "00f"
        "100000000000000000200003251"));
    ASSERT_EQ(south.messages.size(), 2u);
    EXPECT_DOUBLE_EQ(south.messages[0].record.lat, -33.9656016);
    EXPECT_DOUBLE_EQ(south.messages[0].record.lon, 18.8357883);
    EXPECT_FALSE(south.messages[0].record.valid);  // no satellites
    EXPECT_DOUBLE_EQ(DoubleAttr(south.messages[0].record, "battery_v"), 3.414);

    // TRC: altitude FFFA = -6 m.
    core::Decoded below =
        MustDecodeTcp(Hex("000000000000003508010000014f8e016420002141bbaf0f4e96a7fffa00001200000006"
                          "02010047030242669c920"
                          "00002c7000000009100000000000100002df3"));
    ASSERT_EQ(below.messages.size(), 1u);
    EXPECT_EQ(below.messages[0].record.altitude_m, -6);
    EXPECT_EQ(below.messages[0].record.satellites, 18);
}

TEST(TeltonikaTest, MarksAFixValidWithThreeSatellitesAndNonZeroPosition) {
    Record r;
    r.device_time = core::TimePoint{core::Millis{1560161086000}};
    auto decode = [&](double lat, double lon, int satellites) {
        r.lat = lat;
        r.lon = lon;
        r.satellites = satellites;
        core::Decoded d = MustDecodeTcp(EncodeAvlTcp(Codec::k8, std::span<const Record>(&r, 1)));
        return d.messages.empty() ? false : d.messages[0].record.valid;
    };
    EXPECT_TRUE(decode(54.6, 25.2, 3));
    EXPECT_FALSE(decode(54.6, 25.2, 2));
    EXPECT_FALSE(decode(0, 0, 12));
    EXPECT_TRUE(decode(0, 25.2, 12));
}

// ---- Named attributes and alarms ----------------------------------------------------------------

Record RecordWithIo(std::vector<core::IoElement> io, int64_t event_io_id = 0) {
    Record r;
    r.device_time = core::TimePoint{core::Millis{1700000000000}};
    r.lat = 54.6866;
    r.lon = 25.2797;
    r.satellites = 9;
    r.io = std::move(io);
    core::SetAttribute(r.attributes, "event_io_id", event_io_id);
    return r;
}

Record DecodeOne(const Record& in, Codec codec = Codec::k8Extended) {
    core::Decoded d = MustDecodeTcp(EncodeAvlTcp(codec, std::span<const Record>(&in, 1)));
    EXPECT_EQ(d.messages.size(), 1u);
    return d.messages.empty() ? Record{} : d.messages[0].record;
}

TEST(TeltonikaTest, NamesWellKnownIoElementsWithTheirUnits) {
    Record r = DecodeOne(RecordWithIo({
        {239, 1, 1, {}},
        {240, 1, 0, {}},
        {21, 1, 4, {}},
        {69, 1, 1, {}},
        {200, 1, 2, {}},
        {1, 1, 1, {}},
        {2, 1, 0, {}},
        {3, 1, 1, {}},
        {179, 1, 1, {}},
        {180, 1, 0, {}},
        {30, 1, 2, {}},
        {89, 1, 57, {}},
        {66, 2, 12374, {}},
        {67, 2, 4051, {}},
        {68, 2, 95, {}},
        {9, 2, 4500, {}},
        {181, 2, 12, {}},
        {182, 2, 7, {}},
        {17, 2, 9, {}},
        {18, 2, 0xFF22, {}},
        {19, 2, 977, {}},
        {84, 2, 456, {}},
        {85, 2, 2350, {}},
        {16, 4, 2962374, {}},
        {199, 4, 13, {}},
        {83, 4, 12345, {}},
        {78, 8, 0x01000B00791C1793, {}},
        {281, 0, 0, "P0299,P0675"},
    }));
    EXPECT_TRUE(BoolAttr(r, "ignition"));
    EXPECT_FALSE(BoolAttr(r, "motion"));
    EXPECT_EQ(IntAttr(r, "gsm_signal"), 4);
    EXPECT_EQ(IntAttr(r, "gnss_status"), 1);
    EXPECT_EQ(IntAttr(r, "sleep_mode"), 2);
    EXPECT_TRUE(BoolAttr(r, "digital_input_1"));
    EXPECT_FALSE(BoolAttr(r, "digital_input_2"));
    EXPECT_TRUE(BoolAttr(r, "digital_input_3"));
    EXPECT_TRUE(BoolAttr(r, "digital_output_1"));
    EXPECT_FALSE(BoolAttr(r, "digital_output_2"));
    EXPECT_EQ(IntAttr(r, "dtc_count"), 2);
    EXPECT_EQ(IntAttr(r, "fuel_level_pct"), 57);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "external_voltage_v"), 12.374);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "battery_v"), 4.051);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "battery_current_a"), 0.095);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "analog_input_1"), 4.5);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "pdop"), 1.2);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "hdop"), 0.7);
    ASSERT_TRUE(r.hdop.has_value());
    EXPECT_DOUBLE_EQ(*r.hdop, 0.7);
    EXPECT_EQ(IntAttr(r, "axis_x_mg"), 9);
    EXPECT_EQ(IntAttr(r, "axis_y_mg"), -222);  // FF22, as FK prints it
    EXPECT_EQ(IntAttr(r, "axis_z_mg"), 977);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "fuel_level_l"), 45.6);
    EXPECT_EQ(IntAttr(r, "engine_rpm"), 2350);
    EXPECT_EQ(IntAttr(r, "odometer_m"), 2962374);
    EXPECT_EQ(IntAttr(r, "trip_odometer_m"), 13);
    EXPECT_DOUBLE_EQ(DoubleAttr(r, "fuel_used_l"), 1234.5);
    EXPECT_EQ(StringAttr(r, "driver_id"), "01000B00791C1793");
    EXPECT_EQ(StringAttr(r, "dtc_codes"), "P0299,P0675");
    EXPECT_FALSE(Attr(r, "alarm"));
    // Every element stays in io, named or not.
    EXPECT_EQ(r.io.size(), 28u);
}

TEST(TeltonikaTest, KeepsUnknownIdsOnlyInIo) {
    Record r = DecodeOne(RecordWithIo({{205, 2, 17194, {}}, {241, 4, 23001, {}}}));
    ASSERT_EQ(r.attributes.size(), 2u);  // priority and event_io_id only
    EXPECT_EQ(core::IoToJson(r.io), R"({"205":17194,"241":23001})");
}

TEST(TeltonikaTest, RaisesAlarmsFromEventualElements) {
    auto alarm = [](std::vector<core::IoElement> io, int64_t event = 0) -> std::string {
        Record r = DecodeOne(RecordWithIo(std::move(io), event));
        auto v = Attr(r, "alarm");
        return v ? std::get<std::string>(*v) : "";
    };
    EXPECT_EQ(alarm({{252, 1, 1, {}}}, 252), "power_cut");
    EXPECT_EQ(alarm({{252, 1, 0, {}}}, 252), "");
    EXPECT_EQ(alarm({{249, 1, 1, {}}}, 249), "gsm_jamming");
    EXPECT_EQ(alarm({{249, 1, 0, {}}}, 249), "");
    EXPECT_EQ(alarm({{246, 1, 1, {}}}, 246), "tow");
    EXPECT_EQ(alarm({{247, 1, 3, {}}}, 247), "crash");
    EXPECT_EQ(alarm({{253, 1, 1, {}}}, 253), "harsh_acceleration");
    EXPECT_EQ(alarm({{253, 1, 2, {}}}, 253), "harsh_braking");
    EXPECT_EQ(alarm({{253, 1, 3, {}}}, 253), "harsh_cornering");
    EXPECT_EQ(alarm({{255, 1, 93, {}}}, 255), "overspeed");
    // The element that generated the record wins over a status element carried along.
    EXPECT_EQ(alarm({{253, 1, 2, {}}, {252, 1, 1, {}}}, 252), "power_cut");
    EXPECT_EQ(alarm({{253, 1, 2, {}}, {252, 1, 1, {}}}, 253), "harsh_braking");
    EXPECT_EQ(alarm({{253, 1, 2, {}}, {252, 1, 1, {}}}, 0),
              "harsh_braking");  // first in the packet
}

TEST(TeltonikaTest, NamedIdTableAgreesWithTheNamer) {
    for (uint16_t id = 0; id < 400; ++id) {
        Record r;
        detail::IoNamer namer(r, id);
        core::IoElement e{id, 1, 1, {}};
        if (id == 281) e = {id, 0, 0, "P0001"};
        namer.Add(e);
        namer.Finish();
        EXPECT_EQ(!r.attributes.empty(), detail::IsNamedId(id)) << "IO " << id;
    }
}

TEST(TeltonikaTest, RepeatedIdsReplaceTheirAttribute) {
    Record r = DecodeOne(RecordWithIo({{21, 1, 2, {}}, {21, 1, 5, {}}}));
    int count = 0;
    for (const auto& a : r.attributes) count += a.name == "gsm_signal" ? 1 : 0;
    EXPECT_EQ(count, 1);
    EXPECT_EQ(IntAttr(r, "gsm_signal"), 5);
    EXPECT_EQ(r.io.size(), 2u);
}

// ---- Command codecs -----------------------------------------------------------------------------

TEST(TeltonikaTest, DecodesCodec12ResponsesAsText) {
    // FK commands_test.go: the wiki's getinfo and getio responses.
    core::Decoded info =
        MustDecodeTcp(Hex("00000000000000900C010600000088494E493A323031392F372F323220373A3232205254"
                          "433A323031392F372F3232"
                          "20373A3533205253543A32204552523A312053523A302042523A302043463A302046473A"
                          "3020464C3A302054553A30"
                          "2F302055543A3020534D533A30204E4F4750533A303A3330204750533A31205341543A30"
                          "2052533A332052463A3635"
                          "2053463A31204D443A30010000C78F"));
    ASSERT_EQ(info.messages.size(), 1u);
    EXPECT_EQ(info.messages[0].type, MessageType::kCommandResponse);
    EXPECT_EQ(
        info.messages[0].text,
        "INI:2019/7/22 7:22 RTC:2019/7/22 7:53 RST:2 ERR:1 SR:0 BR:0 CF:0 FG:0 FL:0 TU:0/0 UT:0 "
        "SMS:0 NOGPS:0:30 GPS:1 SAT:0 RS:3 RF:65 SF:1 MD:0");
    EXPECT_TRUE(info.reply.empty());

    core::Decoded io =
        MustDecodeTcp(Hex("00000000000000370C01060000002F4449313A31204449323A30204449333A302041494E"
                          "313A302041494E323A3136"
                          "39323420444F313A3020444F323A3101000066E3"));
    ASSERT_EQ(io.messages.size(), 1u);
    EXPECT_EQ(io.messages[0].text, "DI1:1 DI2:0 DI3:0 AIN1:0 AIN2:16924 DO1:0 DO2:1");

    // TRC: an answer ending in CR LF is trimmed.
    core::Decoded fm =
        MustDecodeTcp(Hex("000000000000002d0c01060000002523464d323d3236323033323736313732313339362c"
                          "32363230332c30372e30"
                          "322e30350d0a0100009a2e"));
    ASSERT_EQ(fm.messages.size(), 1u);
    EXPECT_EQ(fm.messages[0].text, "#FM2=262032761721396,26203,07.02.05");
}

TEST(TeltonikaTest, ShowsBinaryCommandResponsesAsHex) {
    // TRC: a Codec 12 response whose payload is not text.
    core::Decoded d =
        MustDecodeTcp(Hex("00000000000000100C010600000008010300010015D5C5010000D988"));
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].text, "010300010015d5c5");
}

TEST(TeltonikaTest, DecodesCodec13AndCodec15Messages) {
    // ALIM: Codec 13 response "getinfo" with timestamp 176276256 s.
    core::Decoded c13 =
        MustDecodeTcp(Hex("00000000000000130d01060000000b0a81c320676574696e666f0100001d6b"));
    ASSERT_EQ(c13.messages.size(), 1u);
    EXPECT_EQ(c13.messages[0].type, MessageType::kCommandResponse);
    EXPECT_EQ(c13.messages[0].text, "getinfo");
    EXPECT_EQ(c13.messages[0].record.device_time.time_since_epoch().count(), 176276256000);

    // WIKI / ALIM: Codec 15 "Hello!\n" from IMEI 123456789123456 at 1699440036 s.
    core::Decoded c15 = MustDecodeTcp(
        Hex("000000000000001b0f010b00000013654b65a4012345678912345648656c6c6f210a01000093d6"));
    ASSERT_EQ(c15.messages.size(), 1u);
    EXPECT_EQ(c15.messages[0].imei, "123456789123456");
    EXPECT_EQ(c15.messages[0].text, "Hello!");
    EXPECT_EQ(c15.messages[0].record.device_time.time_since_epoch().count(), 1699440036000);
}

TEST(TeltonikaTest, EncodesTheWikiCommands) {
    // WIKI (FK, ALIM encoder tests): getinfo and getio; HOLT: getver.
    EXPECT_EQ(HexOf(EncodeCommand("getinfo")),
              "000000000000000f0c010500000007676574696e666f0100004312");
    EXPECT_EQ(HexOf(EncodeCommand("getio")), "000000000000000d0c010500000005676574696f01000000cb");
    EXPECT_EQ(HexOf(EncodeCommand("getver")),
              "000000000000000e0c010500000006676574766572010000a4c2");
}

TEST(TeltonikaTest, CommandsTravelOnlyFromTheServer) {
    auto command = Hex("000000000000000F0C010500000007676574696E666F0100004312");
    auto d = DecodeTcp(command);
    EXPECT_FALSE(d.ok());
    auto text = DecodeCommand(command);
    ASSERT_TRUE(text.ok()) << text.error().message;
    EXPECT_EQ(*text, "getinfo");
    // The device side answers with a type 0x06 frame the server decodes.
    core::Decoded answer = MustDecodeTcp(EncodeCommandResponse("DO1:1"));
    ASSERT_EQ(answer.messages.size(), 1u);
    EXPECT_EQ(answer.messages[0].text, "DO1:1");
    EXPECT_FALSE(DecodeCommand(EncodeCommandResponse("DO1:1")).ok());
    auto broken = command;
    broken.back() ^= 1;
    EXPECT_FALSE(DecodeCommand(broken).ok());
}

// ---- UDP ----------------------------------------------------------------------------------------

TEST(TeltonikaTest, DecodesTheWikiUdpExamplesAndAcksThem) {
    // AUG: Codec 8 over UDP, packet id CAFE, AVL packet id 5, IMEI 352093086403655, one record at
    // 1560407006000 with io {1:1, 21:3, 66:23996}.
    core::Decoded c8 =
        MustDecodeUdp(Hex("003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000"
                          "0000000000000000000000"
                          "00000103021503010101425DBC000001"));
    ASSERT_EQ(c8.messages.size(), 1u);
    EXPECT_EQ(c8.messages[0].imei, "352093086403655");
    EXPECT_EQ(c8.messages[0].record.device_time.time_since_epoch().count(), 1560407006000);
    EXPECT_EQ(IoValue(c8.messages[0].record, 66), 23996u);
    EXPECT_EQ(HexOf(c8.reply), "0005cafe010501");

    // AUG: Codec 8 Extended, AVL packet id 7, io {1:1, 11, 14, 16:22949000, 17:157}.
    core::Decoded c8e =
        MustDecodeUdp(Hex("005FCAFE0107000F3335323039333038363430333635358E010000016B4F831C68010000"
                          "0000000000000000000000"
                          "000000010005000100010100010011009D00010010015E2C880002000B000000003544C8"
                          "7A000E000000001DD7E06A"
                          "000001"));
    ASSERT_EQ(c8e.messages.size(), 1u);
    EXPECT_EQ(c8e.messages[0].record.device_time.time_since_epoch().count(), 1560407121000);
    EXPECT_EQ(IoValue(c8e.messages[0].record, 17), 157u);
    EXPECT_EQ(HexOf(c8e.reply), "0005cafe010701");

    // AUG: Codec 16, AVL packet id 1, IMEI 352094085231592, 1447804801000, event IO 239,
    // generation type 5, io {1:0, 3:0, 180:0, 239:1, 66:4378}.
    core::Decoded c16 =
        MustDecodeUdp(Hex("0048CAFE0101000F33353230393430383532333135393210010000015117E40FE8000000"
                          "0000000000000000000000"
                          "000000EF05050400010000030000B40000EF01010042111A000001"));
    ASSERT_EQ(c16.messages.size(), 1u);
    const Record& r = c16.messages[0].record;
    EXPECT_EQ(c16.messages[0].imei, "352094085231592");
    EXPECT_EQ(r.device_time.time_since_epoch().count(), 1447804801000);
    EXPECT_EQ(IntAttr(r, "event_io_id"), 239);
    EXPECT_EQ(IntAttr(r, "generation_type"), 5);
    EXPECT_TRUE(BoolAttr(r, "ignition"));
    EXPECT_EQ(IoValue(r, 66), 4378u);
    EXPECT_EQ(HexOf(c16.reply), "0005cafe010101");
}

TEST(TeltonikaTest, AcksCapturedDatagramsAsFkPrintsThem) {
    // FK: a Codec 8 Extended datagram from an FMB920; FK prints Response [0 5 202 254 1 1 1] and
    // Priority 2, event 252, io 66 = 12374, 18 = FF22 (axis Y -222), 241 = 23001.
    core::Decoded fmb = MustDecodeUdp(Hex(
        "0086cafe0101000f3335323039333038353639383230368e0100000167efa91980020000000000000000000000"
        "000"
        "0000000fc0013000800ef0000f00000150500c80000450200010000710000fc00000900b5000000b6000000423"
        "056"
        "00cd432a00ce6064001100090012ff22001303d1000f0000000200f1000059d90010000000000000000001"));
    EXPECT_EQ(HexOf(fmb.reply), "0005cafe010101");
    ASSERT_EQ(fmb.messages.size(), 1u);
    const Record& r = fmb.messages[0].record;
    EXPECT_EQ(fmb.messages[0].imei, "352093085698206");
    EXPECT_EQ(r.device_time.time_since_epoch().count(), 1545914096000);
    EXPECT_EQ(IntAttr(r, "priority"), 2);
    EXPECT_EQ(IntAttr(r, "event_io_id"), 252);
    EXPECT_EQ(r.io.size(), 19u);
    EXPECT_EQ(IoValue(r, 241), 23001u);
    EXPECT_EQ(IntAttr(r, "axis_y_mg"), -222);
    EXPECT_EQ(IntAttr(r, "gnss_status"), 2);
    EXPECT_FALSE(Attr(r, "alarm"));  // unplug 0: power present

    // FK: four Codec 8 records; Response [0 5 202 254 1 40 4]. First record: 1528069090050,
    // priority 1, 491403133 / 170206400 (FK labels the first wire value Lng), altitude 211, angle
    // 303, 19 satellites, 50 km/h, event 66, PDOP 8, HDOP 6, io 66 = [111 216], 16 = [0 45 51 198].
    core::Decoded fm = MustDecodeUdp(
        Hex("01e4cafe0128000f333532303934303839333937343634080400000163c803eb02010a2524c01d4a377d00"
            "d3012f"
            "130032421b0a4503f00150051503ef01510052005900be00c1000ab50008b60006426fd8cd3d1ece605a54"
            "0000550"
            "0007300005a0000c0000007c70000000df1000059d910002d33c65300000000570000000064000000f7bf0"
            "0000000"
            "0000000163c803e6e8010a2530781d4a316f00d40131130031421b0a4503f00150051503ef015100520059"
            "00be00c1000ab50008b60005426fcbcd3d1ece605a5400005500007300005a0000c0000007c70000000ef1"
            "000059"
            "d910002d33b95300000000570000000064000000f7bf000000000000000163c803df18010a2536961d4a2e"
            "4f00d5"
            "0134130033421b0a4503f00150051503ef01510052005900be00c1000ab50008b6000542702bcd3d1ece60"
            "5a5400"
            "005500007300005a0000c0000007c70000001ef1000059d910002d33aa530000000057000000006400"
            "0000f7bf000000000000000163c8039ce2010a25d8d41d49f42c00dc0123120058421b0a4503f001500515"
            "03ef01"
            "510052005900be00c1000ab50009b60005427031cd79d8ce605a5400005500007300005a0000c0000007c7"
            "000000"
            "19f1000059d910002d32505300000000570000000064000000f7bf000000000004"));
    EXPECT_EQ(HexOf(fm.reply), "0005cafe012804");
    ASSERT_EQ(fm.messages.size(), 4u);
    const Record& first = fm.messages[0].record;
    EXPECT_EQ(first.device_time.time_since_epoch().count(), 1528069090050);
    EXPECT_EQ(IntAttr(first, "priority"), 1);
    EXPECT_DOUBLE_EQ(first.lon, 17.02064);
    EXPECT_DOUBLE_EQ(first.lat, 49.1403133);
    EXPECT_EQ(first.altitude_m, 211);
    EXPECT_EQ(first.course_deg, 303);
    EXPECT_EQ(first.satellites, 19);
    EXPECT_EQ(first.speed_kmh, 50);
    EXPECT_EQ(IntAttr(first, "event_io_id"), 66);
    EXPECT_DOUBLE_EQ(DoubleAttr(first, "pdop"), 0.8);
    EXPECT_DOUBLE_EQ(DoubleAttr(first, "hdop"), 0.6);
    EXPECT_DOUBLE_EQ(DoubleAttr(first, "external_voltage_v"), 28.632);
    EXPECT_EQ(IntAttr(first, "odometer_m"), 2962374);
    EXPECT_EQ(fm.messages[3].record.device_time.time_since_epoch().count(), 1528069070050);
}

TEST(TeltonikaTest, DecodesEveryPublicDatagram) {
    auto datagrams = ReadFrames("udp_datagrams.hex");
    ASSERT_GE(datagrams.size(), 9u);
    for (const auto& d : datagrams) {
        core::Decoded out = MustDecodeUdp(d);
        EXPECT_FALSE(out.messages.empty());
        ASSERT_EQ(out.reply.size(), 7u);
        EXPECT_EQ(out.reply[6], out.messages.size());
        EXPECT_EQ(out.reply[4], 0x01);
        EXPECT_EQ(out.reply[5], d[5]);  // AVL packet id echoed
        for (const auto& m : out.messages) EXPECT_EQ(m.imei.size(), 15u);
    }
}

TEST(TeltonikaTest, RefusesBadDatagrams) {
    // ALIM's must-fail cases: an IMEI length of 4, and a length field of 0x013D.
    EXPECT_FALSE(
        DecodeUdp(
            Hex("005FCAFE010700043335323039333038363430333635358E010000016B4F831C68010000000000"
                "0000000000000000000000010005000100010100010011009D00010010015E2C88000200"
                "0B000000003544C87A000E000000001DD7E06A000001"))
            .ok());
    auto wiki =
        Hex("003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000"
            "000000000000000103021503010101425DBC000001");
    auto longer = wiki;
    longer[0] = 0x01;
    EXPECT_FALSE(DecodeUdp(longer).ok());
    auto counts = wiki;
    counts.back() = 2;  // Number of Data 2
    EXPECT_FALSE(DecodeUdp(counts).ok());
    auto not_digits = wiki;
    not_digits[8] = 'A';
    EXPECT_FALSE(DecodeUdp(not_digits).ok());
    EXPECT_FALSE(DecodeUdp(Hex("0005CAFE010501")).ok());  // an ACK is not a datagram
    EXPECT_FALSE(DecodeUdp({}).ok());
}

// ---- Framing and integrity ----------------------------------------------------------------------

TEST(TeltonikaTest, DecodesEveryPublicTcpFrame) {
    auto frames = ReadFrames("tcp_frames.hex");
    ASSERT_GE(frames.size(), 30u);
    for (const auto& f : frames) {
        FrameScan scan = ScanTcp(f, 64 * 1024);
        EXPECT_EQ(scan.status, FrameScan::Status::kFrame) << scan.error << " in " << HexOf(f);
        EXPECT_EQ(scan.length, f.size());
        core::Decoded d = MustDecodeTcp(f);
        EXPECT_FALSE(d.messages.empty()) << HexOf(f);
    }
}

TEST(TeltonikaTest, EveryStrictPrefixOfAFrameNeedsMore) {
    auto frames = ReadFrames("tcp_frames.hex");
    frames.push_back(Hex("FF000F313233343536373839303132333435"));  // TRC, stray 0xFF
    for (const auto& f : frames) {
        for (size_t n = 0; n < f.size(); ++n) {
            FrameScan scan = ScanTcp(std::span<const uint8_t>(f.data(), n), 64 * 1024);
            ASSERT_EQ(scan.status, FrameScan::Status::kNeedMore)
                << "prefix of " << n << " bytes of " << HexOf(f) << ": " << scan.error;
        }
        EXPECT_EQ(ScanTcp(f, 64 * 1024).status, FrameScan::Status::kFrame);
    }
}

TEST(TeltonikaTest, SplitsAStreamIntoItsFrames) {
    std::vector<uint8_t> stream = Hex("FF" + std::string(kWikiImei));
    for (std::string_view f : {kWikiCodec8, kWikiCodec8E, kWikiCodec16}) {
        auto bytes = Hex(f);
        stream.insert(stream.end(), bytes.begin(), bytes.end());
    }
    std::vector<MessageType> types;
    size_t pos = 0;
    size_t frames = 0;
    while (pos < stream.size()) {
        FrameScan scan = ScanTcp(std::span<const uint8_t>(stream).subspan(pos), 4096);
        ASSERT_EQ(scan.status, FrameScan::Status::kFrame) << scan.error;
        auto frame =
            std::span<const uint8_t>(stream).subspan(pos + scan.skip, scan.length - scan.skip);
        auto d = DecodeTcp(frame);
        ASSERT_TRUE(d.ok()) << d.error().message;
        for (const auto& m : d->messages) types.push_back(m.type);
        pos += scan.length;
        ++frames;
    }
    EXPECT_EQ(frames, 4u);
    EXPECT_EQ(types.size(), 1u + 1u + 1u + 2u);
    EXPECT_EQ(types[0], MessageType::kLogin);
}

TEST(TeltonikaTest, RefusesAFlippedCrc) {
    for (std::string_view hex : {kWikiCodec8, kWikiCodec8E, kWikiCodec16}) {
        auto good = Hex(hex);
        for (size_t i : {good.size() - 1, good.size() - 2, good.size() - 3, size_t{20}}) {
            auto bad = good;
            bad[i] ^= 0x01;
            auto d = DecodeTcp(bad);
            ASSERT_FALSE(d.ok()) << "byte " << i;
            EXPECT_NE(d.error().message.find("CRC"), std::string::npos) << d.error().message;
        }
    }
    // TRC frames whose CRC fails as captured (protocols.md 1.6).
    for (std::string_view hex :
         {"000000000000001C0D01050000001056E924222347455420444154414F524445520D0A0100004990",
          "000000000000008c08010000013feb55ff74000f0ea850209a690000940000120000001e09FD01FE21030004"
          "0016014703f0001504c8000c0900730a00460b00501300464306d7440000b5000bb60007422e9f180000cd03"
          "86ce000107c700000000f10000601a46000001344800000bb84900000bb84a00000bb84c00000000024e0000"
          "000000000000cf00000000000000000100003fca"}) {
        EXPECT_FALSE(DecodeTcp(Hex(hex)).ok());
    }
}

TEST(TeltonikaTest, RefusesDifferentRecordCounts) {
    auto packet = Hex(kWikiCodec8);
    packet[packet.size() - 5] = 2;  // Number of Data 2, CRC recomputed so only the count is wrong
    FixCrc(packet);
    auto d = DecodeTcp(packet);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("Number of Data"), std::string::npos) << d.error().message;

    auto more = Hex(kWikiCodec8);
    more[9] = 2;  // Number of Data 1 says two records, there is one
    FixCrc(more);
    EXPECT_FALSE(DecodeTcp(more).ok());
}

TEST(TeltonikaTest, RefusesTruncatedRecordsAndTrailingBytes) {
    auto shorter = Hex(kWikiCodec8E);
    shorter.erase(shorter.begin() + 40);  // one byte less inside the record
    FixLength(shorter);
    FixCrc(shorter);
    EXPECT_FALSE(DecodeTcp(shorter).ok());

    auto trailing = Hex(kWikiCodec8E);
    trailing.insert(trailing.end() - 4, 0x00);  // a byte after Number of Data 2
    FixLength(trailing);
    FixCrc(trailing);
    auto d = DecodeTcp(trailing);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("after Number of Data 2"), std::string::npos)
        << d.error().message;

    auto cut = Hex(kWikiCodec8);
    cut.pop_back();  // whole frame one byte short of its length field
    EXPECT_FALSE(DecodeTcp(cut).ok());
}

TEST(TeltonikaTest, RefusesAbsurdTimestamps) {
    auto packet = Hex(kWikiCodec8);
    packet[10] = 0x7F;  // timestamp high byte: far beyond year 9999
    FixCrc(packet);
    EXPECT_FALSE(DecodeTcp(packet).ok());
}

TEST(TeltonikaTest, ScanRefusesGarbageQuickly) {
    auto scan = [](std::string_view hex, size_t max = 4096) {
        return ScanTcp(Hex(hex), max).status;
    };
    using S = FrameScan::Status;
    EXPECT_EQ(
        ScanTcp(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("GET / HTTP/1.1"), 14),
                4096)
            .status,
        S::kError);
    EXPECT_EQ(scan("01"), S::kError);
    EXPECT_EQ(scan("0078"), S::kError);              // IMEI length 120
    EXPECT_EQ(scan("000F33354A"), S::kError);        // a letter in the IMEI
    EXPECT_EQ(scan("00000001"), S::kError);          // preamble not zero
    EXPECT_EQ(scan("FF0000"), S::kError);            // 0xFF then an IMEI length of 0
    EXPECT_EQ(scan("0000000000100000"), S::kError);  // 1 MiB packet over a 4 KiB limit
    EXPECT_EQ(scan("0000000000000001"), S::kError);  // data length below the minimum
    // TRC "invalid length and checksum": data length 0.
    EXPECT_EQ(scan("0000000000000000080100000113fc208dff"), S::kError);
    // TRC legacy GH3000 (codec 0x07) packets are not supported.
    EXPECT_EQ(scan("000000000000003107024c61410b"), S::kError);
    EXPECT_EQ(scan("0000000000000010AA"), S::kError);  // unknown codec
}

TEST(TeltonikaTest, FastCrcMatchesTheCoreCrc) {
    std::mt19937 rng(7);
    // Past 64 bytes the carry-less multiplication path (x86-64), at every tail length and
    // alignment.
    for (size_t n = 0; n < 1100; ++n) {
        std::vector<uint8_t> data(n + 3);
        for (auto& b : data) b = static_cast<uint8_t>(rng());
        for (size_t offset : {0, 1, 3}) {
            core::Bytes bytes(data.data() + offset, n);
            EXPECT_EQ(detail::Crc16IbmFast(bytes), core::Crc16Ibm(bytes)) << n << " at +" << offset;
        }
    }
    std::string check = "123456789";
    EXPECT_EQ(detail::Crc16IbmFast({reinterpret_cast<const uint8_t*>(check.data()), check.size()}),
              0xBB3D);
}

// ---- Encoders -----------------------------------------------------------------------------------

TEST(TeltonikaTest, ReEncodingPublicPacketsGivesTheSameBytes) {
    // Every public AVL packet, decoded and encoded again with its codec, is byte for byte the same.
    size_t checked = 0;
    for (const auto& f : ReadFrames("tcp_frames.hex")) {
        if (f.size() < 9 || (f[8] != 0x08 && f[8] != 0x8E && f[8] != 0x10)) continue;
        core::Decoded d = MustDecodeTcp(f);
        std::vector<Record> records;
        for (const auto& m : d.messages) records.push_back(m.record);
        EXPECT_EQ(HexOf(EncodeAvlTcp(static_cast<Codec>(f[8]), records)), HexOf(f));
        ++checked;
    }
    EXPECT_GE(checked, 20u);
    for (const auto& u : ReadFrames("udp_datagrams.hex")) {
        core::Decoded d = MustDecodeUdp(u);
        std::vector<Record> records;
        for (const auto& m : d.messages) records.push_back(m.record);
        size_t imei_end = 8 + 15;
        auto packet_id = static_cast<uint16_t>(u[2] << 8 | u[3]);
        EXPECT_EQ(HexOf(EncodeAvlUdp(static_cast<Codec>(u[imei_end]), d.messages[0].imei, packet_id,
                                     u[5], records)),
                  HexOf(u));
    }
}

TEST(TeltonikaTest, EncodesTheImeiHandshake) {
    EXPECT_EQ(HexOf(EncodeImei("356307042441013")), "000f333536333037303432343431303133");
}

TEST(TeltonikaTest, EncodedRecordsRoundTripInEveryCodec) {
    Record r;
    r.device_time = core::TimePoint{core::Millis{1720003694123}};
    r.lat = -33.9656016;
    r.lon = -70.64967;
    r.altitude_m = -12;
    r.course_deg = 262;
    r.satellites = 7;
    r.speed_kmh = 88;
    r.io = {
        {239, 1, 1, {}}, {66, 2, 12683, {}}, {16, 4, 2962374, {}}, {78, 8, 0x01000B00791C1793, {}}};
    core::SetAttribute(r.attributes, "priority", int64_t{2});
    core::SetAttribute(r.attributes, "event_io_id", int64_t{239});
    Record with_nx = r;
    with_nx.io.push_back({281, 0, 0, "P0299"});
    Record big_id = r;
    big_id.io.push_back({300, 1, 1, {}});

    for (Codec codec : {Codec::k8, Codec::k8Extended, Codec::k16}) {
        std::vector<Record> in{r, with_nx, big_id};
        auto packet = EncodeAvlTcp(codec, in);
        FrameScan scan = ScanTcp(packet, 4096);
        ASSERT_EQ(scan.status, FrameScan::Status::kFrame);
        ASSERT_EQ(scan.length, packet.size());
        core::Decoded d = MustDecodeTcp(packet);
        ASSERT_EQ(d.messages.size(), 3u);
        EXPECT_EQ(HexOf(d.reply), "00000003");
        for (const auto& m : d.messages) {
            const Record& out = m.record;
            EXPECT_EQ(out.device_time, r.device_time);
            EXPECT_DOUBLE_EQ(out.lat, r.lat);
            EXPECT_DOUBLE_EQ(out.lon, r.lon);
            EXPECT_EQ(out.altitude_m, r.altitude_m);
            EXPECT_EQ(out.course_deg, r.course_deg);
            EXPECT_EQ(out.satellites, r.satellites);
            EXPECT_EQ(out.speed_kmh, r.speed_kmh);
            EXPECT_EQ(IntAttr(out, "priority"), 2);
            EXPECT_EQ(IntAttr(out, "event_io_id"), 239);
            EXPECT_EQ(StringAttr(out, "driver_id"), "01000B00791C1793");
            EXPECT_EQ(IoValue(out, 16), 2962374u);
        }
        // NX only in Codec 8 Extended; IDs above 255 not in Codec 8.
        EXPECT_EQ(Io(d.messages[1].record, 281) != nullptr, codec == Codec::k8Extended);
        EXPECT_EQ(Io(d.messages[2].record, 300) != nullptr, codec != Codec::k8);
        if (codec == Codec::k16) {
            EXPECT_EQ(IntAttr(d.messages[0].record, "generation_type"), 5);
        }

        // The same records over UDP.
        auto datagram = EncodeAvlUdp(codec, "352093086403655", 0xCAFE, 0x2A, in);
        core::Decoded u = MustDecodeUdp(datagram);
        ASSERT_EQ(u.messages.size(), 3u);
        EXPECT_EQ(u.messages[2].imei, "352093086403655");
        EXPECT_EQ(HexOf(u.reply), "0005cafe012a03");
    }
    EXPECT_TRUE(EncodeAvlTcp(Codec::k12, std::vector<Record>{r}).empty());
}

TEST(TeltonikaTest, EncodesAtMost255Records) {
    std::vector<Record> many(300, RecordWithIo({{21, 1, 3, {}}}));
    core::Decoded d = MustDecodeTcp(EncodeAvlTcp(Codec::k8, many));
    EXPECT_EQ(d.messages.size(), 255u);
    EXPECT_EQ(HexOf(d.reply), "000000ff");
}

// ---- Robustness ---------------------------------------------------------------------------------

void DecodeEverything(std::span<const uint8_t> bytes) {
    FrameScan scan = ScanTcp(bytes, 4096);
    if (scan.status == FrameScan::Status::kFrame) {
        ASSERT_LE(scan.length, bytes.size());
        ASSERT_LE(scan.skip, scan.length);
        (void)DecodeTcp(bytes.subspan(scan.skip, scan.length - scan.skip));
    }
    (void)DecodeTcp(bytes);
    (void)DecodeUdp(bytes);
    (void)DecodeCommand(bytes);
}

TEST(TeltonikaTest, RandomBytesNeverCrash) {
    std::mt19937 rng(20240601);
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint8_t> bytes(rng() % 200);
        for (auto& b : bytes) b = static_cast<uint8_t>(rng());
        // Half the time, look like a packet or datagram so that decoding gets past the header.
        if (i % 2 == 0 && bytes.size() >= 12) {
            std::fill(bytes.begin(), bytes.begin() + 4, 0);
            uint32_t length = static_cast<uint32_t>(bytes.size() - 12);
            for (int k = 0; k < 4; ++k)
                bytes[4 + k] = static_cast<uint8_t>(length >> (8 * (3 - k)));
            static constexpr uint8_t kCodecs[] = {0x08, 0x8E, 0x10, 0x0C, 0x0D, 0x0F};
            bytes[8] = kCodecs[rng() % 6];
            FixCrc(bytes);
        }
        DecodeEverything(bytes);
    }
}

TEST(TeltonikaTest, MutatedPublicFramesNeverCrash) {
    std::mt19937 rng(99);
    auto frames = ReadFrames("tcp_frames.hex");
    auto datagrams = ReadFrames("udp_datagrams.hex");
    for (int i = 0; i < 20000; ++i) {
        bool udp = i % 3 == 0;
        const auto& source =
            udp ? datagrams[rng() % datagrams.size()] : frames[rng() % frames.size()];
        std::vector<uint8_t> bytes = source;
        int edits = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < edits && !bytes.empty(); ++k) {
            size_t at = rng() % bytes.size();
            switch (rng() % 3) {
                case 0: bytes[at] = static_cast<uint8_t>(rng()); break;
                case 1: bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at)); break;
                default:
                    bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                 static_cast<uint8_t>(rng()));
            }
        }
        if (!udp && bytes.size() >= 12 && bytes[0] == 0 && bytes[1] == 0) {
            FixLength(bytes);
            FixCrc(bytes);
        }
        DecodeEverything(bytes);
    }
}

}  // namespace
}  // namespace fleet::protocol::teltonika
