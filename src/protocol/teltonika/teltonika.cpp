#include "protocol/teltonika/teltonika.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "protocol/teltonika/detail/crc.hpp"
#include "protocol/teltonika/detail/cursor.hpp"
#include "protocol/teltonika/detail/io_names.hpp"

// Section numbers in comments refer to ../shared/reference/protocols.md ("Teltonika", section 1),
// which cites the Teltonika wiki "Codec" page for every field.
namespace fleet::protocol::teltonika {
namespace {

using core::Bytes;
using core::Reader;

// Codec IDs (1.2, 1.4).
constexpr uint8_t kCodec8 = 0x08;
constexpr uint8_t kCodec8E = 0x8E;
constexpr uint8_t kCodec12 = 0x0C;
constexpr uint8_t kCodec13 = 0x0D;
constexpr uint8_t kCodec14 = 0x0E;
constexpr uint8_t kCodec15 = 0x0F;
constexpr uint8_t kCodec16 = 0x10;

// Codec 12 message types (1.4).
constexpr uint8_t kTypeCommand = 0x05;
constexpr uint8_t kTypeResponse = 0x06;
constexpr uint8_t kTypeCamera = 0x0D;
constexpr uint8_t kTypeCodec15 = 0x0B;

// An IMEI is 15 digits; a little slack for test devices and IMEISV, no more, so that garbage whose
// first two bytes happen to be small is refused at once instead of waiting for bytes.
constexpr size_t kMaxImeiLength = 20;
// Preamble 4 + data length 4 + CRC field 4 (1.2).
constexpr size_t kPacketOverhead = 12;
// Codec ID + Number of Data 1 + Number of Data 2: the smallest data field of any codec.
constexpr size_t kMinDataLength = 3;
// 9999-12-31T23:59:59.999Z in ms: a later device time is garbage (and beyond what the calendar
// code handles).
constexpr uint64_t kMaxTimestampMs = 253402300799999ULL;
// Timestamp 8 + priority 1 + GPS element 15 + the smallest IO element (Codec 8: event ID, N total
// and four zero counts).
constexpr size_t kMinRecordLength = 30;

bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }

bool IsKnownCodec(uint8_t c) {
    return c == kCodec8 || c == kCodec8E || c == kCodec16 || c == kCodec12 || c == kCodec13 ||
           c == kCodec14 || c == kCodec15;
}

std::string HexByte(uint8_t b) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    return std::string{'0', 'x', kDigits[b >> 4], kDigits[b & 0xF]};
}

