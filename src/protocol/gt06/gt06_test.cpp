#include "protocol/gt06/gt06.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

// Frames come from public sources, named beside each one (protocols.md §0 has the addresses):
// - PDF: the GT06 protocol document as quoted by RUBY, CoolElvis/gt06_server test/packet_test.rb.
// - VL03: Concox JM-VL03 v1.1.2, fcode09/jimi-vl103m docs/README_VL03_Protocol.md.
// - TRC: traccar/traccar src/test/java/org/traccar/protocol/Gt06ProtocolDecoderTest.java and
//   Gt06FrameDecoderTest.java; the 0x80 command frames as protocols.md §2.7 quotes them.
// - NAV: navtrack ConcoxProtocolTests.cs (heartbeat ack, as protocols.md §2.5 quotes it).
// Only packet hex and the values those sources assert are used. Where a value is not asserted by
// the source, the test says it was derived by hand from the §2 layout.

namespace fleet::protocol::gt06 {
namespace {

using core::FrameScan;
using core::MessageType;

constexpr size_t kMaxFrame = 1024;

std::vector<uint8_t> Hex(std::string_view hex) {
    auto bytes = core::FromHex(hex);
    EXPECT_TRUE(bytes.ok()) << hex;
    return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

core::Decoded DecodeOk(std::string_view hex) {
    auto decoded = Decode(Hex(hex));
    EXPECT_TRUE(decoded.ok()) << hex << ": " << (decoded.ok() ? "" : decoded.error().message);
    return decoded.ok() ? *decoded : core::Decoded{};
}

core::Message Single(std::string_view hex) {
    core::Decoded d = DecodeOk(hex);
    EXPECT_EQ(d.messages.size(), 1u) << hex;
    return d.messages.empty() ? core::Message{} : d.messages.front();
}

template <typename T>
T Attr(const core::Attributes& attrs, std::string_view name) {
    const core::AttrValue* v = core::FindAttribute(attrs, name);
    EXPECT_NE(v, nullptr) << "missing attribute " << name;
    if (v == nullptr || !std::holds_alternative<T>(*v)) {
        ADD_FAILURE() << "attribute " << name << " has another type";
        return T{};
    }
    return std::get<T>(*v);
}

bool Has(const core::Attributes& attrs, std::string_view name) {
    return core::FindAttribute(attrs, name) != nullptr;
}

std::string Iso(core::TimePoint t) { return core::FormatIso(t); }

// Real device frames whose CRC verifies, used by the generic framing tests.
const std::vector<std::string> kDeviceFrames = {
    "78780D01012345678901234500018CDD0D0A",                                            // PDF login
    "78781101075253367890024270003201000512790D0A",                                    // VL03 login
    "787811010864717003664467100f190a0002c6d20d0a",                                    // TRC login
    "78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a",        // TRC 0x12
    "78781F120B081D112E10CC027AC7EB0C46584900148F01CC00287D001FB8000373770D0A",        // PDF 0x12
    "787822220F0C1D023305C9027AC8180C46586000140001CC00287D001F71000001000820860D0A",  // VL03 0x22
    "78782222120616083817c5050cc8c801a819d600152400e8011dbf003332000000004862500d0a",  // TRC 0x22
    "787808134606020002044dc5050d0a",                                                  // TRC 0x13
    "78780a13c40604000201298f5b0d0a",                                                  // TRC 0x13
    "78780A134004040001000FDCEE0D0A",                                                  // VL03 0x13
    "787825160B0B0F0E241DCF027AC8870C4657E60014020901CC00287D001F726506040101003656A40D0A",  // RUBY
    "787825160F0C1D0A2B21C8027AC8040C46581000146F0901CC00287D001F714804040301001C84CF0D0A",  // TRC
    "787825260F0C1D030B26C9027AC8180C4658600004000901CC00287D001F718004041302000C472A0D0A",  // VL03
    "7878252612030C063816C3026C10540C38C9700144030901CC002866000EEE0C06040302000DA2DB0D0A",  // TRC
    "78782516000000000000c000000000000000000020000900fa0210ef00fb620006640301000468030d0a",  // TRC
    ("78782d152500000000437574206f666620746865206675656c20737570706c793a20537563636573732100"
     "02013b898a0d0a"),  // TRC 0x15
    // TRC 0x15 ICCID reply and 0x21 UTF-16BE reply.
    "7878281520000000003c49434349443a38393838323339303030303039373330323635303e00020d446f260d0a",
    "797900262100000000020043006f006d006d0061006e00640020006500720072006f0072002100236e850d0a",
    "7878058A000688290D0A",  // VL03 time calibration
};

// ---- Scan

TEST(Gt06Test, ScanFindsEachRealFrameWhole) {
    for (const auto& hex : kDeviceFrames) {
        auto bytes = Hex(hex);
        FrameScan s = Scan(bytes, kMaxFrame);
        ASSERT_EQ(s.status, FrameScan::Status::kFrame) << hex << " " << s.error;
        EXPECT_EQ(s.length, bytes.size()) << hex;
        EXPECT_EQ(s.skip, 0u);
    }
}

TEST(Gt06Test, ScanNeedsMoreForEveryStrictPrefix) {
    for (const auto& hex : kDeviceFrames) {
        auto bytes = Hex(hex);
        for (size_t n = 0; n < bytes.size(); ++n) {
            FrameScan s = Scan(core::Bytes(bytes.data(), n), kMaxFrame);
            EXPECT_EQ(s.status, FrameScan::Status::kNeedMore)
                << hex << " prefix " << n << " " << s.error;
        }
    }
}

TEST(Gt06Test, ScanRejectsWrongStartBytes) {
    EXPECT_EQ(Scan(Hex("00"), kMaxFrame).status, FrameScan::Status::kError);
    EXPECT_EQ(Scan(Hex("7879"), kMaxFrame).status, FrameScan::Status::kError);
    EXPECT_EQ(Scan(Hex("7978"), kMaxFrame).status, FrameScan::Status::kError);
    // jimi-vl103m's "invalid start bit" sample.
    EXPECT_EQ(Scan(Hex("00001101035933907393052380044D014E00015ED00D0A"), kMaxFrame).status,
              FrameScan::Status::kError);
}

TEST(Gt06Test, ScanRejectsMissingStopBytes) {
    auto bytes = Hex("78780D01012345678901234500018CDD0D0A");
    bytes[bytes.size() - 1] = 0x00;
    EXPECT_EQ(Scan(bytes, kMaxFrame).status, FrameScan::Status::kError);
    auto ext = Hex(
        "797900262100000000020043006f006d006d0061006e00640020006500720072006f0072002100236e850d0a");
    ext[ext.size() - 2] = 0x0A;
    EXPECT_EQ(Scan(ext, kMaxFrame).status, FrameScan::Status::kError);
}

TEST(Gt06Test, ScanRejectsLengthAboveMaxFrame) {
    auto bytes = Hex("78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a");
    EXPECT_EQ(Scan(bytes, bytes.size()).status, FrameScan::Status::kFrame);
    EXPECT_EQ(Scan(bytes, bytes.size() - 1).status, FrameScan::Status::kError);
    // The length alone decides: a 7979 header announcing 0xFFFF bytes fails before they arrive.
    EXPECT_EQ(Scan(Hex("7979FFFF"), kMaxFrame).status, FrameScan::Status::kError);
}

TEST(Gt06Test, ScanRejectsLengthTooSmallForProtocolSerialAndCrc) {
    // TRC verifyNull frame with length byte 1.
    EXPECT_EQ(Scan(Hex("787801080d0a"), kMaxFrame).status, FrameScan::Status::kError);
    EXPECT_EQ(Scan(Hex("787804"), kMaxFrame).status, FrameScan::Status::kError);
    EXPECT_EQ(Scan(Hex("79790004"), kMaxFrame).status, FrameScan::Status::kError);
    // traccar's WiFi 0x69 variant with length byte 0 (no serial or CRC) is refused too.
    EXPECT_EQ(Scan(Hex("787800691710231108500200cc080c4e2fa5640c4e2fa66e0d0a"), kMaxFrame).status,
              FrameScan::Status::kError);
}

TEST(Gt06Test, ScanSplitsBackToBackFrames) {
    std::vector<uint8_t> stream;
    for (const auto& hex : kDeviceFrames) {
        auto b = Hex(hex);
        stream.insert(stream.end(), b.begin(), b.end());
    }
    size_t pos = 0;
    size_t frames = 0;
    while (pos < stream.size()) {
        FrameScan s = Scan(core::Bytes(stream).subspan(pos), kMaxFrame);
        ASSERT_EQ(s.status, FrameScan::Status::kFrame) << "at " << pos << " " << s.error;
        EXPECT_TRUE(Decode(core::Bytes(stream).subspan(pos, s.length)).ok());
        pos += s.length;
        ++frames;
    }
    EXPECT_EQ(frames, kDeviceFrames.size());
}

TEST(Gt06Test, ScanAcceptsHeartbeatWhoseLengthByteIsTwoShort) {
    // TRC Gt06FrameDecoderTest: length byte 0x08 but 5 information bytes follow (15-byte frame).
    auto bytes = Hex("787808134606020002044dc5050d0a");
    FrameScan s = Scan(bytes, kMaxFrame);
    ASSERT_EQ(s.status, FrameScan::Status::kFrame);
    EXPECT_EQ(s.length, 15u);
    // A heartbeat that really has 3 information bytes still ends at its length byte.
    // (Information 46 06 02, serial 0001, CRC field 0000.)
    EXPECT_EQ(Scan(Hex("78780813460602000100000d0a"), kMaxFrame).length, 13u);
}

// ---- Decode: login

TEST(Gt06Test, DecodesPdfLoginToImeiAndAcks) {
    core::Decoded d = DecodeOk("78780D01012345678901234500018CDD0D0A");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].type, MessageType::kLogin);
    EXPECT_EQ(d.messages[0].imei, "123456789012345");
    EXPECT_EQ(d.reply, Hex("787805010001D9DC0D0A"));  // PDF/RUBY server ack, serial 1
}

TEST(Gt06Test, DecodesTraccarLoginImei) {
    // TRC verifyNull frames (login gives no position in traccar); imei from the BCD digits.
    EXPECT_EQ(Single("78780D01086471700328358100093F040D0A").imei, "864717003283581");
    EXPECT_EQ(Single("78780d0103534190360660610003c3df0d0a").imei, "353419036066061");
}

TEST(Gt06Test, DecodesExtendedLoginTimezoneEast) {
    // VL03 example; zone word 0x3201 → 0x320 = 800 = GMT+8:00 east. VL03's ack for serial 5.
    core::Decoded d = DecodeOk("78781101075253367890024270003201000512790D0A");
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Message& m = d.messages[0];
    EXPECT_EQ(m.imei, "752533678900242");
    EXPECT_EQ(Attr<std::string>(m.attributes, "device_type"), "7000");
    EXPECT_EQ(Attr<int64_t>(m.attributes, "timezone_offset_min"), 480);
    EXPECT_EQ(d.reply, Hex("7878050100059FF80D0A"));
}

TEST(Gt06Test, DecodesExtendedLoginTimezoneWest) {
    // TRC frame; zone word 0x190A: 0x190 = 400 → 4:00, bit 3 set → west (derived by hand, VL03).
    core::Message m = Single("787811010864717003664467100f190a0002c6d20d0a");
    EXPECT_EQ(m.imei, "864717003664467");
    EXPECT_EQ(Attr<int64_t>(m.attributes, "timezone_offset_min"), -240);
}

TEST(Gt06Test, RefusesTraccarExtendedLoginWhoseCrcDoesNotVerify) {
    // TRC carries this frame; traccar never checks CRCs and its CRC 0x7193 is not CRC-ITU.
    EXPECT_FALSE(Decode(Hex("787811010123456789012345100B3201000171930D0A")).ok());
}

TEST(Gt06Test, RefusesLoginWithNonBcdTerminalId) {
    auto frame = EncodeLogin("123456789012345", 1);
    frame[4] = 0xAB;
    // Recompute the CRC so that only the terminal id is wrong.
    const uint16_t crc = core::Crc16X25(core::Bytes(frame).subspan(2, frame.size() - 6));
    frame[frame.size() - 4] = static_cast<uint8_t>(crc >> 8);
    frame[frame.size() - 3] = static_cast<uint8_t>(crc);
    EXPECT_FALSE(Decode(frame).ok());
}

// ---- Decode: location

TEST(Gt06Test, DecodesTraccarLocation) {
    // TRC asserts 2015-10-20 14:21:11, valid, 54.94535, 24.01762.
    core::Decoded d =
        DecodeOk("78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a");
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Message& m = d.messages[0];
    EXPECT_EQ(m.type, MessageType::kPosition);
    EXPECT_EQ(Iso(m.record.device_time), "2015-10-20T14:21:11.000Z");
    EXPECT_TRUE(m.record.valid);
    EXPECT_NEAR(m.record.lat, 54.94535, 1e-5);
    EXPECT_NEAR(m.record.lon, 24.01762, 1e-5);
    EXPECT_TRUE(m.record.io.empty());
    // Derived by hand: course word 0x5400 has bit 14 (ignition known) set and bit 15 clear.
    EXPECT_FALSE(Attr<bool>(m.record.attributes, "ignition"));
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "mcc"), 246);
    // 0x12 is acknowledged like traccar does: 7878 05 12 <serial 0003> crc 0D0A.
    EXPECT_EQ(d.reply.size(), 10u);
    EXPECT_EQ(core::ToHex(core::Bytes(d.reply).first(6)), "787805120003");
    EXPECT_EQ(Scan(d.reply, kMaxFrame).length, d.reply.size());
}

