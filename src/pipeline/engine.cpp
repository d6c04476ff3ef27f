// The per-device processing engine (engine.hpp): filters, distance and engine time, trips and
// stops, and the events derived from them. Pure and deterministic; docs/pipeline.md explains
// every rule implemented here.
#include "pipeline/engine.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <limits>
#include <numbers>

#include <fmt/format.h>

#include "core/json.hpp"

namespace fleet::pipeline {
namespace {

constexpr double kEarthRadiusM = 6371008.8;
// After this many consecutive fixes rejected as jumps, the next one is taken as the new reference
// (the reference itself was the bad fix); no distance is counted for that jump.
constexpr int kMaxRejectedJumps = 5;
// In motion mode, a trip starts at the previous point (where the vehicle was last seen stopped)
// when it is at most this old, else at the first moving point.
constexpr double kStartLookbackS = 120;
// Speed changes are turned into harsh acceleration/braking only between fixes this close in time.
constexpr double kHarshMaxGapS = 5;
// Geofence hysteresis: entering needs the fix this far inside the edge, leaving this far outside
// (at most a fifth of the geofence's radius, so that small ones can still be entered).
constexpr double kGeofenceHysteresisM = 15;
// Moving with the ignition off is towing once this far from where the ignition went off.
constexpr double kTowingMinDistanceM = 100;
constexpr int kTowingFixes = 2;
// low_battery is raised again only after the voltage rose this far above the threshold; below
// kBatteryDisconnectedV the device reports no external supply (that is a power cut, not a low
// battery).
constexpr double kBatteryHysteresisV = 0.5;
constexpr double kBatteryDisconnectedV = 1;
// Fuel level smoothing: the median of the last kFuelWindow readings; a rise or fall is over when
// the smoothed level has not gone further for kFuelWindow readings.
constexpr size_t kFuelWindow = 5;
constexpr size_t kMaxBadgeLength = 64;
// At most this many trouble codes are remembered, each at most kMaxCodeLength characters.
constexpr size_t kMaxCodes = 64;
constexpr size_t kMaxCodeLength = 32;

double Seconds(core::TimePoint a, core::TimePoint b) {
    return std::chrono::duration<double>(b - a).count();
}

struct Step {
    const Context& ctx;
    const Settings& s;
    State& st;
    const Point& p;
    Output& out;
    double dt = 0;      // seconds since the previous point (0 for the first)
    bool gap = false;   // silent longer than offline_after_s before this point
    bool good = false;  // the fix is usable (valid, not (0,0), no jump)
    bool moving = false;
    Mark here;  // this point's place (the last good fix when this one is not) and total
    std::optional<Mark> prev_fix;   // the accepted fix before this point
    std::optional<Mark> prev_here;  // the previous point's place and total
    double prev_fix_speed_kmh = 0;
    std::optional<bool> prev_ignition;

