// The per-device processing engine: positions in device-time order in, trips, stops, events,
// geofence visits and running totals out. Pure: no I/O, no clock, no database — the runner
// (runner.hpp) loads the context and state, feeds positions, and writes what comes out. Because
// it is pure and deterministic, replaying the same positions from the same checkpoint gives the
// same output, which is how late records recompute a window (docs/pipeline.md).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "pipeline/state.hpp"

namespace fleet::pipeline {

using core::TimePoint;

// The tenant's processing settings (tenant_settings.settings, a JSON object; a missing key keeps
// the default written here). Documented in docs/pipeline.md.
struct Settings {
    double min_trip_distance_m = 300;       // shorter movements are not trips
    double min_trip_duration_s = 60;
    double min_stop_duration_s = 180;       // without ignition: stopped this long ends a trip
    double moving_speed_kmh = 5;            // at or above: moving (when the device sends no motion flag)
    double idle_event_s = 300;              // idling (ignition on, not moving) longer raises "idling"
    double default_speed_limit_kmh = 130;   // when neither the vehicle nor a geofence sets one
    double overspeed_min_duration_s = 10;   // over the limit this long raises "overspeed"
    double max_speed_kmh = 300;             // a jump implying more is a bad fix, filtered
    double harsh_acceleration_mps2 = 3.0;   // computed from speed changes when the device reports none
    double harsh_braking_mps2 = 3.5;
    double gps_lost_s = 600;                // no valid fix this long while reporting: "gps_lost"
    double low_battery_v = 11.8;            // external (vehicle) voltage below: "low_battery"
    double refuel_min_l = 5;                // smoothed level rise at least this much: "refuel"
    double fuel_drop_min_l = 5;             // smoothed level fall while stopped: "fuel_drop"
    double tank_l = 0;                      // to turn fuel_level_pct into litres (0: unknown)
    // Eco score = 100 - w_harsh * harsh per 100 km - w_speed * % of driving time over the limit
    //                 - w_idle * % of engine time idling, clamped to 0..100.
    double eco_weight_harsh = 5;
    double eco_weight_speeding = 1;
    double eco_weight_idle = 0.5;
    double offline_after_s = 3600;          // device silent this long (server time): "device_offline"
};
// Reads settings from a JSON object; unknown keys, wrong types or values out of range are an error
// (the API validates with this before saving).
Result<Settings> ParseSettings(std::string_view json);
std::string SettingsJson(const Settings& s);

struct Geofence {
    int64_t id = 0;
    bool circle = false;
    double center_lat = 0, center_lon = 0, radius_m = 0;        // circle
    std::vector<std::pair<double, double>> ring;                 // polygon: (lat, lon), outer ring
    std::optional<double> speed_limit_kmh;
};

// A tenant's geofences, shared (immutable) by the contexts of all its devices: one copy per tenant
// however many devices the runner keeps a context for, and copying a Context does not copy them.
class GeofenceList {
public:
    GeofenceList() = default;
    GeofenceList(std::initializer_list<Geofence> list)
        : list_(std::make_shared<const std::vector<Geofence>>(list)) {}
    explicit GeofenceList(std::vector<Geofence> list)
        : list_(std::make_shared<const std::vector<Geofence>>(std::move(list))) {}
    std::vector<Geofence>::const_iterator begin() const { return all().begin(); }
    std::vector<Geofence>::const_iterator end() const { return all().end(); }
    size_t size() const { return all().size(); }
    bool empty() const { return all().empty(); }
    const Geofence& operator[](size_t i) const { return all()[i]; }
    void clear() { list_.reset(); }
    // True when both lists are the same shared copy.
    bool SharedWith(const GeofenceList& other) const { return list_ && list_ == other.list_; }

private:
    const std::vector<Geofence>& all() const {
        static const std::vector<Geofence> kNone;
        return list_ ? *list_ : kNone;
    }
    std::shared_ptr<const std::vector<Geofence>> list_;
};

// A period during which a driver was assigned to the vehicle by a manager.
struct Assignment {
    int64_t driver_id = 0;
    TimePoint from{};
    std::optional<TimePoint> to;
};

// What the engine needs to know about the device's world. The runner builds it per device (and
// rebuilds it when the tenant's configuration changes).
struct Context {
    int64_t device_id = 0;
    std::optional<int64_t> tenant_id;
    std::optional<int64_t> vehicle_id;   // installation at the time of processing
    Settings settings;
    std::optional<double> vehicle_speed_limit_kmh;
    GeofenceList geofences;                               // the tenant's
    std::vector<std::pair<std::string, int64_t>> badges;  // badge id → driver id, sorted by badge
    std::vector<Assignment> assignments;                  // of the vehicle, by from
};

// One position as the engine sees it (the runner builds it from a stored store::PositionRow).
struct Point {
    TimePoint time{};
    double lat = 0, lon = 0, speed_kmh = 0, course_deg = 0;
    bool valid = false;
    std::optional<bool> ignition;
    std::optional<bool> motion;
    std::optional<double> odometer_m;       // the device's total odometer
    std::optional<double> fuel_used_l;      // CAN total fuel used
    std::optional<double> fuel_level_l;
    std::optional<double> fuel_level_pct;
    std::optional<double> external_voltage_v;
    std::optional<std::string> driver_badge;
    std::optional<std::string> alarm;       // harsh_*, crash, tow, power_cut, gsm_jamming, sos, ...
    std::optional<std::string> dtc_codes;   // comma-separated
};

struct Trip {
    TimePoint start_time{}, end_time{};
    double start_lat = 0, start_lon = 0, end_lat = 0, end_lon = 0;
    double start_odometer_m = 0, end_odometer_m = 0, distance_m = 0;
    double max_speed_kmh = 0, avg_speed_kmh = 0;
    double idle_s = 0, overspeed_s = 0;
    int harsh_acceleration = 0, harsh_braking = 0, harsh_cornering = 0;
    std::optional<double> fuel_used_l;
    std::optional<double> eco_score;
    std::optional<int64_t> driver_id;
};

struct Stop {
    TimePoint start_time{}, end_time{};
    double lat = 0, lon = 0, odometer_m = 0, engine_on_s = 0;
    std::optional<int64_t> driver_id;
};

struct Visit {
    int64_t geofence_id = 0;
    TimePoint enter_time{};
    std::optional<TimePoint> exit_time;   // nullopt: still inside (written again when it exits)
    std::optional<int64_t> driver_id;
};

// Event types (events.type): ignition_on, ignition_off, trip_start, trip_end, idling, overspeed,
// geofence_enter, geofence_exit, harsh_acceleration, harsh_braking, harsh_cornering, towing,
// power_cut, tampering, gsm_jamming, gps_lost, low_battery, crash, sos, dtc, driver_changed,
// unknown_badge, refuel, fuel_drop (and, raised outside the engine: device_offline,
// device_online, maintenance_due, maintenance_overdue).
struct Event {
    std::string type;
    TimePoint time{};
    double lat = 0, lon = 0;
    std::optional<int64_t> driver_id;
    std::optional<int64_t> geofence_id;
    std::string detail_json = "{}";   // type-specific values (speed, limit, litres, badge, codes)
    std::string discriminator;         // what tells apart two events of a type at one time
    // Unique per device and stable across replays: "type:time_ms" or "type:time_ms:discriminator"
    // (the geofence id, the badge, the new DTC codes).
    std::string key() const;
};

// The device's processing state (state.hpp), serialised into checkpoints. Everything the engine
// remembers between points lives there (and nothing else does), so a checkpoint resumes exactly. The
// runner reads only last_time and in_trip; the other members are the engine's own.
// StateJson writes a JSON object that ParseState reads back bit for bit (non-integral numbers are
// strings in their shortest exact form); ParseState gives an error for text that is not a JSON
// object or a member of the wrong type, and keeps the default of a missing member.
std::string StateJson(const State& s);
Result<State> ParseState(std::string_view json);

// The earliest time that anything output after this state can carry: trips, stops, visits and
// events are often dated before the point that completes them (a trip at its start, an overspeed
// episode at its beginning, a refuel at the low level before it). It is the earliest of the open
// trip's start, the open stop's start, a pending stop candidate, the idling and overspeed episodes,
// the fuel detector's low and high marks and the open visits' entries; last_time when nothing is
// pending; nullopt for a fresh state. A replay from a checkpoint holding this state raises again or
// no longer raises only what is dated at or after it (what a late-position recompute must look at).
std::optional<TimePoint> EarliestPending(const State& s);

// The events that a replay from a checkpoint holding this state may raise dated at or before
// s.last_time (so before the checkpoint), identified by type, time and discriminator (their key):
// a trip not confirmed yet (trip_start), a trip that may end where it stopped or was last heard
// (trip_end), idling and overspeed episodes in progress, a refuel or fuel drop being measured. None
// of them has been raised yet. When late positions recompute the window after a checkpoint, these
// are the events before it that the replay decides on: the runner deletes those it does not raise
// again (an episode the late positions cancel).
std::vector<Event> PendingEvents(const State& s);

struct Output {
    std::vector<Trip> trips;              // ended trips
    std::vector<Stop> stops;              // ended stops
    std::vector<Visit> visits;            // visits entered or exited
    std::vector<Event> events;
    double odometer_m = 0;                // running totals after the last point
    double engine_s = 0;
};

// Great-circle distance in metres between two (lat, lon) in degrees (haversine, mean Earth radius).
double HaversineM(double lat1, double lon1, double lat2, double lon2);

// The eco score (0..100) of a trip, a driver or a vehicle over a period (docs/pipeline.md):
// 100 - eco_weight_harsh * harsh_per_100km - eco_weight_speeding * pct_speeding
//     - eco_weight_idle * pct_idle, clamped to 0..100. pct_speeding: % of driving time over the
// limit; pct_idle: % of engine time spent idling.
double EcoScore(double harsh_per_100km, double pct_speeding, double pct_idle, const Settings& s);

// Processes one point: appends to `out` what it completes (trips, stops, visits, events; rules in
// docs/pipeline.md) and sets out.odometer_m / out.engine_s to the totals after it. Points come in
// device-time order (the runner guarantees it); one at or before state.last_time (a duplicate)
// changes nothing. Deterministic: the same state, context and point always give the same result.
void Process(const Context& ctx, State& state, const Point& p, Output& out);

}  // namespace fleet::pipeline