TEST(Gt06Test, DecodesPdfLocationWithCorrectedCrc) {
    // PDF example as RUBY carries it (CRC 7377, which verifies); values asserted by RUBY / the PDF.
    core::Message m =
        Single("78781F120B081D112E10CC027AC7EB0C46584900148F01CC00287D001FB8000373770D0A");
    EXPECT_EQ(m.type, MessageType::kPosition);
    EXPECT_EQ(Iso(m.record.device_time), "2011-08-29T17:46:16.000Z");
    EXPECT_EQ(m.record.satellites, 12);
    EXPECT_NEAR(m.record.lat, 23.111668, 1e-6);
    EXPECT_NEAR(m.record.lon, 114.409285, 1e-6);
    EXPECT_EQ(m.record.speed_kmh, 0);
    EXPECT_EQ(m.record.course_deg, 143);
    EXPECT_TRUE(m.record.valid);
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "mcc"), 460);
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "mnc"), 0);
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "lac"), 0x287D);
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "cell_id"), 0x1FB8);
    EXPECT_FALSE(Has(m.record.attributes, "ignition"));
}

TEST(Gt06Test, RefusesPdfLocationWithPrintedCrc) {
    // The PDF prints CRC 8081 (traccar/navtrack copy it); it does not verify.
    auto d =
        Decode(Hex("78781F120B081D112E10CC027AC7EB0C46584900148F01CC00287D001FB8000380810D0A"));
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("CRC"), std::string::npos);
}