    void Run();
    void Filter();
    void Totals(std::optional<bool> prev_ignition);
    void Trips();
    void StartTrip(const Mark& at);
    void EndTrip(const Mark& at);
    void ConfirmTrip();
    void OpenStop(const Mark& at);
    void ResolveDriver();
    void Ignition();
    void Idle();
    void Overspeed();
    void Geofences();
    void Harsh();
    void Alarm();
    void Towing();
    void GpsLost();
    void Battery();
    void Dtc();
    void Fuel();
    void CountHarsh(const std::string& type);
    std::optional<double> FuelLevel() const;
    void Emit(std::string type, const Mark& at, std::string detail = "{}",
              std::string discriminator = {}, std::optional<int64_t> geofence_id = std::nullopt);
};

void Step::Emit(std::string type, const Mark& at, std::string detail, std::string discriminator,
                std::optional<int64_t> geofence_id) {
    Event e;
    e.type = std::move(type);
    e.time = at.time;
    e.lat = at.lat;
    e.lon = at.lon;
    e.driver_id = st.driver_id;
    e.geofence_id = geofence_id;
    e.detail_json = std::move(detail);
    e.discriminator = std::move(discriminator);
    out.events.push_back(std::move(e));
}

void Step::Filter() {
    good = p.valid && !(p.lat == 0 && p.lon == 0) && std::abs(p.lat) <= 90 &&
           std::abs(p.lon) <= 180 && std::isfinite(p.lat) && std::isfinite(p.lon);
    if (!good || !st.fix) return;
    double d = HaversineM(st.fix->lat, st.fix->lon, p.lat, p.lon);
    double since = Seconds(st.fix->time, p.time);
    if (since > 0 && d / since * 3.6 > s.max_speed_kmh) {
        if (++st.rejected_jumps <= kMaxRejectedJumps) good = false;
    }
}

void Step::Totals(std::optional<bool> prev_ignition) {
    // Engine, idle and overspeed time: the interval before this point counts by the state at its
    // start (before this point may end the trip).
    if (st.last_time && !gap && prev_ignition.value_or(false)) {
        st.engine_s += dt;
        if (st.in_trip) st.trip.engine_s += dt;
        if (st.in_trip && !st.prev_moving) st.trip.idle_s += dt;
        if (st.stop.open) st.stop.engine_on_s += dt;
    }
    if (st.last_time && !gap && st.in_trip && st.overspeed) st.trip.overspeed_s += dt;
    // Distance: the device's odometer once it sends one, else along accepted fixes.
    if (p.odometer_m && std::isfinite(*p.odometer_m)) {
        if (st.device_odometer_m) {
            double delta = *p.odometer_m - *st.device_odometer_m;
            // A reset or an impossible jump of the counter moves the baseline, never the total.
            if (delta >= 0 && delta <= s.max_speed_kmh / 3.6 * std::max(dt, 1.0) + 1000)
                st.odometer_m += delta;
        }
        st.device_odometer_m = *p.odometer_m;
    } else if (!st.device_odometer_m && good && st.fix) {
        bool reset = st.rejected_jumps > kMaxRejectedJumps;
        if (!reset) st.odometer_m += HaversineM(st.fix->lat, st.fix->lon, p.lat, p.lon);
    }
    if (good) {
        st.rejected_jumps = 0;
        st.fix = Mark{p.time, p.lat, p.lon, st.odometer_m};
        st.fix_speed_kmh = p.speed_kmh;
    }
    here = Mark{p.time, st.fix ? st.fix->lat : p.lat, st.fix ? st.fix->lon : p.lon, st.odometer_m};
}

void Step::OpenStop(const Mark& at) {
    st.stop = StopState{};
    st.stop.open = true;
    st.stop.at = at;
    st.stop.driver_id = st.driver_id;
}

void Step::StartTrip(const Mark& at) {
    st.in_trip = true;
    st.trip = TripState{};
    st.trip.start = at;
    st.trip.driver_id = st.driver_id;
    st.trip.stop_engine_s_at_start = st.stop.engine_on_s;
    st.trip.start_fuel_used_l = st.fuel_used_l;
    st.trip.start_fuel_level_l = st.fuel.smoothed_l;
    st.in_stop_candidate = false;
}

// The trip is long enough to be one: the stop before it ends where it started, trip_start is
// raised.
void Step::ConfirmTrip() {
    TripState& t = st.trip;
    t.confirmed = true;
    if (st.stop.open) {
        Stop stop;
        stop.start_time = st.stop.at.time;
        stop.end_time = t.start.time;
        stop.lat = st.stop.at.lat;
        stop.lon = st.stop.at.lon;
        stop.odometer_m = st.stop.at.odometer_m;
        stop.engine_on_s = t.stop_engine_s_at_start;
        stop.driver_id = st.stop.driver_id;
        if (stop.end_time > stop.start_time) out.stops.push_back(stop);
        st.stop.open = false;
    }
    std::optional<int64_t> driver = st.driver_id;
    st.driver_id = t.driver_id;
    Emit("trip_start", t.start);
    st.driver_id = driver;
}

void Step::EndTrip(const Mark& at) {
    TripState& t = st.trip;
    st.in_trip = false;
    st.in_stop_candidate = false;
    double distance = at.odometer_m - t.start.odometer_m;
    double duration = Seconds(t.start.time, at.time);
    if (!t.confirmed && distance >= s.min_trip_distance_m && duration >= s.min_trip_duration_s)
        ConfirmTrip();
    if (!t.confirmed) return;  // too short: not a trip; the stop before it goes on
    Trip trip;
    trip.start_time = t.start.time;
    trip.end_time = at.time;
    trip.start_lat = t.start.lat;
    trip.start_lon = t.start.lon;
    trip.end_lat = at.lat;
    trip.end_lon = at.lon;
    trip.start_odometer_m = t.start.odometer_m;
    trip.end_odometer_m = at.odometer_m;
    trip.distance_m = distance;
    trip.max_speed_kmh = t.max_speed_kmh;
    trip.avg_speed_kmh = duration > 0 ? distance / duration * 3.6 : 0;
    trip.idle_s = t.idle_s;
    trip.overspeed_s = t.overspeed_s;
    trip.harsh_acceleration = t.harsh_acceleration;
    trip.harsh_braking = t.harsh_braking;
    trip.harsh_cornering = t.harsh_cornering;
    if (t.start_fuel_used_l && st.fuel_used_l && *st.fuel_used_l >= *t.start_fuel_used_l) {
        trip.fuel_used_l = *st.fuel_used_l - *t.start_fuel_used_l;
    } else if (t.start_fuel_level_l && st.fuel.smoothed_l) {
        trip.fuel_used_l =
            std::max(0.0, *t.start_fuel_level_l - *st.fuel.smoothed_l + t.refuelled_l);
    }
    trip.driver_id = t.driver_id;
    int harsh = t.harsh_acceleration + t.harsh_braking + t.harsh_cornering;
    double driving_s = std::max(duration - t.idle_s, 0.0);
    double engine = t.engine_s > 0 ? t.engine_s : duration;
    trip.eco_score = EcoScore(distance > 0 ? harsh / (distance / 100000.0) : 0,
                              driving_s > 0 ? 100 * std::min(t.overspeed_s / driving_s, 1.0) : 0,
                              engine > 0 ? 100 * std::min(t.idle_s / engine, 1.0) : 0, s);
    out.trips.push_back(trip);
    std::string detail;
    detail += "{\"distance_m\":";
    core::AppendJsonNumber(detail, std::round(distance));
    detail += ",\"duration_s\":";
    core::AppendJsonNumber(detail, std::round(duration));
    detail += "}";
    std::optional<int64_t> driver = st.driver_id;
    st.driver_id = t.driver_id;
    Emit("trip_end", at, detail);
    st.driver_id = driver;
    OpenStop(at);
}

void Step::Trips() {
    if (st.in_trip && gap) {
        // Silent too long inside a trip: it ended where the device was last heard.
        EndTrip(prev_here ? *prev_here : here);
    }
    if (st.ignition_reported) {
        bool on = st.ignition.value_or(false);
        if (!st.in_trip && on) {
            StartTrip(here);
        } else if (st.in_trip && !on) {
            EndTrip(here);
        }
    } else if (!st.in_trip) {
        if (moving) {
            // From where the vehicle was last seen stopped, if that was just before.
            bool back = prev_here && !gap && dt <= kStartLookbackS && !st.prev_moving;
            StartTrip(back ? *prev_here : here);
        }
    } else if (!moving) {
        if (!st.in_stop_candidate) {
            st.in_stop_candidate = true;
            st.stationary = here;
            st.trip.pending_idle_s = 0;
        } else if (!gap) {
            st.trip.pending_idle_s += dt;  // idle if the trip goes on, the stop's if it ends here
        }
        if (Seconds(st.stationary.time, p.time) >= s.min_stop_duration_s) EndTrip(st.stationary);
    } else if (st.in_stop_candidate) {
        if (Seconds(st.stationary.time, p.time) >= s.min_stop_duration_s) {
            // Stopped long enough between two points: the trip ended there and a new one starts.
            EndTrip(st.stationary);
            StartTrip(prev_here ? *prev_here : here);
        } else {
            st.trip.idle_s += st.trip.pending_idle_s;
        }
        st.in_stop_candidate = false;
        st.trip.pending_idle_s = 0;
    }
    if (!st.in_trip && !st.stop.open) OpenStop(here);
    if (st.in_trip) {
        TripState& t = st.trip;
        if (good) t.max_speed_kmh = std::max(t.max_speed_kmh, p.speed_kmh);
        if (!t.driver_id) t.driver_id = st.driver_id;
        // Levels and counters first seen after the start count from then on.
        if (!t.start_fuel_level_l) t.start_fuel_level_l = st.fuel.smoothed_l;
        if (!t.start_fuel_used_l) t.start_fuel_used_l = st.fuel_used_l;
        if (!t.confirmed && here.odometer_m - t.start.odometer_m >= s.min_trip_distance_m &&
            Seconds(t.start.time, p.time) >= s.min_trip_duration_s) {
            ConfirmTrip();
        }
    }
}

std::string Detail(std::initializer_list<std::pair<const char*, double>> numbers) {
    std::string d = "{";
    for (const auto& [name, value] : numbers) {
        if (d.size() > 1) d += ',';
        core::AppendJsonString(d, name);
        d += ':';
        core::AppendJsonNumber(d, std::round(value * 100) / 100);
    }
    d += '}';
    return d;
}

void Step::Ignition() {
    if (!p.ignition || !prev_ignition || *prev_ignition == *p.ignition) {
        if (p.ignition && !prev_ignition && !*p.ignition) st.ignition_off_at = here;
        return;
    }
    if (*p.ignition) {
        Emit("ignition_on", here);
        st.ignition_off_at.reset();
        st.towing_raised = false;
    } else {
        Emit("ignition_off", here);
        st.ignition_off_at = here;
        // The badge identifies the driver for one driving session.
        st.badge.reset();
        st.badge_driver_id.reset();
    }
}

// "idling" once per episode of ignition on and not moving longer than idle_event_s (at the
// episode's start; detail: the threshold crossed).
void Step::Idle() {
    bool idling = st.ignition.value_or(false) && !moving;
    if (!idling || gap) {
        st.idle_since.reset();
        st.idle_raised = false;
        if (!idling) return;
    }
    if (!st.idle_since) st.idle_since = here;
    double idle_s = Seconds(st.idle_since->time, p.time);
    if (!st.idle_raised && idle_s > s.idle_event_s) {
        st.idle_raised = true;
        Emit("idling", *st.idle_since, Detail({{"idle_event_s", s.idle_event_s}}));
    }
}

// The limit: the lowest of the vehicle's and those of the geofences the device is in; the
// tenant's default when none of them sets one. One "overspeed" per episode over it, raised when the
// episode ends (detail: the episode's maximum speed, the limit and the duration) if it lasted
// overspeed_min_duration_s.
void Step::Overspeed() {
    std::optional<double> lowest = ctx.vehicle_speed_limit_kmh;
    std::optional<int64_t> limit_geofence;
    for (const OpenVisit& v : st.visits) {
        for (const Geofence& g : ctx.geofences) {
            if (g.id == v.geofence_id && g.speed_limit_kmh &&
                (!lowest || *g.speed_limit_kmh < *lowest)) {
                lowest = *g.speed_limit_kmh;
                limit_geofence = g.id;
            }
        }
    }
    double limit = lowest.value_or(s.default_speed_limit_kmh);
    bool over = good && p.speed_kmh > limit;
    // An unusable fix neither starts nor ends an episode; a silence ends it where it was last
    // heard.
    if (st.overspeed && (gap || (good && !over))) {
        OverspeedState o = *st.overspeed;
        st.overspeed.reset();
        double duration = Seconds(o.since, gap ? *st.last_time : p.time);
        if (duration >= s.overspeed_min_duration_s) {
            Emit("overspeed", Mark{o.since, o.lat, o.lon, 0},
                 Detail({{"max_speed_kmh", o.max_speed_kmh},
                         {"limit_kmh", o.limit_kmh},
                         {"duration_s", duration}}),
                 {}, o.geofence_id);
        }
    }
    if (!over) return;
    if (!st.overspeed) {
        st.overspeed =
            OverspeedState{p.time, here.lat, here.lon, p.speed_kmh, limit, limit_geofence};
    } else {
        st.overspeed->max_speed_kmh = std::max(st.overspeed->max_speed_kmh, p.speed_kmh);
        st.overspeed->limit_kmh = std::min(st.overspeed->limit_kmh, limit);
    }
}

double MetresPerDegreeLon(double lat) {
    return kEarthRadiusM * std::numbers::pi / 180 * std::cos(lat * std::numbers::pi / 180);
}
constexpr double kMetresPerDegreeLat = kEarthRadiusM * std::numbers::pi / 180;

// Signed distance in metres from the geofence's edge: negative inside, positive outside. Polygons
// on a local plane around the point (exact enough for geofences up to tens of kilometres).
double SignedEdgeDistanceM(const Geofence& g, double lat, double lon, double kx, double& size_m) {
    // Far away (by a cheap lower bound of the distance: the latitude difference for circles, the
    // ring's bounding box for polygons) the exact figure changes nothing: any distance beyond the
    // largest hysteresis is "outside" both for entering and for leaving.
    constexpr double kFar = kGeofenceHysteresisM;
    if (g.circle) {
        size_m = g.radius_m;
        double lower = std::abs(lat - g.center_lat) * kMetresPerDegreeLat - g.radius_m;
        if (lower >= kFar) return lower;
        return HaversineM(g.center_lat, g.center_lon, lat, lon) - g.radius_m;
    }
    double min_lat = g.ring[0].first, max_lat = min_lat, min_lon = g.ring[0].second,
           max_lon = min_lon;
    for (const auto& [rlat, rlon] : g.ring) {
        min_lat = std::min(min_lat, rlat);
        max_lat = std::max(max_lat, rlat);
        min_lon = std::min(min_lon, rlon);
        max_lon = std::max(max_lon, rlon);
    }
    double out_y = std::max({min_lat - lat, lat - max_lat, 0.0}) * kMetresPerDegreeLat;
    double out_x = std::max({min_lon - lon, lon - max_lon, 0.0}) * kx;
    double lower2 = out_x * out_x + out_y * out_y;
    if (lower2 >= kFar * kFar) {
        size_m = 0;
        return std::sqrt(lower2);
    }
    bool inside = false;
    double best2 = std::numeric_limits<double>::infinity();
    double area2 = 0;
    const size_t n = g.ring.size();
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double xi = (g.ring[i].second - lon) * kx,
               yi = (g.ring[i].first - lat) * kMetresPerDegreeLat;
        double xj = (g.ring[j].second - lon) * kx,
               yj = (g.ring[j].first - lat) * kMetresPerDegreeLat;
        if ((yi > 0) != (yj > 0) && 0 < (xj - xi) * (0 - yi) / (yj - yi) + xi) inside = !inside;
        double dx = xj - xi, dy = yj - yi, len2 = dx * dx + dy * dy;
        double t = len2 > 0 ? std::clamp(-(xi * dx + yi * dy) / len2, 0.0, 1.0) : 0;
        double ex = xi + t * dx, ey = yi + t * dy;
        best2 = std::min(best2, ex * ex + ey * ey);
        area2 += xj * yi - xi * yj;
    }
    size_m = std::sqrt(std::abs(area2) / 2 / std::numbers::pi);
    double best = std::sqrt(best2);
    return inside ? -best : best;
}

// Enter when at least the hysteresis inside the edge, exit when at least as far outside, so a fix
// wandering on the edge neither enters nor leaves. Visits are written when they start and end.
void Step::Geofences() {
    // A visit of a geofence that no longer exists ends here, without an event.
    for (auto it = st.visits.begin(); it != st.visits.end();) {
        bool exists = std::any_of(ctx.geofences.begin(), ctx.geofences.end(),
                                  [&](const Geofence& g) { return g.id == it->geofence_id; });
        if (exists) {
            ++it;
            continue;
        }
        out.visits.push_back(Visit{it->geofence_id, it->enter_time, p.time, it->driver_id});
        it = st.visits.erase(it);
    }
    if (!good || ctx.geofences.empty()) return;
    const double kx = MetresPerDegreeLon(p.lat);
    for (const Geofence& g : ctx.geofences) {
        if (!g.circle && g.ring.size() < 3) continue;
        double size_m = 0;
        double edge = SignedEdgeDistanceM(g, p.lat, p.lon, kx, size_m);
        double h = std::min(kGeofenceHysteresisM, size_m / 5);
        auto open = std::find_if(st.visits.begin(), st.visits.end(),
                                 [&](const OpenVisit& v) { return v.geofence_id == g.id; });
        if (open == st.visits.end() && edge <= -h) {
            OpenVisit v{g.id, p.time, st.driver_id};
            auto at =
                std::lower_bound(st.visits.begin(), st.visits.end(), g.id,
                                 [](const OpenVisit& a, int64_t b) { return a.geofence_id < b; });
            st.visits.insert(at, v);
            out.visits.push_back(Visit{g.id, p.time, std::nullopt, st.driver_id});
            Emit("geofence_enter", here, "{}", std::to_string(g.id), g.id);
        } else if (open != st.visits.end() && edge >= h) {
            out.visits.push_back(Visit{g.id, open->enter_time, p.time, open->driver_id});
            st.visits.erase(open);
            Emit("geofence_exit", here, "{}", std::to_string(g.id), g.id);
        }
    }
}

void Step::CountHarsh(const std::string& type) {
    if (!st.in_trip) return;
    if (type == "harsh_acceleration") ++st.trip.harsh_acceleration;
    if (type == "harsh_braking") ++st.trip.harsh_braking;
    if (type == "harsh_cornering") ++st.trip.harsh_cornering;
}

// Computed from speed changes between close fixes, unless the device reports harsh driving itself
// (then only its alarms count, never both). One event per run of harsh intervals.
void Step::Harsh() {
    if (st.device_reports_harsh || !good || !prev_fix) return;
    double since = Seconds(prev_fix->time, p.time);
    if (since <= 0 || since > kHarshMaxGapS) {
        st.accel_episode = st.brake_episode = false;
        return;
    }
    double a = (p.speed_kmh - prev_fix_speed_kmh) / 3.6 / since;
    bool accel = a >= s.harsh_acceleration_mps2;
    bool brake = -a >= s.harsh_braking_mps2;
    if (accel && !st.accel_episode) {
        Emit("harsh_acceleration", here, Detail({{"accel_mps2", a}}));
        CountHarsh("harsh_acceleration");
    }
    if (brake && !st.brake_episode) {
        Emit("harsh_braking", here, Detail({{"accel_mps2", a}}));
        CountHarsh("harsh_braking");
    }
    st.accel_episode = accel;
    st.brake_episode = brake;
}

// The device's alarm attribute (the names the decoders give) → events.
void Step::Alarm() {
    if (!p.alarm) return;
    const std::string& a = *p.alarm;
    if (a == "harsh_acceleration" || a == "harsh_braking" || a == "harsh_cornering") {
        st.device_reports_harsh = true;
        Emit(a, here);
        CountHarsh(a);
    } else if (a == "crash" || a == "sos" || a == "power_cut" || a == "gsm_jamming") {
        Emit(a, here);
    } else if (a == "tamper" || a == "cover_removed") {
        Emit("tampering", here, "{\"alarm\":\"" + a + "\"}");
    } else if (a == "tow" && !st.towing_raised) {
        st.towing_raised = true;
        Emit("towing", here, "{\"alarm\":\"tow\"}");
    } else if (a == "low_external_battery" && !st.low_battery) {
        st.low_battery = true;
        Emit("low_battery", here, "{\"alarm\":\"low_external_battery\"}");
    }
}

// Moving (by GPS) with the ignition off, once per ignition-off period: kTowingFixes accepted fixes
// in a row at moving speed, kTowingMinDistanceM or more from where the ignition went off.
void Step::Towing() {
    if (!st.ignition_reported || st.ignition.value_or(true) || st.towing_raised || !good) return;
    if (!st.ignition_off_at) {
        st.ignition_off_at = here;
        return;
    }
    double away = HaversineM(st.ignition_off_at->lat, st.ignition_off_at->lon, p.lat, p.lon);
    if (p.speed_kmh < s.moving_speed_kmh || away < kTowingMinDistanceM) {
        st.towing_fixes = 0;
        return;
    }
    // A single wild fix (multipath in a street canyon) is not towing: two in a row are needed.
    if (++st.towing_fixes < kTowingFixes) return;
    st.towing_raised = true;
    Emit("towing", here, Detail({{"distance_m", away}, {"speed_kmh", p.speed_kmh}}));
}

// No valid fix for gps_lost_s while the device keeps reporting (time counted from the last valid
// fix, or from the first point after a silence); once per episode.
void Step::GpsLost() {
    if (!st.last_time || gap) st.reporting_since = p.time;
    if (p.valid && !(p.lat == 0 && p.lon == 0)) {
        st.last_valid_time = p.time;
        st.gps_lost = false;
        return;
    }
    core::TimePoint from = st.reporting_since.value_or(p.time);
    if (st.last_valid_time && *st.last_valid_time > from) from = *st.last_valid_time;
    double lost = Seconds(from, p.time);
    if (!st.gps_lost && lost >= s.gps_lost_s) {
        st.gps_lost = true;
        Emit("gps_lost", here, Detail({{"lost_s", lost}}));
    }
}

void Step::Battery() {
    if (!p.external_voltage_v || !std::isfinite(*p.external_voltage_v)) return;
    double v = *p.external_voltage_v;
    if (v >= s.low_battery_v + kBatteryHysteresisV) st.low_battery = false;
    if (v < kBatteryDisconnectedV || v >= s.low_battery_v || st.low_battery) return;
    st.low_battery = true;
    Emit("low_battery", here, Detail({{"voltage_v", v}, {"threshold_v", s.low_battery_v}}));
}

// Dashboard trouble codes: an event when codes appear that were not active at the previous report.
void Step::Dtc() {
    if (!p.dtc_codes) return;
    std::vector<std::string> codes;
    std::string_view rest = *p.dtc_codes;
    while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view c = rest.substr(0, comma);
        while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
        while (!c.empty() && c.back() == ' ') c.remove_suffix(1);
        if (!c.empty() && codes.size() < kMaxCodes) codes.emplace_back(c.substr(0, kMaxCodeLength));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    std::vector<std::string> added;
    std::set_difference(codes.begin(), codes.end(), st.dtc_codes.begin(), st.dtc_codes.end(),
                        std::back_inserter(added));
    st.dtc_codes = codes;
    if (added.empty()) return;
    std::string detail = "{\"codes\":[";
    std::string joined;
    for (size_t i = 0; i < added.size(); ++i) {
        if (i > 0) {
            detail += ',';
            joined += ',';
        }
        core::AppendJsonString(detail, added[i]);
        joined += added[i];
    }
    detail += "]}";
    Emit("dtc", here, detail, joined);
}

std::optional<double> Step::FuelLevel() const {
    if (p.fuel_level_l && std::isfinite(*p.fuel_level_l)) return *p.fuel_level_l;
    if (p.fuel_level_pct && std::isfinite(*p.fuel_level_pct) && s.tank_l > 0)
        return *p.fuel_level_pct * s.tank_l / 100;
    return std::nullopt;
}

// Refuel and fuel drop on the smoothed level (median of the last kFuelWindow readings): a rise of
// refuel_min_l from the lowest level since the last event is a refuel; a fall of fuel_drop_min_l
// from the highest level since the vehicle stopped, while it stays stopped, is a fuel drop. Each is
// raised when the level has settled, at the time of the low (refuel) or high (drop) it started
// from.
void Step::Fuel() {
    if (p.fuel_used_l && std::isfinite(*p.fuel_used_l)) st.fuel_used_l = *p.fuel_used_l;
    auto level = FuelLevel();
    if (!level) return;
    FuelState& f = st.fuel;
    f.window.push_back(*level);
    while (f.window.size() > kFuelWindow) f.window.erase(f.window.begin());
    std::array<double, kFuelWindow> sorted{};  // no allocation per reading
    const size_t n = f.window.size();
    std::copy(f.window.begin(), f.window.end(), sorted.begin());
    std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n));
    double sm = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    f.smoothed_l = sm;
    if (moving && f.episode != 1) {
        f.has_high = false;
        if (f.episode == -1) f.episode = 0;  // a fall that goes on while moving is consumption
    }
    auto reset = [&] {
        f.episode = 0;
        f.low = f.high = here;
        f.low_l = f.high_l = sm;
        f.has_low = true;
        f.has_high = !moving;
    };
    if (f.episode == 0) {
        if (!f.has_low || sm < f.low_l) {
            f.low = here;
            f.low_l = sm;
            f.has_low = true;
        }
        if (!moving && (!f.has_high || sm > f.high_l)) {
            f.high = here;
            f.high_l = sm;
            f.has_high = true;
        }
        if (sm - f.low_l >= s.refuel_min_l) {
            f.episode = 1;
        } else if (f.has_high && f.high_l - sm >= s.fuel_drop_min_l) {
            f.episode = -1;
        } else {
            return;
        }
        f.extreme_l = sm;
        f.since_extreme = 0;
        return;
    }
    if ((f.episode == 1 && sm > f.extreme_l) || (f.episode == -1 && sm < f.extreme_l)) {
        f.extreme_l = sm;
        f.since_extreme = 0;
        return;
    }
    if (++f.since_extreme < static_cast<int>(kFuelWindow)) return;
    if (f.episode == 1) {
        double litres = f.extreme_l - f.low_l;
        if (st.in_trip) st.trip.refuelled_l += litres;
        Emit("refuel", f.low,
             Detail({{"litres", litres}, {"before_l", f.low_l}, {"after_l", f.extreme_l}}));
    } else {
        Emit("fuel_drop", f.high,
             Detail({{"litres", f.high_l - f.extreme_l},
                     {"before_l", f.high_l},
                     {"after_l", f.extreme_l}}));
    }
    reset();
}

