#include <cstring>

#include "core/json.hpp"
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
    p.io_json = core::IoToJson(r.io);
    p.attributes_json = core::AttributesToJson(r.attributes);
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
    return p;
}

}  // namespace fleet::store