TEST(Gt06Test, DecodesVl03Location0x22WithoutReply) {
    core::Decoded d =
        DecodeOk("787822220F0C1D023305C9027AC8180C46586000140001CC00287D001F71000001000820860D0A");
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Record& r = d.messages[0].record;
    EXPECT_EQ(Iso(r.device_time), "2015-12-29T02:51:05.000Z");
    EXPECT_EQ(r.satellites, 9);
    // VL03 prints 0x027AC818 = 41,625,624 → 23.125346°, but 0x027AC818 is 41,601,048 (41,625,624 is
    // 0x027B2818): the bytes on the wire give 23.111693°.
    EXPECT_NEAR(r.lat, 41601048 / 1800000.0, 1e-9);
    EXPECT_NEAR(r.lat, 23.111693, 1e-6);
    EXPECT_NEAR(r.lon, 0x0C465860 / 1800000.0, 1e-9);
    EXPECT_TRUE(r.valid);
    EXPECT_EQ(r.course_deg, 0);
    EXPECT_EQ(Attr<int64_t>(r.attributes, "mcc"), 460);
    EXPECT_EQ(Attr<int64_t>(r.attributes, "lac"), 0x287D);
    EXPECT_EQ(Attr<int64_t>(r.attributes, "cell_id"), 0x1F71);
    // Tail 00 00 01: ACC off, upload by fixed interval, re-uploaded fix.
    EXPECT_FALSE(Attr<bool>(r.attributes, "ignition"));
    EXPECT_EQ(Attr<int64_t>(r.attributes, "upload_mode"), 0);
    EXPECT_TRUE(Attr<bool>(r.attributes, "reupload"));
    EXPECT_FALSE(Has(r.attributes, "odometer_m"));
    EXPECT_TRUE(d.reply.empty());  // VL03: no server response for 0x22
}