// The driver: the badge read in this driving session, else the assignment covering the time.
void Step::ResolveDriver() {
    bool unknown = false;
    if (p.driver_badge) {
        // Badges are short (an iButton is 16 hex digits); a longer value is cut so that what the
        // state, keys and details keep stays small.
        const std::string badge = p.driver_badge->substr(0, kMaxBadgeLength);
        if (badge.empty() || badge == "0") {
            st.badge.reset();
            st.badge_driver_id.reset();
        } else if (!st.badge || *st.badge != badge) {
            st.badge = badge;
            auto it =
                std::lower_bound(ctx.badges.begin(), ctx.badges.end(), badge,
                                 [](const auto& e, const std::string& b) { return e.first < b; });
            if (it != ctx.badges.end() && it->first == badge) {
                st.badge_driver_id = it->second;
            } else {
                st.badge_driver_id.reset();
                unknown = true;
            }
        }
    }
    std::optional<int64_t> driver = st.badge_driver_id;
    if (!driver && !st.badge) {
        // The covering assignment that began last (assignments are sorted by `from`).
        auto it = std::upper_bound(ctx.assignments.begin(), ctx.assignments.end(), p.time,
                                   [](TimePoint t, const Assignment& a) { return t < a.from; });
        while (it != ctx.assignments.begin()) {
            --it;
            if (!it->to || p.time < *it->to) {
                driver = it->driver_id;
                break;
            }
        }
    }
    st.driver_id = driver;
    if (unknown) {  // raised without a driver: whoever it is, it is no one the tenant knows
        std::string detail = "{\"badge\":";
        core::AppendJsonString(detail, *st.badge);
        detail += "}";
        Emit("unknown_badge", here, detail, *st.badge);
    }
    if (driver && driver != st.last_known_driver_id) {
        std::string detail = "{\"driver_id\":" + std::to_string(*driver);
        if (st.last_known_driver_id)
            detail += ",\"previous_driver_id\":" + std::to_string(*st.last_known_driver_id);
        detail += "}";
        if (st.last_known_driver_id) Emit("driver_changed", here, detail, std::to_string(*driver));
        st.last_known_driver_id = driver;
    }
}

