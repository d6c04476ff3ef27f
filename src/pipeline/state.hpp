// The engine's per-device memory (engine.hpp): everything it remembers between two points, so that
// a checkpoint (StateJson) resumes exactly. Plain data; the engine (engine.cpp) owns its meaning,
// engine_json.cpp its serialisation. Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace fleet::pipeline {

// A place at a moment, with the running distance there.
struct Mark {
    core::TimePoint time{};
    double lat = 0, lon = 0, odometer_m = 0;
};

// The trip being driven (open from its start until it ends; dropped if it stays too short).
struct TripState {
    Mark start;
    bool confirmed = false;  // long enough: trip_start raised, the stop before it written
    double max_speed_kmh = 0, idle_s = 0, overspeed_s = 0, engine_s = 0;
    int harsh_acceleration = 0, harsh_braking = 0, harsh_cornering = 0;
    std::optional<double> start_fuel_used_l;   // CAN counter at the start
    std::optional<double> start_fuel_level_l;  // smoothed level at the start
    double pending_idle_s = 0;  // motion mode: stationary time not yet known to be idle
    double refuelled_l = 0;     // refuels during the trip (for fuel used from levels)
    std::optional<int64_t> driver_id;
    double stop_engine_s_at_start = 0;  // the stop's engine time when this trip started
};

// The stop in progress (from the last trip's end, or the first point, until the next trip starts).
struct StopState {
    bool open = false;
    Mark at;
    double engine_on_s = 0;
    std::optional<int64_t> driver_id;
};

// A geofence the device is inside.
struct OpenVisit {
    int64_t geofence_id = 0;
    core::TimePoint enter_time{};
    std::optional<int64_t> driver_id;
};

// An episode over the speed limit.
struct OverspeedState {
    core::TimePoint since{};
    double lat = 0, lon = 0;
    double max_speed_kmh = 0, limit_kmh = 0;
    std::optional<int64_t> geofence_id;  // the geofence whose limit applied
};

// Fuel level smoothing and refuel / drop detection (litres).
struct FuelState {
    std::vector<double> window;        // the last raw levels, oldest first (kFuelWindow at most)
    std::optional<double> smoothed_l;  // median of the window
    Mark low;                          // where the lowest smoothed level since the last event was
    double low_l = 0;
    Mark high;  // where the highest smoothed level since stopping was
    double high_l = 0;
    bool has_low = false, has_high = false;
    int episode = 0;        // 0 none, 1 rising (refuel), -1 falling (drop)
    double extreme_l = 0;   // peak of a rise, trough of a fall
    int since_extreme = 0;  // smoothed readings since the extreme last moved
};

struct State {
    std::optional<core::TimePoint> last_time;  // the last point processed (filtered or not)
    bool in_trip = false;                      // a checkpoint is taken when no trip is open
    // ---- the engine's members (the runner reads only the two above) ----
    std::optional<Mark> fix;  // the last accepted fix (odometer_m: the total there)
    double fix_speed_kmh = 0;
    int rejected_jumps = 0;  // consecutive fixes rejected as jumps from `fix`
    std::optional<core::TimePoint> last_valid_time;  // last valid fix (gps_lost)
    std::optional<core::TimePoint> reporting_since;  // first point after a silence (gps_lost)
    bool gps_lost = false;
    bool prev_moving = false;        // the previous point was moving
    bool ignition_reported = false;  // trips by ignition once the device has reported it
    std::optional<bool> ignition;
    std::optional<double> device_odometer_m;  // the last odometer the device sent
    double odometer_m = 0, engine_s = 0;      // running totals
    bool in_stop_candidate = false;           // motion mode: stationary since `stationary`
    Mark stationary;
    TripState trip;
    StopState stop;
    // Episodes and memories for events.
    std::optional<Mark> idle_since;  // ignition on, not moving, since
    bool idle_raised = false;
    std::optional<OverspeedState> overspeed;
    std::vector<OpenVisit> visits;  // by geofence id
    bool accel_episode = false, brake_episode = false;
    bool device_reports_harsh = false;
    bool towing_raised = false;
    int towing_fixes = 0;                 // consecutive fixes that look towed
    std::optional<Mark> ignition_off_at;  // where the ignition went off (towing distance)
    bool low_battery = false;
    std::vector<std::string> dtc_codes;  // the active codes, sorted
    std::optional<std::string> badge;    // the badge read in this driving session
    std::optional<int64_t> badge_driver_id;
    std::optional<int64_t> driver_id;  // the driver as last resolved
    std::optional<int64_t> last_known_driver_id;
    FuelState fuel;
    std::optional<double> fuel_used_l;  // the last CAN fuel-used counter
};

}  // namespace fleet::pipeline