TEST(Gt06Test, DecodesTraccar0x22Position) {
    // TRC verifyPosition only checks a valid fix; these values were derived by hand from §2.4
    // (MCC 232 is Austria, which matches 47.07 N 15.44 E).
    core::Message m =
        Single("78782222120616083817c5050cc8c801a819d600152400e8011dbf003332000000004862500d0a");
    EXPECT_EQ(Iso(m.record.device_time), "2018-06-22T08:56:23.000Z");
    EXPECT_NEAR(m.record.lat, 0x050cc8c8 / 1800000.0, 1e-9);
    EXPECT_NEAR(m.record.lon, 0x01a819d6 / 1800000.0, 1e-9);
    EXPECT_EQ(m.record.course_deg, 0x124);
    EXPECT_TRUE(m.record.valid);
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "mcc"), 232);
}

TEST(Gt06Test, DecodesSouthAndWestFromStatusBits) {
    core::Record r;
    r.device_time = *core::MakeUtc(2024, 2, 29, 23, 59, 58);
    r.lat = -33.8688;
    r.lon = -70.6693;
    r.valid = true;
    core::Message m = Single(core::ToHex(EncodeLocation(r, 9)));
    EXPECT_NEAR(m.record.lat, -33.8688, 1e-6);
    EXPECT_NEAR(m.record.lon, -70.6693, 1e-6);
}

TEST(Gt06Test, RefusesLocationShorterThanGpsAndLbs) {
    core::Record r;
    auto frame = EncodeLocation(r, 1);
    // Rebuild it with only the GPS block (18 information bytes): valid CRC, too little data.
    std::vector<uint8_t> info(frame.begin() + 4, frame.begin() + 4 + 18);
    std::vector<uint8_t> f = {0x78, 0x78, static_cast<uint8_t>(1 + info.size() + 4), 0x12};
    f.insert(f.end(), info.begin(), info.end());
    f.push_back(0x00);
    f.push_back(0x01);
    const uint16_t crc = core::Crc16X25(core::Bytes(f).subspan(2));
    f.push_back(static_cast<uint8_t>(crc >> 8));
    f.push_back(static_cast<uint8_t>(crc));
    f.push_back(0x0D);
    f.push_back(0x0A);
    ASSERT_EQ(Scan(f, kMaxFrame).status, FrameScan::Status::kFrame);
    EXPECT_FALSE(Decode(f).ok());
}

// ---- Decode: heartbeat

TEST(Gt06Test, DecodesHeartbeatWithShortLengthByte) {
    // TRC Gt06FrameDecoderTest; the attribute values were derived by hand from §2.5 (0x46 = GPS
    // tracking + charging + ACC on).
    core::Decoded d = DecodeOk("787808134606020002044dc5050d0a");
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Message& m = d.messages[0];
    EXPECT_EQ(m.type, MessageType::kHeartbeat);
    EXPECT_TRUE(Attr<bool>(m.attributes, "ignition"));
    EXPECT_TRUE(Attr<bool>(m.attributes, "charging"));
    EXPECT_TRUE(Attr<bool>(m.attributes, "gps_tracking"));
    EXPECT_FALSE(Attr<bool>(m.attributes, "armed"));
    EXPECT_FALSE(Attr<bool>(m.attributes, "oil_cut"));
    EXPECT_EQ(Attr<int64_t>(m.attributes, "battery_level"), 6);
    EXPECT_EQ(Attr<int64_t>(m.attributes, "battery_pct"), 100);
    EXPECT_EQ(Attr<int64_t>(m.attributes, "gsm_signal"), 2);
    EXPECT_FALSE(Has(m.attributes, "alarm"));
    EXPECT_EQ(core::ToHex(core::Bytes(d.reply).first(6)), "78780513044d");
}

TEST(Gt06Test, DecodesTraccarHeartbeatAttributes) {
    core::Message m = Single("78780a13c40604000201298f5b0d0a");  // TRC verifyAttributes
    EXPECT_TRUE(Attr<bool>(m.attributes, "oil_cut"));
    EXPECT_TRUE(Attr<bool>(m.attributes, "gps_tracking"));
    EXPECT_TRUE(Attr<bool>(m.attributes, "charging"));
    EXPECT_FALSE(Attr<bool>(m.attributes, "ignition"));
    EXPECT_EQ(Attr<int64_t>(m.attributes, "battery_pct"), 100);  // TRC: level 6 → 100 %
    EXPECT_EQ(Attr<int64_t>(m.attributes, "gsm_signal"), 4);
}

TEST(Gt06Test, DecodesVl03Heartbeat) {
    core::Decoded d = DecodeOk("78780A134004040001000FDCEE0D0A");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_TRUE(Attr<bool>(d.messages[0].attributes, "gps_tracking"));
    EXPECT_EQ(Attr<int64_t>(d.messages[0].attributes, "battery_level"), 4);
    EXPECT_EQ(Attr<int64_t>(d.messages[0].attributes, "gsm_signal"), 4);
    EXPECT_EQ(core::ToHex(core::Bytes(d.reply).first(6)), "78780513000f");
}

TEST(Gt06Test, RefusesPdfHeartbeatWhoseCrcDoesNotVerify) {
    // PDF heartbeat as RUBY quotes it: length byte 0x08, 5 info bytes, CRC 061F (does not verify).
    auto bytes = Hex("787808134B040300010011061F0D0A");
    EXPECT_EQ(Scan(bytes, kMaxFrame).length, bytes.size());
    EXPECT_FALSE(Decode(bytes).ok());
}