void Step::Run() {
    dt = st.last_time ? Seconds(*st.last_time, p.time) : 0;
    gap = st.last_time && dt > s.offline_after_s;
    prev_ignition = st.ignition;
    prev_fix = st.fix;
    if (st.last_time && st.fix)
        prev_here = Mark{*st.last_time, st.fix->lat, st.fix->lon, st.odometer_m};
    prev_fix_speed_kmh = st.fix_speed_kmh;
    if (p.ignition) {
        st.ignition_reported = true;
        st.ignition = *p.ignition;
    }
    Filter();
    Totals(prev_ignition);
    // GPS speed when the fix is usable (an accelerometer's motion flag also feels a running engine
    // or a passing truck); the device's motion flag only without one.
    moving = good ? p.speed_kmh >= s.moving_speed_kmh : p.motion.value_or(false);
    ResolveDriver();
    Trips();
    Ignition();
    Idle();
    Geofences();
    Overspeed();
    Alarm();  // first: a device's first harsh alarm stops computed harsh driving on this point
              // already
    Harsh();
    Towing();
    GpsLost();
    Battery();
    Dtc();
    Fuel();
    st.prev_moving = moving;
    st.last_time = p.time;
}

}  // namespace

double HaversineM(double lat1, double lon1, double lat2, double lon2) {
    constexpr double kRad = std::numbers::pi / 180;
    double dlat = (lat2 - lat1) * kRad;
    double dlon = (lon2 - lon1) * kRad;
    double a =
        std::sin(dlat / 2) * std::sin(dlat / 2) +
        std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
    return 2 * kEarthRadiusM * std::asin(std::sqrt(std::min(a, 1.0)));
}

