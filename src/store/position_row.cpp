#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <variant>

#include "core/bytes.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "store/packed_json.hpp"
#include "store/store.hpp"

namespace fleet::store {
namespace {

// The fingerprint: FNV-1a, 64 bits, over what the device sent (not server_time, which differs on a
// resend): a fast content hash; collisions only matter between two records of one device with the
// same millisecond timestamp. Part of the stored data (a resent record must find its row): never
// change what it covers or how.
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t Fnv1a(const uint8_t* p, size_t n, uint64_t h) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
    return h;
}

// The bytes the fingerprint covers, in order: lat, lon, altitude, speed and course as the machine's
// doubles, satellites as its int, then the IO and attribute JSON.
void HashedBytes(std::string& out, const PositionRow& p) {
    out.clear();
    for (double v : {p.lat, p.lon, p.altitude_m, p.speed_kmh, p.course_deg}) {
        out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    out.append(reinterpret_cast<const char*>(&p.satellites), sizeof p.satellites);
    out += p.io_json;
    out += p.attributes_json;
}

int64_t AsFingerprint(uint64_t h) {
    int64_t fp;
    std::memcpy(&fp, &h, sizeof fp);
    return fp;
}

// FNV-1a of four texts side by side. Each byte of FNV-1a waits for the multiplication of the one
// before (about 4 cycles a byte, some 500 ns a record); four independent chains keep the core's
// multipliers busy and take about the time of one (measured 490 against 140 ns a record).
void Fnv1aFour(const std::string_view (&texts)[4], uint64_t (&out)[4]) {
    const auto* a = reinterpret_cast<const uint8_t*>(texts[0].data());
    const auto* b = reinterpret_cast<const uint8_t*>(texts[1].data());
    const auto* c = reinterpret_cast<const uint8_t*>(texts[2].data());
    const auto* d = reinterpret_cast<const uint8_t*>(texts[3].data());
    const size_t common = std::min({texts[0].size(), texts[1].size(), texts[2].size(), texts[3].size()});
    uint64_t ha = kFnvOffset, hb = kFnvOffset, hc = kFnvOffset, hd = kFnvOffset;
    for (size_t i = 0; i < common; ++i) {
        ha = (ha ^ a[i]) * kFnvPrime;
        hb = (hb ^ b[i]) * kFnvPrime;
        hc = (hc ^ c[i]) * kFnvPrime;
        hd = (hd ^ d[i]) * kFnvPrime;
    }
    out[0] = Fnv1a(a + common, texts[0].size() - common, ha);
    out[1] = Fnv1a(b + common, texts[1].size() - common, hb);
    out[2] = Fnv1a(c + common, texts[2].size() - common, hc);
    out[3] = Fnv1a(d + common, texts[3].size() - common, hd);
}

// The stored JSON must be exactly core::IoToJson and core::AttributesToJson (the fingerprint hashes
// it: a record resent after an upgrade must hash the same). These build the same text on the
// ingestion path without fmt's format-string machinery for the common values: integers are written
// by fmt::format_int (what "{}" writes for them) and everything else by the core functions.
// position_row_test.cpp checks the equality.
void AppendInt(std::string& out, auto v) {
    fmt::format_int digits(v);
    out.append(digits.data(), digits.size());
}

std::string IoJson(const std::vector<core::IoElement>& io) {
    std::string out;
    out.reserve(16 + io.size() * 12);
    out.push_back('{');
    for (const auto& e : io) {
        if (out.size() > 1) out.push_back(',');
        out.push_back('"');
        AppendInt(out, e.id);
        out += "\":";
        if (e.size == 0) {
            core::AppendJsonString(out, core::ToHex(core::Bytes(reinterpret_cast<const uint8_t*>(e.bytes.data()),
                                                                 e.bytes.size())));
        } else {
            AppendInt(out, e.value);
        }
    }
    out.push_back('}');
    return out;
}

std::string AttributesJson(const core::Attributes& attrs) {
    std::string out;
    out.reserve(16 + attrs.size() * 24);
    out.push_back('{');
    for (const auto& a : attrs) {
        if (out.size() > 1) out.push_back(',');
        core::AppendJsonString(out, a.name);
        out.push_back(':');
        if (const auto* i = std::get_if<int64_t>(&a.value)) {
            AppendInt(out, *i);
        } else if (const auto* b = std::get_if<bool>(&a.value)) {
            out += *b ? "true" : "false";
        } else {
            core::AppendJsonValue(out, a.value);
        }
    }
    out.push_back('}');
    return out;
}

// The row without its fingerprint and packed texts.
PositionRow RowFields(int64_t device_id, const core::Record& r) {
    PositionRow p;
    p.device_id = device_id;
    p.device_time = r.device_time;
    p.server_time = r.server_time;
    p.lat = r.lat;
    p.lon = r.lon;
    p.altitude_m = r.altitude_m;
    p.speed_kmh = r.speed_kmh;
    p.course_deg = r.course_deg;
    p.satellites = r.satellites;
    p.hdop = r.hdop;
    p.valid = r.valid;
    p.io_json = IoJson(r.io);
    p.attributes_json = AttributesJson(r.attributes);
    return p;
}

}  // namespace

PositionRow MakePositionRow(int64_t device_id, const core::Record& r) {
    std::vector<PositionRow> rows;
    MakePositionRows(device_id, std::span<const core::Record>(&r, 1), rows);
    return std::move(rows.front());
}

void MakePositionRows(int64_t device_id, std::span<const core::Record> records, std::vector<PositionRow>& out) {
    const size_t first = out.size();
    out.reserve(first + records.size());
    for (const auto& r : records) out.push_back(RowFields(device_id, r));
    std::span<PositionRow> rows(out.data() + first, records.size());
    thread_local std::string hashed[4];
    // Four rows at a time, the last one to three too: the free lanes hash the first row's bytes again
    // (a packet of 10 left two rows to the one-chain loop, which took as long as the eight before).
    for (size_t i = 0; i < rows.size(); i += 4) {
        const size_t n = std::min<size_t>(4, rows.size() - i);
        for (size_t k = 0; k < n; ++k) HashedBytes(hashed[k], rows[i + k]);
        std::string_view texts[4];
        for (size_t k = 0; k < 4; ++k) texts[k] = hashed[k < n ? k : 0];
        uint64_t h[4];
        Fnv1aFour(texts, h);
        for (size_t k = 0; k < n; ++k) rows[i + k].fingerprint = AsFingerprint(h[k]);
    }
    for (auto& p : rows) p.packed = PackJson(p.io_json, p.attributes_json);
}

void AppendFixJson(std::string& out, const PositionRow& p) {
    out += "\"time\":\"";
    out += core::FormatIso(p.device_time);
    out += "\",\"server_time\":\"";
    out += core::FormatIso(p.server_time);
    out += "\",\"lat\":";
    core::AppendJsonNumber(out, p.lat);
    out += ",\"lon\":";
    core::AppendJsonNumber(out, p.lon);
    out += ",\"altitude\":";
    core::AppendJsonNumber(out, p.altitude_m);
    out += ",\"speed_kmh\":";
    core::AppendJsonNumber(out, p.speed_kmh);
    out += ",\"course\":";
    core::AppendJsonNumber(out, p.course_deg);
    out += ",\"satellites\":";
    AppendInt(out, p.satellites);
}

}  // namespace fleet::store