TEST(Gt06Test, DecodesPdfHeartbeatContentAndAcksLikeNavtrack) {
    // The PDF heartbeat's content (terminal info 0x4B, voltage 4, GSM 3, serial 17) with a valid
    // CRC. RUBY asserts for 0x4B: GPS on, ACC on, defense on, alarm "shock". NAV acks serial 0x11.
    core::Decoded d = *Decode(EncodeHeartbeat(0x4B, 4, 3, 17));
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Attributes& a = d.messages[0].attributes;
    EXPECT_TRUE(Attr<bool>(a, "gps_tracking"));
    EXPECT_TRUE(Attr<bool>(a, "ignition"));
    EXPECT_TRUE(Attr<bool>(a, "armed"));
    EXPECT_FALSE(Attr<bool>(a, "charging"));
    EXPECT_FALSE(Attr<bool>(a, "oil_cut"));
    EXPECT_EQ(Attr<std::string>(a, "alarm"), "vibration");
    EXPECT_EQ(Attr<int64_t>(a, "battery_level"), 4);
    EXPECT_EQ(Attr<int64_t>(a, "battery_pct"), 66);
    EXPECT_EQ(Attr<int64_t>(a, "gsm_signal"), 3);
    EXPECT_EQ(d.reply, Hex("787805130011F9700D0A"));
    // VL03's heartbeat ack example (serial 0x0100).
    EXPECT_EQ(Decode(EncodeHeartbeat(0x40, 4, 4, 0x0100))->reply, Hex("787805130100E1A00D0A"));
}

TEST(Gt06Test, NamesHeartbeatStatusAlarms) {
    const std::pair<uint8_t, const char*> cases[] = {{0x20, "sos"},       {0x18, "low_battery"},
                                                     {0x10, "power_cut"}, {0x08, "vibration"},
                                                     {0x30, "geofence"},  {0x38, "tamper"}};
    for (const auto& [info, name] : cases) {
        core::Decoded d = *Decode(EncodeHeartbeat(info, 3, 2, 1));
        EXPECT_EQ(Attr<std::string>(d.messages.at(0).attributes, "alarm"), name);
    }
    EXPECT_FALSE(Has(Decode(EncodeHeartbeat(0x28, 3, 2, 1))->messages.at(0).attributes, "alarm"));
}

TEST(Gt06Test, DropsOutOfRangeVoltageAndSignal) {
    core::Decoded d = *Decode(EncodeHeartbeat(0x00, 0x80, 0x64, 1));
    EXPECT_FALSE(Has(d.messages.at(0).attributes, "battery_level"));
    EXPECT_FALSE(Has(d.messages.at(0).attributes, "gsm_signal"));
}

// ---- Decode: alarm

TEST(Gt06Test, DecodesPdfSosAlarm) {
    // PDF alarm example; RUBY asserts SOS, terminal info 0x65 (GPS, charging, defense, ACC off),
    // voltage 6, GSM 4, serial 54. Its CRC 56A4 verifies.
    core::Decoded d = DecodeOk(
        "787825160B0B0F0E241DCF027AC8870C4657E60014020901CC00287D001F726506040101003656A40D0A");
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Message& m = d.messages[0];
    EXPECT_EQ(m.type, MessageType::kAlarm);
    EXPECT_EQ(m.alarm, "sos");
    const core::Attributes& a = m.record.attributes;
    EXPECT_EQ(Attr<std::string>(a, "alarm"), "sos");
    EXPECT_EQ(Attr<int64_t>(a, "alarm_code"), 1);
    EXPECT_TRUE(Attr<bool>(a, "gps_tracking"));
    EXPECT_TRUE(Attr<bool>(a, "charging"));
    EXPECT_TRUE(Attr<bool>(a, "armed"));
    EXPECT_FALSE(Attr<bool>(a, "ignition"));
    EXPECT_FALSE(Attr<bool>(a, "oil_cut"));
    EXPECT_EQ(Attr<int64_t>(a, "battery_level"), 6);
    EXPECT_EQ(Attr<int64_t>(a, "gsm_signal"), 4);
    EXPECT_EQ(Attr<int64_t>(a, "lac"), 0x287D);
    EXPECT_EQ(Attr<int64_t>(a, "cell_id"), 0x1F72);
    // RUBY asserts the raw date bytes 0b0b0f0e241d and course/status 1402.
    EXPECT_EQ(Iso(m.record.device_time), "2011-11-15T14:36:29.000Z");
    EXPECT_EQ(m.record.satellites, 15);
    EXPECT_EQ(m.record.course_deg, 2);
    EXPECT_TRUE(m.record.valid);
    EXPECT_EQ(core::ToHex(core::Bytes(d.reply).first(6)), "787805160036");  // serial 54
}

TEST(Gt06Test, DecodesVl03TamperAlarm0x26) {
    core::Decoded d = DecodeOk(
        "787825260F0C1D030B26C9027AC8180C4658600004000901CC00287D001F718004041302000C472A0D0A");
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Message& m = d.messages[0];
    EXPECT_EQ(m.type, MessageType::kAlarm);
    EXPECT_EQ(m.alarm, "tamper");  // VL03 alarm byte 0x13
    EXPECT_EQ(Iso(m.record.device_time), "2015-12-29T03:11:38.000Z");
    EXPECT_NEAR(m.record.lat, 23.111693, 1e-6);  // same 0x027AC818 as the VL03 0x22 example
    EXPECT_FALSE(m.record.valid);                // course/status 0x0400: not positioned
    EXPECT_TRUE(Attr<bool>(m.record.attributes, "oil_cut"));
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "battery_level"), 4);
    EXPECT_FALSE(Has(m.record.attributes, "odometer_m"));
    EXPECT_EQ(core::ToHex(core::Bytes(d.reply).first(6)), "78780526000c");
}

TEST(Gt06Test, AcksAlarm0x26LikeVl03) {
    core::Record r;
    auto d = Decode(EncodeAlarm(r, 0x01, 0x001C, 0x26));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->reply, Hex("78780526001C9D860D0A"));  // VL03 ack example
}

