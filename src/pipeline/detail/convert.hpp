// Between stored rows and the engine's values: a stored position → an engine Point, a device's
// stored world → an engine Context, and the engine's Output → the rows DerivedStore writes.
// Pure functions (no I/O); thread-safe. Private to the runner.
#pragma once

#include <string>

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

// The engine's context for a device from its stored world. Settings that do not parse (they are
// validated before they are saved, so only a hand-edited database has them) give the defaults, and
// a geofence whose geometry is not a GeoJSON Point (circle) or Polygon is left out: each is noted
// in `problems` (processing goes on rather than stopping the device).
Context ToContext(int64_t device_id, const store::DeviceWorld& world, std::vector<std::string>& problems);

// The key an event is stored under: unique across devices.
std::string StoredEventKey(int64_t device_id, const Event& e);

// Appends the engine's output to a chunk (trips, stops, visits, events and the running totals).
void AppendOutput(int64_t device_id, const Output& out, store::DerivedChunk& chunk);

}  // namespace fleet::pipeline::detail
