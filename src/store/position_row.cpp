#include <fmt/format.h>

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

// FNV-1a, 64 bits: a fast content hash; collisions only matter between two records of one device
// with the same millisecond timestamp.
class Fnv {
public:
    void Add(const void* data, size_t n) {
        const auto* p = static_cast<const uint8_t*>(data);
        for (size_t i = 0; i < n; ++i) h_ = (h_ ^ p[i]) * 0x100000001b3ULL;
    }
    template <typename T>
    void AddValue(const T& v) {
        Add(&v, sizeof v);
    }
    uint64_t value() const { return h_; }

private:
    uint64_t h_ = 0xcbf29ce484222325ULL;
};

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

}  // namespace

PositionRow MakePositionRow(int64_t device_id, const core::Record& r) {
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
    // The fingerprint covers what the device sent (not server_time, which differs on a resend).
    Fnv h;
    for (double v : {r.lat, r.lon, r.altitude_m, r.speed_kmh, r.course_deg}) h.AddValue(v);
    h.AddValue(r.satellites);
    h.Add(p.io_json.data(), p.io_json.size());
    h.Add(p.attributes_json.data(), p.attributes_json.size());
    int64_t fp;
    uint64_t v = h.value();
    std::memcpy(&fp, &v, sizeof fp);
    p.fingerprint = fp;
    p.packed = PackJson(p.io_json, p.attributes_json);
    return p;
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