TEST(Gt06Test, DecodesTraccarAlarms) {
    // TRC verifyAttributes / verifyPosition frames; names from the VL03 table (derived by hand).
    // Status 48 04 04, alarm byte 03, language 01, serial 001C.
    core::Message gt06 = Single(
        "787825160F0C1D0A2B21C8027AC8040C46581000146F0901CC00287D001F714804040301001C84CF0D0A");
    EXPECT_EQ(gt06.alarm, "vibration");
    EXPECT_EQ(Attr<int64_t>(gt06.record.attributes, "alarm_code"), 3);
    EXPECT_EQ(Iso(gt06.record.device_time), "2015-12-29T10:43:33.000Z");
    core::Message vibration = Single(
        "7878252612030C063816C3026C10540C38C9700144030901CC002866000EEE0C06040302000DA2DB0D0A");
    EXPECT_EQ(vibration.alarm, "vibration");
    EXPECT_EQ(Attr<int64_t>(vibration.record.attributes, "lac"), 0x2866);
    EXPECT_EQ(Attr<int64_t>(vibration.record.attributes, "cell_id"), 0x0EEE);
}

TEST(Gt06Test, DecodesAlarmWithoutDateAsUnknownTime) {
    // TRC Gt06FrameDecoderTest: an alarm with all-zero date and GPS fields and GSM byte 0x64.
    core::Message m = Single(
        "78782516000000000000c000000000000000000020000900fa0210ef00fb620006640301000468030d0a");
    EXPECT_EQ(m.type, MessageType::kAlarm);
    EXPECT_EQ(m.alarm, "vibration");
    EXPECT_EQ(m.record.device_time, core::TimePoint{});
    EXPECT_FALSE(m.record.valid);
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "mcc"), 250);
    EXPECT_FALSE(Has(m.record.attributes, "gsm_signal"));
}

TEST(Gt06Test, AlarmByteZeroWithNormalStatusIsAPosition) {
    core::Record r;
    r.device_time = *core::MakeUtc(2023, 5, 6, 7, 8, 9);
    r.valid = true;
    core::Decoded d = *Decode(EncodeAlarm(r, 0x00, 7, 0x16));
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].type, MessageType::kPosition);
    EXPECT_FALSE(Has(d.messages[0].record.attributes, "alarm"));
    EXPECT_EQ(Attr<int64_t>(d.messages[0].record.attributes, "alarm_code"), 0);
    EXPECT_FALSE(d.reply.empty());
}

TEST(Gt06Test, NamesAlarmCodesFromVl03Table) {
    const std::pair<uint8_t, const char*> cases[] = {{0x01, "sos"},
                                                     {0x02, "power_cut"},
                                                     {0x03, "vibration"},
                                                     {0x04, "geofence_enter"},
                                                     {0x05, "geofence_exit"},
                                                     {0x06, "overspeed"},
                                                     {0x09, "tow"},
                                                     {0x0E, "low_external_battery"},
                                                     {0x0F, "low_external_battery"},
                                                     {0x11, "power_off"},
                                                     {0x13, "tamper"},
                                                     {0x14, "door"},
                                                     {0x29, "harsh_acceleration"},
                                                     {0x2A, "harsh_cornering"},
                                                     {0x2B, "harsh_cornering"},
                                                     {0x2C, "crash"},
                                                     {0x30, "harsh_braking"},
                                                     {0x32, "unplugged"},
                                                     {0xFE, "acc_on"},
                                                     {0xFF, "acc_off"},
                                                     {0x7E, "unknown"}};
    core::Record r;
    for (const auto& [code, name] : cases) {
        core::Decoded d = *Decode(EncodeAlarm(r, code, 1, 0x26));
        ASSERT_EQ(d.messages.size(), 1u);
        EXPECT_EQ(d.messages[0].type, MessageType::kAlarm);
        EXPECT_EQ(d.messages[0].alarm, name) << int{code};
        EXPECT_EQ(Attr<int64_t>(d.messages[0].record.attributes, "alarm_code"), code);
    }
}

// ---- Decode: command replies

TEST(Gt06Test, DecodesOldCommandReplies) {
    core::Decoded d = DecodeOk(
        "78782d152500000000437574206f666620746865206675656c20737570706c793a205375636365737321000201"
        "3b898a0d0a");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].type, MessageType::kCommandResponse);
    EXPECT_EQ(d.messages[0].text, "Cut off the fuel supply: Success!");
    EXPECT_TRUE(d.reply.empty());
    EXPECT_EQ(
        Single("787829152100000000526573746f7265206675656c20737570706c793a2053756363657373210002"
               "014077ce0d0a")
            .text,
        "Restore fuel supply: Success!");
}

TEST(Gt06Test, DecodesOldCommandReplyWithZeroLengthAndPadding) {
    // TRC: length byte 0, text NUL-padded up to the language field.
    EXPECT_EQ(
        Single("7878661500000000004459443d537563636573732100000000000000000000000000000000000000"
               "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
               "0000000000000000000000000000000000000000010009e82b0d0a")
            .text,
        "DYD=Success!");
    EXPECT_EQ(
        Single("787866150000000000416c726561647920696e20746865207374617465206f66206675656c2073"
               "7570706c7920746f20726573756d652c74686520636f6d6d616e64206973206e6f742072756e"
               "6e696e672100000000000000000000000000000000000001001981e50d0a")
            .text,
        "Already in the state of fuel supply to resume,the command is not running!");
}

TEST(Gt06Test, DecodesIccidReply) {
    // TRC asserts ICCID 89882390000097302650.
    core::Message m = Single(
        "7878281520000000003c49434349443a38393838323339303030303039373330323635303e"
        "00020d446f260d0a");
    EXPECT_EQ(m.text, "<ICCID:89882390000097302650>");
    EXPECT_EQ(Attr<std::string>(m.attributes, "iccid"), "89882390000097302650");
}

TEST(Gt06Test, DecodesNewCommandReplyUtf16) {
    core::Decoded d = DecodeOk(
        "797900262100000000020043006f006d006d0061006e00640020006500720072006f0072002100236e850d0a");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].text, "Command error!");
    EXPECT_TRUE(d.reply.empty());
}

