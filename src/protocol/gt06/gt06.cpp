#include "protocol/gt06/gt06.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "core/time.hpp"

// Field layouts and their sources are in ../shared/reference/protocols.md section 2 ("§2.x"
// below); VL03 is the Concox "JM-VL03" protocol document, PDF the original GT06 protocol document,
// TRC the traccar test suites. Every multi-byte number on the wire is big-endian.
//
// Decisions where the sources disagree or are silent:
// - Times. 0x22/0x26 carry UTC (VL03). 0x12/0x16 are also read as UTC: the PDF does not say, the
//   devices we know send UTC, and a pure decoder has no per-device zone. The login time zone is
//   reported as the attribute timezone_offset_min and is not applied. A date that is all zeros or
//   out of range leaves device_time at zero (unknown) instead of failing the frame, because such
//   frames still carry alarms (TRC Gt06FrameDecoderTest has one).
// - Replies. Login, heartbeat, alarm (0x16/0x26) and 0x12 locations are acknowledged with
//   `7878 05 <protocol> <serial> <crc> 0D0A`, as traccar does (old GT06 firmware waits for the 0x12
//   ack). 0x22 gets no reply (VL03: "no server response packet required"). Alarms are acknowledged
//   even when their language byte is 0x00 ("no platform reply required"): an unexpected ack is
//   harmless, a missing one makes some firmware resend.
// - Time calibration 0x8A wants the current UTC back; decoding is pure and has no clock, so the
//   frame decodes to nothing and the gateway answers it if it wants to.
// - Alarm byte 0x00 ("normal"): the alarm name falls back to the terminal-info alarm bits (5-3);
//   when those are normal too the frame is a position report (kPosition), not an alarm.
// - Heartbeat length quirk: some devices send 0x13 with length byte 0x08 and 5 info bytes (10
//   bytes follow). Scan accepts that frame (15 bytes) when the 13-byte reading has no 0D0A at its
//   end, and the CRC is checked over the bytes actually sent (TRC Gt06FrameDecoderTest
//   `787808134606020002044dc5050d0a`). Should such a frame's CRC itself be 0D0A (1 in 65536), the
//   13-byte reading wins and the next Scan fails on the two bytes left over.
// - Frames with length byte 0 (traccar's WiFi 0x69/0x17 variants without serial and CRC) are
//   refused by Scan like any other length below 5.