std::string AsString(Bytes b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Command answers are ASCII text; other answers (traccar has binary ones) are shown as hex instead.
// Surrounding whitespace (the trailing CR LF most answers carry) is trimmed, as traccar does.
std::string ResponseText(Bytes payload) {
    bool printable = std::all_of(payload.begin(), payload.end(), [](uint8_t c) {
        return (c >= 0x20 && c < 0x7F) || c == '\r' || c == '\n' || c == '\t';
    });
    if (!printable) return core::ToHex(payload);
    auto is_space = [](uint8_t c) { return c == ' ' || c == '\r' || c == '\n' || c == '\t'; };
    size_t begin = 0;
    size_t end = payload.size();
    while (begin < end && is_space(payload[begin])) ++begin;
    while (end > begin && is_space(payload[end - 1])) --end;
    return AsString(payload.subspan(begin, end - begin));
}

// The 8-byte IMEI of Codecs 14 and 15 (1.4): the IMEI's decimal digits read as hex digits,
// left-padded with one 0 ("0352093081452251" for 352093081452251).
std::string ImeiFromBcd(Bytes b) {
    std::string hex = core::ToHex(b);
    size_t first = hex.find_first_not_of('0');
    if (first == std::string::npos) return "0";
    // Keep 15 digits when the padding is the usual single zero.
    if (hex.size() == 16 && first >= 1) return hex.substr(1);
    return hex.substr(first);
}

// ---- AVL records (1.2) --------------------------------------------------------------------------

// How the IO element of each AVL codec is laid out (1.2). The decoder takes it as template
// arguments so that the per-element loop has constant widths; the encoder uses it at run time.
struct IoLayout {
    size_t id_bytes;     // AVL ID width (also the event IO ID width)
    size_t count_bytes;  // N, N1, N2, N4, N8 (and NX) width
    bool generation;     // Codec 16: generation type byte after the event IO ID
    bool variable;       // Codec 8 Extended: NX variable-length elements after N8
};

constexpr IoLayout kLayout8{1, 1, false, false};
constexpr IoLayout kLayout8E{2, 2, false, true};
constexpr IoLayout kLayout16{2, 1, true, false};

bool LayoutFor(uint8_t codec, IoLayout& out) {
    switch (codec) {
        case kCodec8: out = kLayout8; return true;
        case kCodec8E: out = kLayout8E; return true;
        case kCodec16: out = kLayout16; return true;
        default: return false;
    }
}

// Reads the N-count elements of one value size into rec.io (1.2) and counts the well-known IDs
// among them into `named`. False when the bytes run out.
template <IoLayout L, size_t Size>
bool ReadFixedGroup(detail::Cursor& r, core::Record& rec, size_t& named) {
    uint64_t count = r.Read<L.count_bytes>();
    // The group's size is known from its count: one bounds check for all of it.
    if (r.failed() || count > r.remaining() / (L.id_bytes + Size)) return false;
    for (uint64_t i = 0; i < count; ++i) {
        auto id = static_cast<uint16_t>(r.ReadUnchecked<L.id_bytes>());
        uint64_t value = r.ReadUnchecked<Size>();
        core::IoElement& e = rec.io.emplace_back();
        e.id = id;
        e.size = Size;
        e.value = value;
        named += detail::IsNamedId(id) ? 1 : 0;
    }
    return true;
}

// Parses one record into `rec` (fields, io, attributes). False when the bytes run out or, with
// `error` set, when a field is out of range.
template <IoLayout L>
bool ReadRecord(detail::Cursor& r, core::Record& rec, std::string& error) {
    // Timestamp 8, priority 1, GPS element 15, event IO ID, (Codec 16) generation type, N total:
    // one bounds check for the fixed part.
    constexpr size_t kHeader = 24 + L.id_bytes + (L.generation ? 1 : 0) + L.count_bytes;
    if (!r.Has(kHeader)) return false;
    // 1.2 Record: timestamp (ms since 1970 UTC), priority (0 low, 1 high, 2 panic).
    uint64_t timestamp_ms = r.ReadUnchecked<8>();
    auto priority = static_cast<uint8_t>(r.ReadUnchecked<1>());
    // 1.2 GPS element: longitude first, then latitude, both signed 1e-7 degrees; altitude m
    // (signed, as traccar and FK read it); angle degrees from north; satellites; speed km/h.
    auto lon = static_cast<int32_t>(r.ReadUnchecked<4>());
    auto lat = static_cast<int32_t>(r.ReadUnchecked<4>());
    auto altitude = static_cast<int16_t>(r.ReadUnchecked<2>());
    auto angle = static_cast<uint16_t>(r.ReadUnchecked<2>());
    auto satellites = static_cast<uint8_t>(r.ReadUnchecked<1>());
    auto speed = static_cast<uint16_t>(r.ReadUnchecked<2>());
    // 1.2 IO element header: event IO ID, (Codec 16) generation type, N total.
    auto event_io_id = static_cast<uint16_t>(r.ReadUnchecked<L.id_bytes>());
    int64_t generation = -1;
    if constexpr (L.generation) generation = static_cast<int64_t>(r.ReadUnchecked<1>());
    uint64_t total = r.ReadUnchecked<L.count_bytes>();
    if (timestamp_ms > kMaxTimestampMs) {
        error = "record timestamp " + std::to_string(timestamp_ms) + " ms is after year 9999";
        return false;
    }

    rec.device_time = core::TimePoint{core::Millis{static_cast<int64_t>(timestamp_ms)}};
    rec.lon = lon / 1e7;
    rec.lat = lat / 1e7;
    rec.altitude_m = altitude;
    rec.course_deg = angle;
    rec.satellites = satellites;
    rec.speed_kmh = speed;
    // The wiki says a record without a fix repeats the last fix with satellites 0 (1.2). Fewer than
    // 3 satellites cannot give a 2D fix, and (0, 0) is what a device that never had a fix sends.
    rec.valid = satellites >= 3 && !(lat == 0 && lon == 0);

    // N total is not trusted (traccar ignores it too): it only sizes the reservation, bounded by
    // the bytes left, since every element takes at least an ID and one value byte.
    size_t cap = r.remaining() / (L.id_bytes + 1);
    rec.io.reserve(static_cast<size_t>(std::min<uint64_t>(total, cap)));
    // All elements are read first and named after, so that the attributes are reserved exactly
    // (the per-element loop then stays a plain copy): one per named element at most, plus the
    // base ones (IoNamer).
    size_t named = 0;
    if (!ReadFixedGroup<L, 1>(r, rec, named) || !ReadFixedGroup<L, 2>(r, rec, named) ||
        !ReadFixedGroup<L, 4>(r, rec, named) || !ReadFixedGroup<L, 8>(r, rec, named)) {
        return false;
    }
    if constexpr (L.variable) {
        // 1.2 Codec 8 Extended: NX elements, each ID 2, length 2, then `length` bytes.
        uint64_t count = r.U16();
        for (uint64_t i = 0; i < count; ++i) {
            uint16_t id = r.U16();
            Bytes value = r.Take(r.U16());
            if (r.failed()) return false;
            core::IoElement& e = rec.io.emplace_back();
            e.id = id;
            e.bytes = AsString(value);
            named += detail::IsNamedId(id) ? 1 : 0;
        }
    }

    rec.attributes.reserve((L.generation ? 3 : 2) + named);
    detail::AppendAttribute(rec.attributes, "priority", int64_t{priority});
    detail::AppendAttribute(rec.attributes, "event_io_id", int64_t{event_io_id});
    if (generation >= 0) detail::AppendAttribute(rec.attributes, "generation_type", generation);
    if (named != 0) {
        detail::IoNamer namer(rec, event_io_id);
        for (const core::IoElement& e : rec.io) {
            if (detail::IsNamedId(e.id)) namer.Add(e);
        }
        namer.Finish();
    }
    return true;
}

template <IoLayout L>
Result<void> ReadRecords(detail::Cursor& r, unsigned count, std::string_view imei,
                         std::vector<core::Message>& out) {
    for (unsigned i = 0; i < count; ++i) {
        // Built in place: moving a Message costs more than decoding half its fields.
        core::Message& m = out.emplace_back();
        m.type = core::MessageType::kPosition;
        if (!imei.empty()) m.imei = imei;
        std::string error;
        if (!ReadRecord<L>(r, m.record, error)) {
            if (!error.empty()) return MakeError(std::move(error));
            return MakeError("record " + std::to_string(i + 1) + " of " + std::to_string(count) +
                             " is truncated");
        }
    }
    return {};
}

// Decodes "Codec ID, Number of Data 1, records, Number of Data 2" (1.2, 1.3), which must fill
// `data` exactly, appending one kPosition message per record. Returns the record count.
Result<unsigned> DecodeAvl(Bytes data, std::string_view imei, std::vector<core::Message>& out) {
    detail::Cursor r(data);
    uint8_t codec = r.U8();
    uint8_t count = r.U8();
    if (r.failed()) return MakeError("AVL data too short");
    // A garbage count cannot make us reserve more records than the bytes could hold.
    out.reserve(out.size() + std::min<size_t>(count, data.size() / kMinRecordLength));
    Result<void> read;
    switch (codec) {
        case kCodec8: read = ReadRecords<kLayout8>(r, count, imei, out); break;
        case kCodec8E: read = ReadRecords<kLayout8E>(r, count, imei, out); break;
        case kCodec16: read = ReadRecords<kLayout16>(r, count, imei, out); break;
        default: return MakeError("unknown AVL codec " + HexByte(codec));
    }
    if (!read) return read.error();
    uint8_t count2 = r.U8();
    if (r.failed()) return MakeError("AVL data ends before Number of Data 2");
    if (count2 != count) {
        return MakeError("Number of Data 1 (" + std::to_string(count) +
                         ") differs from Number of Data 2 (" + std::to_string(count2) + ")");
    }
    if (r.remaining() != 0) {
        return MakeError(std::to_string(r.remaining()) + " bytes after Number of Data 2");
    }
    return unsigned{count};
}

// ---- Command codecs (1.4) -----------------------------------------------------------------------

struct CommandFrame {
    uint8_t codec = 0;
    uint8_t type = 0;
    Bytes payload;
};

// Parses "Codec ID, Quantity 1, Type, Size 4, payload, Quantity 2" (1.4), which must fill `data`.
Result<CommandFrame> ParseCommandData(Bytes data) {
    Reader r(data);
    CommandFrame f;
    f.codec = r.U8();
    uint8_t quantity = r.U8();
    f.type = r.U8();
    f.payload = r.Take(r.U32());
    uint8_t quantity2 = r.U8();
    if (r.failed()) return MakeError("command frame truncated");
    if (quantity != quantity2) {
        return MakeError("command quantity 1 (" + std::to_string(quantity) +
                         ") differs from quantity 2 (" + std::to_string(quantity2) + ")");
    }
    if (r.remaining() != 0) {
        return MakeError(std::to_string(r.remaining()) + " bytes after quantity 2");
    }
    return f;
}

Result<core::Decoded> DecodeCommandResponse(Bytes data) {
    auto parsed = ParseCommandData(data);
    if (!parsed) return parsed.error();
    const CommandFrame& f = *parsed;
    core::Message m;
    m.type = core::MessageType::kCommandResponse;
    switch (f.codec) {
        case kCodec12:
            if (f.type == kTypeCommand) {
                return MakeError("Codec 12 command (type 0x05) goes to a device, not from one");
            }
            if (f.type == kTypeCamera) {
                return MakeError("Codec 12 camera data (type 0x0D) is not supported");
            }
            if (f.type != kTypeResponse) {
                return MakeError("unknown Codec 12 type " + HexByte(f.type));
            }
            m.text = ResponseText(f.payload);
            break;
        case kCodec13: {
            // Codec 13: 4-byte timestamp (s) then the text. The wiki shows type 0x06; traccar's
            // captured frames carry 0x05, so both are accepted.
            if (f.type != kTypeResponse && f.type != kTypeCommand) {
                return MakeError("unknown Codec 13 type " + HexByte(f.type));
            }
            if (f.payload.size() < 4) {
                return MakeError("Codec 13 payload shorter than its timestamp");
            }
            Reader r(f.payload);
            m.record.device_time = core::TimePoint{std::chrono::seconds{r.U32()}};
            m.text = ResponseText(f.payload.subspan(4));
            break;
        }
        case kCodec15: {
            // Codec 15: type 0x0B, timestamp 4 (s) + IMEI 8 + text.
            if (f.type != kTypeCodec15) {
                return MakeError("unknown Codec 15 type " + HexByte(f.type));
            }
            if (f.payload.size() < 12) {
                return MakeError("Codec 15 payload shorter than timestamp and IMEI");
            }
            Reader r(f.payload);
            m.record.device_time = core::TimePoint{std::chrono::seconds{r.U32()}};
            m.imei = ImeiFromBcd(f.payload.subspan(4, 8));
            m.text = ResponseText(f.payload.subspan(12));
            break;
        }
        default: return MakeError("Codec " + HexByte(f.codec) + " is not supported");
    }
    core::Decoded out;
    out.messages.push_back(std::move(m));
    return out;
}

// ---- Frames -------------------------------------------------------------------------------------

Result<core::Decoded> DecodeImeiFrame(Bytes frame) {
    Reader r(frame);
    size_t length = r.U16();
    if (length == 0 || length > kMaxImeiLength) {
        return MakeError("IMEI length " + std::to_string(length) + " is not plausible");
    }
    Bytes imei = r.Take(length);
    if (r.failed() || r.remaining() != 0) {
        return MakeError("IMEI frame of " + std::to_string(frame.size()) + " bytes declares " +
                         std::to_string(length) + " digits");
    }
    if (!std::all_of(imei.begin(), imei.end(), IsDigit)) return MakeError("IMEI is not all digits");
    core::Decoded out;
    core::Message m;
    m.type = core::MessageType::kLogin;
    m.imei = AsString(imei);
    out.messages.push_back(std::move(m));
    out.reply = {0x01};  // 1.1: accept
    return out;
}

Result<core::Decoded> DecodePacket(Bytes frame) {
    Reader r(frame);
    uint32_t preamble = r.U32();
    uint32_t length = r.U32();
    if (r.failed()) return MakeError("packet shorter than its 8-byte header");
    if (preamble != 0) return MakeError("packet preamble is not zero");
    if (frame.size() != kPacketOverhead + uint64_t{length}) {
        return MakeError(
            "data length field says " + std::to_string(length) + " bytes, frame has " +
            std::to_string(frame.size() < kPacketOverhead ? 0 : frame.size() - kPacketOverhead));
    }
    if (length < kMinDataLength) {
        return MakeError("data length " + std::to_string(length) + " is too short");
    }
    Bytes data = r.Take(length);
    // 1.2: CRC-16/IBM over Codec ID .. Number of Data 2, in a 4-byte field (upper 2 bytes zero).
    uint32_t crc_field = r.U32();
    uint16_t crc = detail::Crc16IbmFast(data);
    if (crc_field != crc) {
        return MakeError("CRC field " + std::to_string(crc_field) +
                         " differs from the computed CRC-16/IBM " + std::to_string(crc));
    }
    uint8_t codec = data[0];
    if (codec == kCodec8 || codec == kCodec8E || codec == kCodec16) {
        core::Decoded out;
        auto count = DecodeAvl(data, {}, out.messages);
        if (!count) return count.error();
        // 1.1 step 3: answer the number of records as a 4-byte big-endian integer.
        out.reply.reserve(4);
        core::PutU32(out.reply, *count);
        return out;
    }
    return DecodeCommandResponse(data);
}

// ---- Encoding -----------------------------------------------------------------------------------

int64_t IntAttribute(const core::Attributes& attrs, std::string_view name, int64_t fallback) {
    const core::AttrValue* v = core::FindAttribute(attrs, name);
    if (v == nullptr) return fallback;
    if (const auto* i = std::get_if<int64_t>(v)) return *i;
    if (const auto* d = std::get_if<double>(v)) return static_cast<int64_t>(*d);
    if (const auto* b = std::get_if<bool>(v)) return *b ? 1 : 0;
    return fallback;
}

template <typename T>
T Clamped(double v) {
    if (!std::isfinite(v)) return 0;
    double r = std::round(v);
    r = std::clamp(r, static_cast<double>(std::numeric_limits<T>::min()),
                   static_cast<double>(std::numeric_limits<T>::max()));
    return static_cast<T>(r);
}

void PutUInt(std::vector<uint8_t>& out, uint64_t v, size_t bytes) {
    for (size_t i = bytes; i-- > 0;) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void EncodeRecord(const IoLayout& lay, const core::Record& rec, std::vector<uint8_t>& out) {
    int64_t ms = rec.device_time.time_since_epoch().count();
    core::PutU64(out, ms < 0 ? 0 : static_cast<uint64_t>(ms));
    int64_t event_io_id = IntAttribute(rec.attributes, "event_io_id", 0);
    core::PutU8(out, static_cast<uint8_t>(IntAttribute(rec.attributes, "priority", 0)));
    core::PutU32(out, static_cast<uint32_t>(Clamped<int32_t>(rec.lon * 1e7)));
    core::PutU32(out, static_cast<uint32_t>(Clamped<int32_t>(rec.lat * 1e7)));
    core::PutU16(out, static_cast<uint16_t>(Clamped<int16_t>(rec.altitude_m)));
    core::PutU16(out, Clamped<uint16_t>(rec.course_deg));
    core::PutU8(out, Clamped<uint8_t>(rec.satellites));
    core::PutU16(out, Clamped<uint16_t>(rec.speed_kmh));
    PutUInt(out, static_cast<uint64_t>(event_io_id), lay.id_bytes);
    if (lay.generation) {
        // 1.2 generation types: 5 On change for an event record, 7 Periodical otherwise.
        int64_t fallback = event_io_id != 0 ? 5 : 7;
        core::PutU8(
            out, static_cast<uint8_t>(IntAttribute(rec.attributes, "generation_type", fallback)));
    }
    const uint64_t max_id = lay.id_bytes == 1 ? 0xFF : 0xFFFF;
    const uint64_t max_count = lay.count_bytes == 1 ? 0xFF : 0xFFFF;
    auto encodable = [&](const core::IoElement& e, uint8_t size) {
        if (e.id > max_id || e.size != size) return false;
        return size != 0 || e.bytes.size() <= 0xFFFF;
    };
    size_t total_at = out.size();
    PutUInt(out, 0, lay.count_bytes);  // N total, patched below
    uint64_t total = 0;
    static constexpr std::array<uint8_t, 5> kSizes{1, 2, 4, 8, 0};
    for (uint8_t size : kSizes) {
        if (size == 0 && !lay.variable) break;
        uint64_t count = 0;
        for (const auto& e : rec.io) count += encodable(e, size) ? 1 : 0;
        count = std::min(count, max_count);
        PutUInt(out, count, lay.count_bytes);
        uint64_t written = 0;
        for (const auto& e : rec.io) {
            if (written == count) break;
            if (!encodable(e, size)) continue;
            PutUInt(out, e.id, lay.id_bytes);
            if (size == 0) {
                core::PutU16(out, static_cast<uint16_t>(e.bytes.size()));
                out.insert(out.end(), e.bytes.begin(), e.bytes.end());
            } else {
                PutUInt(out, e.value, size);
            }
            ++written;
        }
        total += count;
    }
    total = std::min(total, max_count);
    for (size_t i = 0; i < lay.count_bytes; ++i) {
        out[total_at + i] = static_cast<uint8_t>(total >> (8 * (lay.count_bytes - 1 - i)));
    }
}

// Codec ID, NoD1, records, NoD2 (1.2); empty for a codec that carries no records.
std::vector<uint8_t> EncodeAvlData(Codec codec, std::span<const core::Record> records) {
    IoLayout lay{};
    auto id = static_cast<uint8_t>(codec);
    if (!LayoutFor(id, lay)) return {};
    size_t count = std::min<size_t>(records.size(), 0xFF);
    std::vector<uint8_t> out;
    out.reserve(2 + count * 64);
    core::PutU8(out, id);
    core::PutU8(out, static_cast<uint8_t>(count));
    for (size_t i = 0; i < count; ++i) EncodeRecord(lay, records[i], out);
    core::PutU8(out, static_cast<uint8_t>(count));
    return out;
}

// Preamble, data length, data, CRC field (1.2, 1.4).
std::vector<uint8_t> WrapPacket(const std::vector<uint8_t>& data) {
    std::vector<uint8_t> out;
    out.reserve(data.size() + kPacketOverhead);
    core::PutU32(out, 0);
    core::PutU32(out, static_cast<uint32_t>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
    core::PutU32(out, detail::Crc16IbmFast(data));
    return out;
}

std::vector<uint8_t> EncodeCodec12(uint8_t type, std::string_view text) {
    std::vector<uint8_t> data;
    data.reserve(text.size() + 8);
    core::PutU8(data, kCodec12);
    core::PutU8(data, 1);  // quantity 1
    core::PutU8(data, type);
    core::PutU32(data, static_cast<uint32_t>(text.size()));
    data.insert(data.end(), text.begin(), text.end());
    core::PutU8(data, 1);  // quantity 2
    return WrapPacket(data);
}

}  // namespace

core::FrameScan ScanTcp(core::Bytes buf, size_t max_frame) {
    using core::FrameScan;
    if (buf.empty()) return FrameScan::NeedMore();
    // 1.1 step 4: traccar skips one stray 0xFF before the IMEI frame.
    const size_t skip = buf[0] == 0xFF ? 1 : 0;
    Bytes b = buf.subspan(skip);
    if (b.empty()) return FrameScan::NeedMore();
    // Both frame kinds start with a zero byte: the IMEI length's high byte (lengths are < 256) or
    // the packet preamble.
    if (b[0] != 0) return FrameScan::Fail("not a Teltonika frame: first byte " + HexByte(b[0]));
    if (b.size() < 2) return FrameScan::NeedMore();

    if (b[1] != 0 || skip != 0) {
        // 1.1 step 1: IMEI handshake, 2-byte length then ASCII digits.
        size_t length = b[1];
        if (length == 0 || length > kMaxImeiLength) {
            return FrameScan::Fail("IMEI length " + std::to_string(length) + " is not plausible");
        }
        size_t have = std::min(b.size(), 2 + length);
        for (size_t i = 2; i < have; ++i) {
            if (!IsDigit(b[i])) {
                return FrameScan::Fail("IMEI byte " + HexByte(b[i]) + " is not a digit");
            }
        }
        if (b.size() < 2 + length) return FrameScan::NeedMore();
        return FrameScan::Frame(skip + 2 + length, skip);
    }

    // 1.2 AVL / 1.4 command packet: 4 zero bytes, data length 4, data, CRC field 4.
    for (size_t i = 2; i < std::min<size_t>(b.size(), 4); ++i) {
        if (b[i] != 0) return FrameScan::Fail("packet preamble is not zero");
    }
    if (b.size() < 8) return FrameScan::NeedMore();
    uint64_t length = uint64_t{b[4]} << 24 | uint64_t{b[5]} << 16 | uint64_t{b[6]} << 8 | b[7];
    if (length < kMinDataLength) {
        return FrameScan::Fail("data length " + std::to_string(length) + " is too short");
    }
    uint64_t total = kPacketOverhead + length;
    if (total > max_frame) {
        return FrameScan::Fail("frame of " + std::to_string(total) +
                               " bytes exceeds the limit of " + std::to_string(max_frame));
    }
    if (b.size() > 8 && !IsKnownCodec(b[8])) {
        return FrameScan::Fail("unknown codec " + HexByte(b[8]));
    }
    if (b.size() < total) return FrameScan::NeedMore();
    return FrameScan::Frame(static_cast<size_t>(total));
}

Result<core::Decoded> DecodeTcp(core::Bytes frame) {
    if (frame.size() < 2) {
        return MakeError("frame of " + std::to_string(frame.size()) + " bytes is too short");
    }
    if (frame[0] != 0 || frame[1] != 0) return DecodeImeiFrame(frame);
    return DecodePacket(frame);
}

Result<core::Decoded> DecodeUdp(core::Bytes datagram) {
    // 1.3: length 2, packet ID 2, unused byte 1, AVL packet ID 1, IMEI length 2, IMEI, AVL data.
    Reader r(datagram);
    uint16_t length = r.U16();
    uint16_t packet_id = r.U16();
    r.U8();  // "not usable byte"
    uint8_t avl_packet_id = r.U8();
    uint16_t imei_length = r.U16();
    Bytes imei = r.Take(imei_length);
    if (r.failed()) return MakeError("UDP datagram truncated before its AVL data");
    if (datagram.size() != size_t{length} + 2) {
        return MakeError("UDP length field says " + std::to_string(length) +
                         " bytes, datagram has " + std::to_string(datagram.size() - 2));
    }
    if (imei_length == 0 || imei_length > kMaxImeiLength ||
        !std::all_of(imei.begin(), imei.end(), IsDigit)) {
        return MakeError("UDP datagram IMEI is not 1 to 20 digits");
    }
    core::Decoded out;
    auto count = DecodeAvl(datagram.subspan(r.position()), AsString(imei), out.messages);
    if (!count) return count.error();
    // 1.3 server ACK: 0005, packet ID, 01, AVL packet ID, accepted record count.
    out.reply.reserve(7);
    core::PutU16(out.reply, 0x0005);
    core::PutU16(out.reply, packet_id);
    core::PutU8(out.reply, 0x01);
    core::PutU8(out.reply, avl_packet_id);
    core::PutU8(out.reply, static_cast<uint8_t>(*count));
    return out;
}

Result<std::string> DecodeCommand(core::Bytes frame) {
    Reader r(frame);
    uint32_t preamble = r.U32();
    uint32_t length = r.U32();
    if (r.failed() || preamble != 0 || frame.size() != kPacketOverhead + uint64_t{length} ||
        length < kMinDataLength) {
        return MakeError("not a complete Codec 12 packet");
    }
    Bytes data = r.Take(length);
    if (r.U32() != detail::Crc16IbmFast(data)) return MakeError("command CRC mismatch");
    auto parsed = ParseCommandData(data);
    if (!parsed) return parsed.error();
    if (parsed->codec != kCodec12 || parsed->type != kTypeCommand) {
        return MakeError("not a Codec 12 command (type 0x05)");
    }
    return AsString(parsed->payload);
}

std::vector<uint8_t> EncodeImei(std::string_view imei) {
    std::vector<uint8_t> out;
    out.reserve(2 + imei.size());
    core::PutU16(out, static_cast<uint16_t>(imei.size()));
    out.insert(out.end(), imei.begin(), imei.end());
    return out;
}

std::vector<uint8_t> EncodeAvlTcp(Codec codec, std::span<const core::Record> records) {
    std::vector<uint8_t> data = EncodeAvlData(codec, records);
    if (data.empty()) return {};
    return WrapPacket(data);
}

std::vector<uint8_t> EncodeAvlUdp(Codec codec, std::string_view imei, uint16_t packet_id,
                                  uint8_t avl_packet_id, std::span<const core::Record> records) {
    std::vector<uint8_t> data = EncodeAvlData(codec, records);
    if (data.empty()) return {};
    std::vector<uint8_t> out;
    size_t body = 2 + 1 + 1 + 2 + imei.size() + data.size();
    out.reserve(2 + body);
    core::PutU16(out, static_cast<uint16_t>(body));
    core::PutU16(out, packet_id);
    core::PutU8(out, 0x01);
    core::PutU8(out, avl_packet_id);
    core::PutU16(out, static_cast<uint16_t>(imei.size()));
    out.insert(out.end(), imei.begin(), imei.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

std::vector<uint8_t> EncodeCommand(std::string_view text) {
    return EncodeCodec12(kTypeCommand, text);
}

std::vector<uint8_t> EncodeCommandResponse(std::string_view text) {
    return EncodeCodec12(kTypeResponse, text);
}

}  // namespace fleet::protocol::teltonika