TEST(Gt06Test, DecodesNewCommandReplyAscii) {
    core::Message m = Single(
        "7979007121000000000143757272656e7420706f736974696f6e214c61743a4e35342e3733393333322c4c6f6e"
        "3a4532352e3237333237302c436f757273653a3132362e35332c53706565643a302e303030302c446174655469"
        "6d653a323031372d30352d3236202031303a32373a3437000bbee30d0a");
    EXPECT_EQ(m.text,
              "Current position!Lat:N54.739332,Lon:E25.273270,Course:126.53,Speed:0.0000,"
              "DateTime:2017-05-26  10:27:47");
}

TEST(Gt06Test, RefusesTraccarBatteryReplyWhoseCrcDoesNotVerify) {
    // TRC "Battery:5.56V,NORMAL; ..." 0x21 frame: CRC 6088 on the wire, CRC-ITU gives 5CFB.
    EXPECT_FALSE(
        Decode(Hex("7979006f210000000001426174746572793a352e3536562c4e4f524d414c3b2047505253"
                   "2a4c696e6b2055702047534d205369676e616c204c6576656c3a5374726f6e673b204750"
                   "533a4f46463b2020204c4f434b3a4f46463b204254204d41433a42344138323830343434"
                   "36323b007260880d0a"))
            .ok());
}

// ---- Decode: other protocol numbers

TEST(Gt06Test, UnknownProtocolsDecodeToNothing) {
    const char* frames[] = {
        "7878058A000688290D0A",  // VL03 time calibration request: no reply from a pure decoder
        ("78783B2810010D02020201CC00287D001F713E287D001F7231287D001E232D287D001F401800000000000000"
         "0000000000000000000000FF00020005B14B0D0A"),  // VL03 0x28 multi-LBS
        "7979000894000000000338ba0d0a",                // TRC 0x94 information transfer
    };
    for (const char* hex : frames) {
        core::Decoded d = DecodeOk(hex);
        EXPECT_TRUE(d.messages.empty()) << hex;
        EXPECT_TRUE(d.reply.empty()) << hex;
    }
}

TEST(Gt06Test, FlippedCrcByteIsAnError) {
    for (const auto& hex : kDeviceFrames) {
        for (size_t back : {3u, 4u}) {
            auto bytes = Hex(hex);
            bytes[bytes.size() - back] ^= 0x01;
            auto d = Decode(bytes);
            EXPECT_FALSE(d.ok()) << hex;
        }
    }
}

TEST(Gt06Test, DecodeRefusesAnythingButOneWholeFrame) {
    auto bytes = Hex("78780D01012345678901234500018CDD0D0A");
    EXPECT_FALSE(Decode(core::Bytes(bytes).first(bytes.size() - 1)).ok());
    bytes.push_back(0x78);
    EXPECT_FALSE(Decode(bytes).ok());
    EXPECT_FALSE(Decode({}).ok());
}

// ---- Encoders

TEST(Gt06Test, EncodesCommandsLikeTraccarAndVl03) {
    EXPECT_EQ(EncodeCommand("Relay,1#", 0, 0),
              Hex("787812800c0000000052656c61792c312300009dee0d0a"));
    EXPECT_EQ(EncodeCommand("VERSION#", 0, 1),
              Hex("787812800c0000000056455253494f4e23000164a50D0A"));
    EXPECT_EQ(EncodeCommand("sos#", 0, 1), Hex("78780E800800000000736F732300016D6A0D0A"));
}

TEST(Gt06Test, EncodesLongCommandInExtendedFrame) {
    const std::string text(300, 'A');
    auto frame = EncodeCommand(text, 0x01020304, 5);
    EXPECT_EQ(frame[0], 0x79);
    EXPECT_EQ(frame[5], 0xFF);  // command length byte: 4 + 251 text bytes
    FrameScan s = Scan(frame, kMaxFrame);
    ASSERT_EQ(s.status, FrameScan::Status::kFrame);
    EXPECT_EQ(s.length, frame.size());
    EXPECT_TRUE(Decode(frame).ok());
}

TEST(Gt06Test, EncodesPdfLoginExactly) {
    EXPECT_EQ(EncodeLogin("123456789012345", 1), Hex("78780D01012345678901234500018CDD0D0A"));
    EXPECT_EQ(Single(core::ToHex(EncodeLogin("864717003283581", 9))).imei, "864717003283581");
}

TEST(Gt06Test, EncodesTraccarHeartbeatExactly) {
    EXPECT_EQ(EncodeHeartbeat(0xC4, 6, 4, 0x0129), Hex("78780a13c40604000201298f5b0d0a"));
}

TEST(Gt06Test, ReencodesDecodedLocationsToTheSameBytes) {
    const char* frames12[] = {
        "78781F120B081D112E10CC027AC7EB0C46584900148F01CC00287D001FB8000373770D0A",  // PDF
        "78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a",  // TRC
    };
    for (const char* hex : frames12) {
        core::Message m = Single(hex);
        auto bytes = Hex(hex);
        const uint16_t serial =
            static_cast<uint16_t>(bytes[bytes.size() - 6] << 8 | bytes[bytes.size() - 5]);
        EXPECT_EQ(core::ToHex(EncodeLocation(m.record, serial, 0x12)), core::ToHex(bytes)) << hex;
    }
    const char* vl03 =
        "787822220F0C1D023305C9027AC8180C46586000140001CC00287D001F71000001000820860D0A";
    EXPECT_EQ(core::ToHex(EncodeLocation(Single(vl03).record, 0x0008, 0x22)),
              core::ToHex(Hex(vl03)));
}

TEST(Gt06Test, ReencodesDecodedVl03AlarmToTheSameBytes) {
    const char* vl03 =
        "787825260F0C1D030B26C9027AC8180C4658600004000901CC00287D001F718004041302000C472A0D0A";
    EXPECT_EQ(core::ToHex(EncodeAlarm(Single(vl03).record, 0x13, 0x000C, 0x26)),
              core::ToHex(Hex(vl03)));
}

