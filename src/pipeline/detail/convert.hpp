// Between stored rows and the engine's values: a stored position → an engine Point, a device's
// stored world → an engine Context, and the engine's Output → the rows DerivedStore writes.
// Pure functions (no I/O); thread-safe. Private to the runner.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "pipeline/engine.hpp"
#include "store/derived.hpp"
#include "store/store.hpp"

namespace fleet::pipeline::detail {

// The engine's view of a stored position: the fix, and from its attributes (as the decoders name
// them: ignition, motion, odometer_m, fuel_used_l, fuel_level_l, fuel_level_pct,
// external_voltage_v, driver_id — the badge —, alarm, dtc_codes). An attribute of the wrong type
// is ignored.
Point ToPoint(const store::PositionRow& row);
// The same from the fix's fields and the attributes' JSON text.
Point ToPoint(core::TimePoint time, double lat, double lon, double speed_kmh, double course_deg, bool valid,
              std::string_view attributes_json);

// The engine's context for a device from its stored world. Settings that do not parse (they are
// validated before they are saved, so only a hand-edited database has them) give the defaults, and
// a geofence whose geometry is not a GeoJSON Point (circle) or Polygon is left out: each is noted
// in `problems` (processing goes on rather than stopping the device).
//
// With a cache, the tenant's geofences are parsed once and shared by the contexts of its devices
// for as long as the stored rows stay the same (see GeofenceCache).
class GeofenceCache;
Context ToContext(int64_t device_id, const store::DeviceWorld& world, std::vector<std::string>& problems,
                  GeofenceCache* cache = nullptr);

// The parsed geofences of each tenant, with the stored rows they were parsed from: a context built
// from the same rows shares them (one copy per tenant, not per device); changed rows replace them.
// Bounded by the number of tenants. Not thread-safe: one per worker.
class GeofenceCache {
public:
    GeofenceList Get(int64_t tenant_id, const std::vector<store::StoredGeofence>& rows,
                     std::vector<std::string>& problems);
    size_t tenants() const { return by_tenant_.size(); }

private:
    struct Entry {
        std::string rows;  // the stored rows, serialised, that `list` was parsed from
        GeofenceList list;
    };
    std::unordered_map<int64_t, Entry> by_tenant_;
};

// The key an event is stored under: unique across devices.
std::string StoredEventKey(int64_t device_id, const Event& e);

// Appends the engine's output to a chunk (trips, stops, visits, events and the running totals).
void AppendOutput(int64_t device_id, const Output& out, store::DerivedChunk& chunk);

}  // namespace fleet::pipeline::detail