double EcoScore(double harsh_per_100km, double pct_speeding, double pct_idle, const Settings& s) {
    double score = 100 - s.eco_weight_harsh * harsh_per_100km -
                   s.eco_weight_speeding * pct_speeding - s.eco_weight_idle * pct_idle;
    return std::clamp(score, 0.0, 100.0);
}

std::optional<TimePoint> EarliestPending(const State& s) {
    if (!s.last_time) return std::nullopt;
    TimePoint t = *s.last_time;
    auto take = [&](TimePoint c) { t = std::min(t, c); };
    if (s.in_trip) take(s.trip.start.time);
    if (s.stop.open) take(s.stop.at.time);
    if (s.in_stop_candidate) take(s.stationary.time);
    if (s.idle_since && !s.idle_raised) take(s.idle_since->time);
    if (s.overspeed) take(s.overspeed->since);
    if (s.fuel.has_low) take(s.fuel.low.time);
    if (s.fuel.has_high) take(s.fuel.high.time);
    for (const OpenVisit& v : s.visits) take(v.enter_time);
    return t;
}

std::string Event::key() const {
    std::string k = fmt::format("{}:{}", type, time.time_since_epoch().count());
    if (!discriminator.empty()) {
        k += ':';
        k += discriminator;
    }
    return k;
}

void Process(const Context& ctx, State& state, const Point& p, Output& out) {
    // The runner feeds points in order; an older point or a second one at the same millisecond
    // (a duplicate) changes nothing.
    if (state.last_time && p.time <= *state.last_time) {
        out.odometer_m = state.odometer_m;
        out.engine_s = state.engine_s;
        return;
    }
    Step step{ctx, ctx.settings, state, p, out};
    step.Run();
    out.odometer_m = state.odometer_m;
    out.engine_s = state.engine_s;
}

}  // namespace fleet::pipeline