TEST(Gt06Test, RoundTripsLocation0x22WithMileage) {
    core::Record r;
    r.device_time = *core::MakeUtc(2031, 12, 31, 23, 59, 59);
    r.lat = -12.345678;
    r.lon = 123.456789;
    r.speed_kmh = 87;
    r.course_deg = 359;
    r.satellites = 11;
    r.valid = true;
    core::SetAttribute(r.attributes, "ignition", true);
    core::SetAttribute(r.attributes, "odometer_m", int64_t{1234567});
    core::SetAttribute(r.attributes, "mcc", int64_t{310});
    core::SetAttribute(r.attributes, "mnc", int64_t{410});  // > 255: two-byte MNC, MCC bit 15
    core::SetAttribute(r.attributes, "lac", int64_t{0xBEEF});
    core::SetAttribute(r.attributes, "cell_id", int64_t{0xABCDEF});
    core::Decoded d = *Decode(EncodeLocation(r, 42, 0x22));
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Record& out = d.messages[0].record;
    EXPECT_EQ(out.device_time, r.device_time);
    EXPECT_NEAR(out.lat, r.lat, 1e-6);
    EXPECT_NEAR(out.lon, r.lon, 1e-6);
    EXPECT_EQ(out.speed_kmh, 87);
    EXPECT_EQ(out.course_deg, 359);
    EXPECT_EQ(out.satellites, 11);
    EXPECT_TRUE(out.valid);
    EXPECT_TRUE(Attr<bool>(out.attributes, "ignition"));
    EXPECT_EQ(Attr<int64_t>(out.attributes, "odometer_m"), 1234567);
    EXPECT_EQ(Attr<int64_t>(out.attributes, "mcc"), 310);
    EXPECT_EQ(Attr<int64_t>(out.attributes, "mnc"), 410);
    EXPECT_EQ(Attr<int64_t>(out.attributes, "lac"), 0xBEEF);
    EXPECT_EQ(Attr<int64_t>(out.attributes, "cell_id"), 0xABCDEF);
    EXPECT_TRUE(d.reply.empty());
}

TEST(Gt06Test, RoundTripsAlarm0x26WithStatus) {
    core::Record r;
    r.device_time = *core::MakeUtc(2022, 1, 2, 3, 4, 5);
    r.lat = 51.5;
    r.lon = -0.12;
    r.valid = true;
    core::SetAttribute(r.attributes, "ignition", true);
    core::SetAttribute(r.attributes, "armed", true);
    core::SetAttribute(r.attributes, "battery_level", int64_t{5});
    core::SetAttribute(r.attributes, "gsm_signal", int64_t{3});
    core::SetAttribute(r.attributes, "odometer_m", int64_t{99});
    core::Decoded d = *Decode(EncodeAlarm(r, 0x30, 77, 0x26));
    ASSERT_EQ(d.messages.size(), 1u);
    const core::Message& m = d.messages[0];
    EXPECT_EQ(m.alarm, "harsh_braking");
    EXPECT_NEAR(m.record.lon, -0.12, 1e-6);
    EXPECT_TRUE(Attr<bool>(m.record.attributes, "ignition"));
    EXPECT_TRUE(Attr<bool>(m.record.attributes, "armed"));
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "battery_level"), 5);
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "gsm_signal"), 3);
    EXPECT_EQ(Attr<int64_t>(m.record.attributes, "odometer_m"), 99);
    EXPECT_EQ(core::ToHex(core::Bytes(d.reply).first(6)), "78780526004d");
}

TEST(Gt06Test, MessagesRenderAsJson) {
    core::Message m =
        Single("78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a");
    const std::string json = core::MessageToJson(m);
    EXPECT_NE(json.find("\"type\":\"position\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"time\":\"2015-10-20T14:21:11.000Z\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"cell_id\":21978"), std::string::npos) << json;
}

// ---- Robustness

TEST(Gt06Test, RandomBytesNeverCrash) {
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<size_t> size(0, 80);
    const uint8_t protocols[] = {0x01, 0x12, 0x13, 0x15, 0x16, 0x21, 0x22, 0x26, 0x8A};
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint8_t> buf(size(rng));
        for (auto& b : buf) b = static_cast<uint8_t>(byte(rng));
        if (i % 2 == 0 && buf.size() >= 6) {
            // Mostly-valid frames: right start, length, stop, protocol and CRC with random content.
            const bool ext = i % 4 == 0;
            const size_t header = ext ? 4 : 3;
            const size_t length = buf.size() - header - 2;
            buf[0] = buf[1] = ext ? 0x79 : 0x78;
            if (ext) {
                buf[2] = static_cast<uint8_t>(length >> 8);
                buf[3] = static_cast<uint8_t>(length);
            } else {
                buf[2] = static_cast<uint8_t>(length);
            }
            if (buf.size() > header)
                buf[header] = protocols[static_cast<size_t>(i / 2) % std::size(protocols)];
            buf[buf.size() - 2] = 0x0D;
            buf[buf.size() - 1] = 0x0A;
            if (buf.size() >= header + 5 + 2) {
                const uint16_t crc = core::Crc16X25(core::Bytes(buf).subspan(2, buf.size() - 6));
                buf[buf.size() - 4] = static_cast<uint8_t>(crc >> 8);
                buf[buf.size() - 3] = static_cast<uint8_t>(crc);
            }
        }
        FrameScan s = Scan(buf, kMaxFrame);
        if (s.status == FrameScan::Status::kFrame) {
            ASSERT_LE(s.length, buf.size());
            ASSERT_GT(s.length, 0u);
            auto d = Decode(core::Bytes(buf).first(s.length));
            if (d.ok()) {
                for (const auto& m : d->messages) (void)core::MessageToJson(m);
            }
        }
        (void)Decode(buf);
    }
}

}  // namespace
}  // namespace fleet::protocol::gt06