namespace fleet::protocol::gt06 {
namespace {

using core::Attributes;
using core::AttrValue;
using core::Bytes;
using core::FrameScan;
using core::Reader;
using core::SetAttribute;

// §2.2 protocol numbers handled here.
constexpr uint8_t kLogin = 0x01;
constexpr uint8_t kGpsLbs = 0x12;
constexpr uint8_t kStatus = 0x13;
constexpr uint8_t kStringInfo = 0x15;
constexpr uint8_t kAlarmGt06 = 0x16;
constexpr uint8_t kStringInfoNew = 0x21;
constexpr uint8_t kGpsLbsUtc = 0x22;
constexpr uint8_t kAlarmUtc = 0x26;
constexpr uint8_t kCommand = 0x80;

// §2.1: the length field counts protocol (1) + information + serial (2) + CRC (2).
constexpr size_t kMinLength = 5;
// §2.5: the short-length heartbeat quirk.
constexpr size_t kQuirkLength = 8;
constexpr double kCoordinateScale = 1'800'000.0;  // §2.4: (deg*60 + min) * 30000

bool IsStop(Bytes buf, size_t end) { return buf[end - 2] == 0x0D && buf[end - 1] == 0x0A; }

// Wraps protocol + content + serial in the §2.1 frame: 7878 (or 7979 when the length does not fit
// one byte), length, CRC-ITU over length..serial, 0D0A.
std::vector<uint8_t> Frame(uint8_t protocol, const std::vector<uint8_t>& content, uint16_t serial) {
    const size_t length = 1 + content.size() + 2 + 2;
    const bool extended = length > 0xFF;
    std::vector<uint8_t> out;
    out.reserve(length + 6);
    core::PutU8(out, extended ? 0x79 : 0x78);
    core::PutU8(out, extended ? 0x79 : 0x78);
    if (extended) {
        core::PutU16(out, static_cast<uint16_t>(length));
    } else {
        core::PutU8(out, static_cast<uint8_t>(length));
    }
    core::PutU8(out, protocol);
    out.insert(out.end(), content.begin(), content.end());
    core::PutU16(out, serial);
    core::PutU16(out, core::Crc16X25(Bytes(out).subspan(2)));
    core::PutU8(out, 0x0D);
    core::PutU8(out, 0x0A);
    return out;
}

// The server acknowledgement `7878 05 <protocol> <serial> <crc> 0D0A` (§2.3, §2.5, §2.6).
std::vector<uint8_t> Ack(uint8_t protocol, uint16_t serial) { return Frame(protocol, {}, serial); }

int64_t I64(uint64_t v) { return static_cast<int64_t>(v); }

// §2.5 terminal-info bits 5-3 (VL03, RUBY; 110 and 111 from traccar, which calls 111 "removing").
const char* StatusAlarmName(uint8_t terminal_info) {
    static constexpr const char* kNames[8] = {nullptr, "vibration", "power_cut", "low_battery",
                                              "sos",   nullptr,     "geofence",  "tamper"};
    return kNames[(terminal_info >> 3) & 0x7];
}

// §2.6 alarm byte (VL03 table). 0x00 is "normal" and has no name here; unknown codes are "unknown"
// (the raw code is always kept as the attribute alarm_code).
struct AlarmCode {
    uint8_t code;
    const char* name;
};
constexpr AlarmCode kAlarmCodes[] = {
    {0x01, "sos"},
    {0x02, "power_cut"},
    {0x03, "vibration"},
    {0x04, "geofence_enter"},
    {0x05, "geofence_exit"},
    {0x06, "overspeed"},
    {0x09, "tow"},
    {0x0A, "gps_blind_spot_enter"},
    {0x0B, "gps_blind_spot_exit"},
    {0x0C, "power_on"},
    {0x0D, "gps_first_fix"},
    {0x0E, "low_external_battery"},
    {0x0F, "low_external_battery"},  // VL03: external battery low-voltage protection
    {0x10, "sim_changed"},
    {0x11, "power_off"},
    {0x12, "airplane_mode"},
    {0x13, "tamper"},
    {0x14, "door"},
    {0x15, "low_battery_power_off"},
    {0x16, "sound_alarm"},
    {0x17, "fake_base_station"},
    {0x18, "cover_removed"},
    {0x19, "low_internal_battery"},
    {0x20, "deep_sleep"},
    {0x23, "fall"},
    {0x29, "harsh_acceleration"},
    {0x2A, "harsh_cornering"},  // left
    {0x2B, "harsh_cornering"},  // right
    {0x2C, "crash"},
    {0x30, "harsh_braking"},
    {0x32, "unplugged"},
    {0xFE, "acc_on"},
    {0xFF, "acc_off"},
};

const char* AlarmName(uint8_t code) {
    if (code == 0x00) return nullptr;
    for (const AlarmCode& a : kAlarmCodes) {
        if (a.code == code) return a.name;
    }
    return "unknown";
}

// §2.4 date-time: YY MM DD hh mm ss, binary, 2000-based. Zero (unknown) when not a real date.
core::TimePoint ReadTime(Reader& r) {
    const int year = r.U8();
    const int month = r.U8();
    const int day = r.U8();
    const int hour = r.U8();
    const int minute = r.U8();
    const int second = r.U8();
    auto t = core::MakeUtc(2000 + year, month, day, hour, minute, second);
    return t.ok() ? *t : core::TimePoint{};
}

// §2.4 GPS block (18 bytes with the date): date-time, GPS info (high nibble length, low nibble
// satellites), latitude and longitude (unsigned, 1/1,800,000 degree), speed (km/h) and the
// course/status word.
void ReadGps(Reader& r, core::Record& rec) {
    rec.device_time = ReadTime(r);
    const uint8_t gps_info = r.U8();
    rec.satellites = gps_info & 0x0F;
    double lat = r.U32() / kCoordinateScale;
    double lon = r.U32() / kCoordinateScale;
    rec.speed_kmh = r.U8();
    // Course/status: bit 15 ignition and bit 14 "ignition present" (traccar), bit 13 differential,
    // bit 12 positioned, bit 11 west, bit 10 north, bits 9-0 course in degrees.
    const uint16_t flags = r.U16();
    rec.course_deg = flags & 0x3FF;
    rec.valid = (flags & 0x1000) != 0;
    if ((flags & 0x0400) == 0) lat = -lat;
    if ((flags & 0x0800) != 0) lon = -lon;
    rec.lat = lat;
    rec.lon = lon;
    if ((flags & 0x4000) != 0) SetAttribute(rec.attributes, "ignition", (flags & 0x8000) != 0);
}

// §2.4 LBS block: MCC (bit 15 set = 2-byte MNC), MNC, LAC, cell id (3 bytes).
void ReadLbs(Reader& r, Attributes& attrs) {
    const uint16_t mcc = r.U16();
    const uint16_t mnc = (mcc & 0x8000) != 0 ? r.U16() : r.U8();
    const uint16_t lac = r.U16();
    const uint32_t cell = r.U24();
    SetAttribute(attrs, "mcc", int64_t{mcc & 0x7FFF});
    SetAttribute(attrs, "mnc", int64_t{mnc});
    SetAttribute(attrs, "lac", int64_t{lac});
    SetAttribute(attrs, "cell_id", int64_t{cell});
}

// §2.5 terminal info byte, then voltage level (0-6) and GSM signal (0-4) when present. Values
// outside those ranges (other layouts of 0x13 in the wild) are not reported rather than
// misreported.
void ReadStatus(Reader& r, Attributes& attrs) {
    const uint8_t info = r.U8();
    SetAttribute(attrs, "armed", (info & 0x01) != 0);
    SetAttribute(attrs, "ignition", (info & 0x02) != 0);
    SetAttribute(attrs, "charging", (info & 0x04) != 0);
    SetAttribute(attrs, "gps_tracking", (info & 0x40) != 0);
    SetAttribute(attrs, "oil_cut", (info & 0x80) != 0);
    if (const char* alarm = StatusAlarmName(info)) SetAttribute(attrs, "alarm", std::string(alarm));
    if (r.remaining() >= 1) {
        const uint8_t voltage = r.U8();
        if (voltage <= 6) {
            SetAttribute(attrs, "battery_level", int64_t{voltage});
            SetAttribute(attrs, "battery_pct", int64_t{voltage * 100 / 6});
        }
    }
    if (r.remaining() >= 1) {
        const uint8_t gsm = r.U8();
        if (gsm <= 4) SetAttribute(attrs, "gsm_signal", int64_t{gsm});
    }
}

bool IsBcd(Bytes b) {
    return std::all_of(b.begin(), b.end(),
                       [](uint8_t v) { return (v >> 4) <= 9 && (v & 0xF) <= 9; });
}

// §2.3 login: BCD terminal id → IMEI without the leading 0; extended login adds type code and
// time zone (bits 15-4 zone ×100 as hhmm, bit 3 west).
Result<core::Decoded> DecodeLogin(Bytes info, uint16_t serial) {
    Reader r(info);
    Bytes id = r.Take(8);
    if (r.failed()) return MakeError("gt06 login: terminal id shorter than 8 bytes");
    if (!IsBcd(id)) return MakeError("gt06 login: terminal id is not BCD: " + core::ToHex(id));
    std::string digits = core::ToHex(id);
    if (digits.front() == '0') digits.erase(0, 1);

    core::Message m;
    m.type = core::MessageType::kLogin;
    m.imei = std::move(digits);
    if (r.remaining() >= 2) SetAttribute(m.attributes, "device_type", core::ToHex(r.Take(2)));
    if (r.remaining() >= 2) {
        const uint16_t zone = r.U16();
        const int hhmm = zone >> 4;
        int offset_min = (hhmm / 100) * 60 + hhmm % 100;
        if ((zone & 0x08) != 0) offset_min = -offset_min;
        SetAttribute(m.attributes, "timezone_offset_min", int64_t{offset_min});
    }
    core::Decoded out;
    out.messages.push_back(std::move(m));
    out.reply = Ack(kLogin, serial);
    return out;
}

// §2.4 0x12 (GPS + LBS) and 0x22 (adds ACC, upload mode, re-upload flag, optional mileage).
Result<core::Decoded> DecodeLocation(uint8_t protocol, Bytes info, uint16_t serial) {
    Reader r(info);
    core::Message m;
    m.type = core::MessageType::kPosition;
    ReadGps(r, m.record);
    ReadLbs(r, m.record.attributes);
    if (r.failed()) return MakeError("gt06 location: information shorter than GPS + LBS");
    core::Decoded out;
    if (protocol == kGpsLbsUtc) {
        if (r.remaining() >= 3) {
            SetAttribute(m.record.attributes, "ignition", r.U8() != 0);
            SetAttribute(m.record.attributes, "upload_mode", int64_t{r.U8()});
            SetAttribute(m.record.attributes, "reupload", r.U8() != 0);
        }
        if (r.remaining() >= 4) SetAttribute(m.record.attributes, "odometer_m", I64(r.U32()));
    } else {
        out.reply = Ack(protocol, serial);
    }
    out.messages.push_back(std::move(m));
    return out;
}

// §2.5 heartbeat: terminal info, voltage level, GSM signal, alarm/language (not interpreted).
Result<core::Decoded> DecodeHeartbeat(Bytes info, uint16_t serial) {
    if (info.empty()) return MakeError("gt06 heartbeat: no terminal information");
    Reader r(info);
    core::Message m;
    m.type = core::MessageType::kHeartbeat;
    ReadStatus(r, m.attributes);
    core::Decoded out;
    out.messages.push_back(std::move(m));
    out.reply = Ack(kStatus, serial);
    return out;
}

// §2.6 alarm 0x16/0x26: GPS block, LBS with its own length byte, status, alarm byte, language,
// [0x26: mileage 4].
Result<core::Decoded> DecodeAlarm(uint8_t protocol, Bytes info, uint16_t serial) {
    Reader r(info);
    core::Message m;
    core::Record& rec = m.record;
    ReadGps(r, rec);
    // The LBS length counts itself (usually 9). 0 means no LBS fields; like traccar we read the
    // fixed fields for any other value and skip what the length says is left over.
    const size_t lbs_length = r.U8();
    if (lbs_length != 0) {
        const size_t before = r.position();
        ReadLbs(r, rec.attributes);
        const size_t used = 1 + r.position() - before;
        if (lbs_length > used) r.Skip(lbs_length - used);
    }
    ReadStatus(r, rec.attributes);
    const uint8_t code = r.U8();
    if (r.failed()) return MakeError("gt06 alarm: information shorter than GPS + LBS + status");
    SetAttribute(rec.attributes, "alarm_code", int64_t{code});
    r.Skip(1);  // language: 01 Chinese, 02 English, 00 no reply required
    if (protocol == kAlarmUtc && r.remaining() >= 4) {
        SetAttribute(rec.attributes, "odometer_m", I64(r.U32()));
    }

    if (const char* name = AlarmName(code)) {
        SetAttribute(rec.attributes, "alarm", std::string(name));
    }
    const core::AttrValue* alarm = core::FindAttribute(rec.attributes, "alarm");
    if (alarm != nullptr) {
        m.type = core::MessageType::kAlarm;
        m.alarm = std::get<std::string>(*alarm);
    } else {
        m.type = core::MessageType::kPosition;
    }
    core::Decoded out;
    out.messages.push_back(std::move(m));
    out.reply = Ack(protocol, serial);
    return out;
}

std::string TrimNul(std::string s) {
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

std::string AsString(Bytes b) { return std::string(b.begin(), b.end()); }

void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// UTF-16BE → UTF-8; unpaired surrogates and an odd trailing byte become U+FFFD.
std::string Utf16BeToUtf8(Bytes b) {
    std::string out;
    size_t i = 0;
    while (i + 1 < b.size()) {
        uint32_t unit = static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
        i += 2;
        if (unit >= 0xD800 && unit <= 0xDBFF && i + 1 < b.size()) {
            const uint32_t low = static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                i += 2;
                AppendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
                continue;
            }
        }
        AppendUtf8(out, unit >= 0xD800 && unit <= 0xDFFF ? 0xFFFD : unit);
    }
    if (i < b.size()) AppendUtf8(out, 0xFFFD);
    return out;
}

core::Message CommandResponse(std::string text, uint32_t server_flag) {
    core::Message m;
    m.type = core::MessageType::kCommandResponse;
    m.text = TrimNul(std::move(text));
    SetAttribute(m.attributes, "server_flag", int64_t{server_flag});
    // Devices answer the ICCID query as "<ICCID:89882390000097302650>" (TRC).
    constexpr std::string_view kIccid = "<ICCID:";
    if (m.text.size() > kIccid.size() + 1 && m.text.compare(0, kIccid.size(), kIccid) == 0 &&
        m.text.back() == '>') {
        SetAttribute(m.attributes, "iccid",
                     m.text.substr(kIccid.size(), m.text.size() - kIccid.size() - 1));
    }
    return m;
}

// §2.7 old reply 0x15: length (= 4 + text), server flag 4, ASCII text, language 2. Some devices
// send length 0 with NUL-padded text (TRC "DYD=Success!"); then the text is everything up to the
// language.
Result<core::Decoded> DecodeStringInfo(Bytes info) {
    Reader r(info);
    const size_t length = r.U8();
    const uint32_t flag = r.U32();
    if (r.failed()) return MakeError("gt06 command reply: shorter than length + server flag");
    Bytes text;
    if (length >= 4 && length - 4 <= r.remaining()) {
        text = r.Take(length - 4);
    } else {
        text = r.Take(r.remaining() >= 2 ? r.remaining() - 2 : 0);
    }
    core::Decoded out;
    out.messages.push_back(CommandResponse(AsString(text), flag));
    return out;
}

// §2.7 new reply 0x21: server flag 4, encoding 1 (01 ASCII, 02 UTF-16BE; others kept as raw
// bytes), text up to the serial.
Result<core::Decoded> DecodeStringInfoNew(Bytes info) {
    Reader r(info);
    const uint32_t flag = r.U32();
    const uint8_t encoding = r.U8();
    if (r.failed()) return MakeError("gt06 command reply: shorter than server flag + encoding");
    Bytes text = r.Take(r.remaining());
    core::Decoded out;
    out.messages.push_back(
        CommandResponse(encoding == 0x02 ? Utf16BeToUtf8(text) : AsString(text), flag));
    return out;
}

// Encoder helpers.

uint32_t Coordinate(double degrees) {
    const double v = std::round(std::fabs(degrees) * kCoordinateScale);
    if (!(v < 4294967295.0)) return std::numeric_limits<uint32_t>::max();
    return static_cast<uint32_t>(v);
}

int64_t IntAttr(const Attributes& attrs, std::string_view name, int64_t fallback) {
    const AttrValue* v = core::FindAttribute(attrs, name);
    if (v == nullptr) return fallback;
    if (const auto* i = std::get_if<int64_t>(v)) return *i;
    if (const auto* d = std::get_if<double>(v)) {
        return std::isfinite(*d) ? std::llround(*d) : fallback;
    }
    if (const auto* b = std::get_if<bool>(v)) return *b ? 1 : 0;
    return fallback;
}

std::optional<bool> BoolAttr(const Attributes& attrs, std::string_view name) {
    const AttrValue* v = core::FindAttribute(attrs, name);
    if (v == nullptr) return std::nullopt;
    if (const auto* b = std::get_if<bool>(v)) return *b;
    if (const auto* i = std::get_if<int64_t>(v)) return *i != 0;
    return std::nullopt;
}

template <typename T>
T Clamp(int64_t v) {
    return static_cast<T>(std::clamp<int64_t>(v, 0, std::numeric_limits<T>::max()));
}

int64_t Round(double v) { return std::isfinite(v) ? std::llround(std::clamp(v, -1e15, 1e15)) : 0; }

// §2.4 GPS block from a record. A zero device_time is written as all-zero date fields.
void PutGps(std::vector<uint8_t>& out, const core::Record& rec, bool ignition_bits) {
    using namespace std::chrono;
    if (rec.device_time == core::TimePoint{}) {
        out.insert(out.end(), 6, 0);
    } else {
        const auto day = floor<days>(rec.device_time);
        const year_month_day ymd{day};
        const hh_mm_ss<core::Millis> hms{rec.device_time - day};
        core::PutU8(out, Clamp<uint8_t>(static_cast<int>(ymd.year()) - 2000));
        core::PutU8(out, static_cast<uint8_t>(static_cast<unsigned>(ymd.month())));
        core::PutU8(out, static_cast<uint8_t>(static_cast<unsigned>(ymd.day())));
        core::PutU8(out, static_cast<uint8_t>(hms.hours().count()));
        core::PutU8(out, static_cast<uint8_t>(hms.minutes().count()));
        core::PutU8(out, static_cast<uint8_t>(hms.seconds().count()));
    }
    core::PutU8(out, static_cast<uint8_t>(0xC0 | std::clamp(rec.satellites, 0, 15)));
    core::PutU32(out, Coordinate(rec.lat));
    core::PutU32(out, Coordinate(rec.lon));
    core::PutU8(out, Clamp<uint8_t>(Round(rec.speed_kmh)));
    int64_t course = Round(rec.course_deg);
    if (course < 0 || course > 0x3FF) course = ((course % 360) + 360) % 360;
    uint16_t flags = static_cast<uint16_t>(course);
    if (rec.valid) flags |= 0x1000;
    if (rec.lon < 0) flags |= 0x0800;
    if (rec.lat >= 0) flags |= 0x0400;
    if (ignition_bits) {
        if (auto ignition = BoolAttr(rec.attributes, "ignition")) {
            flags |= 0x4000;
            if (*ignition) flags |= 0x8000;
        }
    }
    core::PutU16(out, flags);
}

// §2.4 LBS block from the mcc/mnc/lac/cell_id attributes (0 when absent).
void PutLbs(std::vector<uint8_t>& out, const Attributes& attrs) {
    const uint16_t mcc =
        static_cast<uint16_t>(std::clamp<int64_t>(IntAttr(attrs, "mcc", 0), 0, 0x7FFF));
    const int64_t mnc = IntAttr(attrs, "mnc", 0);
    if (mnc > 0xFF) {
        core::PutU16(out, static_cast<uint16_t>(mcc | 0x8000));
        core::PutU16(out, Clamp<uint16_t>(mnc));
    } else {
        core::PutU16(out, mcc);
        core::PutU8(out, Clamp<uint8_t>(mnc));
    }
    core::PutU16(out, Clamp<uint16_t>(IntAttr(attrs, "lac", 0)));
    const uint32_t cell =
        static_cast<uint32_t>(std::clamp<int64_t>(IntAttr(attrs, "cell_id", 0), 0, 0xFFFFFF));
    core::PutU8(out, static_cast<uint8_t>(cell >> 16));
    core::PutU16(out, static_cast<uint16_t>(cell));
}

}  // namespace

FrameScan Scan(Bytes buf, size_t max_frame) {
    if (buf.empty()) return FrameScan::NeedMore();
    const uint8_t start = buf[0];
    if (start != 0x78 && start != 0x79) {
        return FrameScan::Fail("gt06: frame does not start with 7878 or 7979");
    }
    if (buf.size() < 2) return FrameScan::NeedMore();
    if (buf[1] != start) return FrameScan::Fail("gt06: frame does not start with 7878 or 7979");
    const bool extended = start == 0x79;
    const size_t header = extended ? 4 : 3;
    if (buf.size() < header) return FrameScan::NeedMore();
    const size_t length = extended ? (size_t{buf[2]} << 8 | buf[3]) : buf[2];
    if (length < kMinLength) {
        return FrameScan::Fail("gt06: length " + std::to_string(length) + " below 5");
    }
    const size_t total = header + length + 2;
    if (total > max_frame) {
        return FrameScan::Fail("gt06: frame of " + std::to_string(total) + " bytes too long");
    }

    if (!extended && length == kQuirkLength) {
        if (buf.size() < header + 1) return FrameScan::NeedMore();
        if (buf[header] == kStatus) {
            if (buf.size() < total) return FrameScan::NeedMore();
            if (IsStop(buf, total)) return FrameScan::Frame(total);
            const size_t quirk_total = total + 2;
            if (quirk_total > max_frame) return FrameScan::Fail("gt06: frame too long");
            if (buf.size() < quirk_total) return FrameScan::NeedMore();
            if (IsStop(buf, quirk_total)) return FrameScan::Frame(quirk_total);
            return FrameScan::Fail("gt06: heartbeat without 0D0A stop bytes");
        }
    }
    if (buf.size() < total) return FrameScan::NeedMore();
    if (!IsStop(buf, total)) return FrameScan::Fail("gt06: frame without 0D0A stop bytes");
    return FrameScan::Frame(total);
}

Result<core::Decoded> Decode(Bytes frame) {
    const FrameScan scan = Scan(frame, std::numeric_limits<size_t>::max());
    if (scan.status == FrameScan::Status::kError) return MakeError(scan.error);
    if (scan.status != FrameScan::Status::kFrame || scan.length != frame.size()) {
        return MakeError("gt06: not exactly one frame (" + std::to_string(frame.size()) +
                         " bytes)");
    }
    // §2.1: CRC-ITU over length..serial, i.e. everything between the start and the CRC itself.
    const size_t header = frame[0] == 0x79 ? 4 : 3;
    const Bytes covered = frame.subspan(2, frame.size() - 6);
    const uint16_t expected =
        static_cast<uint16_t>(frame[frame.size() - 4] << 8 | frame[frame.size() - 3]);
    const uint16_t actual = core::Crc16X25(covered);
    if (actual != expected) {
        return MakeError("gt06: CRC mismatch (frame " +
                         core::ToHex(frame.subspan(frame.size() - 4, 2)) + ", computed " +
                         core::ToHex(std::vector<uint8_t>{static_cast<uint8_t>(actual >> 8),
                                                          static_cast<uint8_t>(actual)}) +
                         ")");
    }
    // Body = protocol + information + serial; Scan guarantees at least 3 bytes.
    const Bytes body = frame.subspan(header, frame.size() - header - 4);
    const uint8_t protocol = body[0];
    const Bytes info = body.subspan(1, body.size() - 3);
    const uint16_t serial =
        static_cast<uint16_t>(body[body.size() - 2] << 8 | body[body.size() - 1]);

    switch (protocol) {
        case kLogin:
            return DecodeLogin(info, serial);
        case kGpsLbs:
        case kGpsLbsUtc:
            return DecodeLocation(protocol, info, serial);
        case kStatus:
            return DecodeHeartbeat(info, serial);
        case kAlarmGt06:
        case kAlarmUtc:
            return DecodeAlarm(protocol, info, serial);
        case kStringInfo:
            return DecodeStringInfo(info);
        case kStringInfoNew:
            return DecodeStringInfoNew(info);
        default:
            return core::Decoded{};  // includes time calibration 0x8A: see the file comment
    }
}

std::vector<uint8_t> EncodeLogin(std::string_view imei, uint16_t serial) {
    // §2.3: 16 BCD digits, the IMEI right-aligned behind a leading 0. Non-digits encode as 0;
    // longer ids keep their last 16 digits.
    std::string digits(16, '0');
    const size_t n = std::min<size_t>(imei.size(), 16);
    std::copy(imei.end() - static_cast<std::ptrdiff_t>(n), imei.end(),
              digits.end() - static_cast<std::ptrdiff_t>(n));
    std::vector<uint8_t> content;
    for (size_t i = 0; i < 16; i += 2) {
        auto nibble = [](char c) { return c >= '0' && c <= '9' ? c - '0' : 0; };
        content.push_back(static_cast<uint8_t>(nibble(digits[i]) << 4 | nibble(digits[i + 1])));
    }
    return Frame(kLogin, content, serial);
}

std::vector<uint8_t> EncodeLocation(const core::Record& record, uint16_t serial, uint8_t protocol) {
    // Protocol 0x22 gets the 0x22 layout; any other number the 0x12 layout.
    std::vector<uint8_t> content;
    const bool utc_layout = protocol == kGpsLbsUtc;
    PutGps(content, record, !utc_layout);
    PutLbs(content, record.attributes);
    if (utc_layout) {
        // §2.4 0x22 tail: ACC, upload mode, re-upload flag, [mileage when odometer_m is known].
        core::PutU8(content, BoolAttr(record.attributes, "ignition").value_or(false) ? 1 : 0);
        core::PutU8(content, Clamp<uint8_t>(IntAttr(record.attributes, "upload_mode", 0)));
        core::PutU8(content, BoolAttr(record.attributes, "reupload").value_or(false) ? 1 : 0);
        if (core::FindAttribute(record.attributes, "odometer_m") != nullptr) {
            core::PutU32(content, Clamp<uint32_t>(IntAttr(record.attributes, "odometer_m", 0)));
        }
    }
    return Frame(protocol, content, serial);
}

std::vector<uint8_t> EncodeHeartbeat(uint8_t terminal_info, uint8_t voltage_level,
                                     uint8_t gsm_level, uint16_t serial) {
    // §2.5; alarm/language 0x0002 (no alarm, English), as traccar's frames carry it.
    return Frame(kStatus, {terminal_info, voltage_level, gsm_level, 0x00, 0x02}, serial);
}

std::vector<uint8_t> EncodeAlarm(const core::Record& record, uint8_t alarm_code, uint16_t serial,
                                 uint8_t protocol) {
    std::vector<uint8_t> content;
    PutGps(content, record, false);
    core::PutU8(content, 9);  // §2.6 LBS length, counting itself
    PutLbs(content, record.attributes);
    const Attributes& a = record.attributes;
    uint8_t info = 0;
    if (BoolAttr(a, "armed").value_or(false)) info |= 0x01;
    if (BoolAttr(a, "ignition").value_or(false)) info |= 0x02;
    if (BoolAttr(a, "charging").value_or(false)) info |= 0x04;
    if (BoolAttr(a, "gps_tracking").value_or(false)) info |= 0x40;
    if (BoolAttr(a, "oil_cut").value_or(false)) info |= 0x80;
    core::PutU8(content, info);
    core::PutU8(content,
                static_cast<uint8_t>(std::clamp<int64_t>(IntAttr(a, "battery_level", 0), 0, 6)));
    core::PutU8(content,
                static_cast<uint8_t>(std::clamp<int64_t>(IntAttr(a, "gsm_signal", 0), 0, 4)));
    core::PutU8(content, alarm_code);
    core::PutU8(content, 0x02);  // language: English
    if (protocol == kAlarmUtc && core::FindAttribute(a, "odometer_m") != nullptr) {
        core::PutU32(content, Clamp<uint32_t>(IntAttr(a, "odometer_m", 0)));
    }
    return Frame(protocol, content, serial);
}

std::vector<uint8_t> EncodeCommand(std::string_view text, uint32_t server_flag, uint16_t serial) {
    // §2.7: command length (= server flag 4 + text), server flag, ASCII text; no language field, as
    // in traccar's and VL03's examples. The length byte caps the text at 251 bytes.
    const std::string_view cmd = text.substr(0, 0xFF - 4);
    std::vector<uint8_t> content;
    core::PutU8(content, static_cast<uint8_t>(4 + cmd.size()));
    core::PutU32(content, server_flag);
    content.insert(content.end(), cmd.begin(), cmd.end());
    return Frame(kCommand, content, serial);
}

}  // namespace fleet::protocol::gt06
