// The per-device processing engine (engine.hpp): filters, distance and engine time, trips and
// stops, and the events derived from them. Pure and deterministic; docs/pipeline.md explains
// every rule implemented here.
#include "pipeline/engine.hpp"

#include <algorithm>
#include <cmath>
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

double Seconds(core::TimePoint a, core::TimePoint b) {
    return std::chrono::duration<double>(b - a).count();
}

struct Step {
    const Context& ctx;
    const Settings& s;
    State& st;
    const Point& p;
    Output& out;
    double dt = 0;          // seconds since the previous point (0 for the first)
    bool gap = false;       // silent longer than offline_after_s before this point
    bool good = false;      // the fix is usable (valid, not (0,0), no jump)
    bool moving = false;
    Mark here;              // this point's place (the last good fix when this one is not) and total

    void Run();
    void Filter();
    void Totals(std::optional<bool> prev_ignition);
    void Trips();
    void StartTrip(const Mark& at);
    void EndTrip(const Mark& at);
    void ConfirmTrip();
    void OpenStop(const Mark& at);
    void ResolveDriver();
    void Emit(std::string type, const Mark& at, std::string detail = "{}", std::string discriminator = {},
              std::optional<int64_t> geofence_id = std::nullopt);
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
    good = p.valid && !(p.lat == 0 && p.lon == 0) && std::abs(p.lat) <= 90 && std::abs(p.lon) <= 180 &&
           std::isfinite(p.lat) && std::isfinite(p.lon);
    if (!good || !st.fix) return;
    double d = HaversineM(st.fix->lat, st.fix->lon, p.lat, p.lon);
    double since = Seconds(st.fix->time, p.time);
    if (since > 0 && d / since * 3.6 > s.max_speed_kmh) {
        if (++st.rejected_jumps <= kMaxRejectedJumps) good = false;
    }
}

void Step::Totals(std::optional<bool> prev_ignition) {
    // Engine time: the interval before this point counts when the ignition was on at its start.
    if (st.last_time && !gap && prev_ignition.value_or(false)) {
        st.engine_s += dt;
        if (st.in_trip) st.trip.engine_s += dt;
        if (st.stop.open) st.stop.engine_on_s += dt;
    }
    // Distance: the device's odometer once it sends one, else along accepted fixes.
    if (p.odometer_m && std::isfinite(*p.odometer_m)) {
        if (st.device_odometer_m) {
            double delta = *p.odometer_m - *st.device_odometer_m;
            // A reset or an impossible jump of the counter moves the baseline, never the total.
            if (delta >= 0 && delta <= s.max_speed_kmh / 3.6 * std::max(dt, 1.0) + 1000) st.odometer_m += delta;
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
        st.last_valid_time = p.time;
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

// The trip is long enough to be one: the stop before it ends where it started, trip_start is raised.
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
    if (!t.confirmed && distance >= s.min_trip_distance_m && duration >= s.min_trip_duration_s) ConfirmTrip();
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
        trip.fuel_used_l = std::max(0.0, *t.start_fuel_level_l - *st.fuel.smoothed_l + t.refuelled_l);
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
        EndTrip(st.fix ? Mark{*st.last_time, st.fix->lat, st.fix->lon, st.fix->odometer_m} : here);
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
            bool back = st.fix && st.last_time && !gap && Seconds(*st.last_time, p.time) <= kStartLookbackS &&
                        !st.prev_moving;
            StartTrip(back ? Mark{*st.last_time, st.stationary.lat, st.stationary.lon, st.stationary.odometer_m}
                           : here);
        }
    } else if (!moving) {
        if (!st.in_stop_candidate) {
            st.in_stop_candidate = true;
            st.stationary = here;
        }
        if (Seconds(st.stationary.time, p.time) >= s.min_stop_duration_s) EndTrip(st.stationary);
    } else if (st.in_stop_candidate) {
        if (Seconds(st.stationary.time, p.time) >= s.min_stop_duration_s) {
            // Stopped long enough between two points: the trip ended there and a new one starts.
            Mark stopped = st.stationary;
            EndTrip(stopped);
            StartTrip(Mark{*st.last_time, stopped.lat, stopped.lon, stopped.odometer_m});
        }
        st.in_stop_candidate = false;
    }
    if (!st.in_trip && !st.stop.open) OpenStop(here);
    if (st.in_trip) {
        TripState& t = st.trip;
        if (good) t.max_speed_kmh = std::max(t.max_speed_kmh, p.speed_kmh);
        if (!t.driver_id) t.driver_id = st.driver_id;
        if (!t.confirmed && here.odometer_m - t.start.odometer_m >= s.min_trip_distance_m &&
            Seconds(t.start.time, p.time) >= s.min_trip_duration_s) {
            ConfirmTrip();
        }
    }
}

// The driver: the badge read in this driving session, else the assignment covering the time.
void Step::ResolveDriver() {
    if (p.driver_badge) {
        const std::string& badge = *p.driver_badge;
        if (badge.empty() || badge == "0") {
            st.badge.reset();
            st.badge_driver_id.reset();
        } else if (!st.badge || *st.badge != badge) {
            st.badge = badge;
            auto it = std::lower_bound(ctx.badges.begin(), ctx.badges.end(), badge,
                                       [](const auto& e, const std::string& b) { return e.first < b; });
            if (it != ctx.badges.end() && it->first == badge) {
                st.badge_driver_id = it->second;
            } else {
                st.badge_driver_id.reset();
                std::string detail = "{\"badge\":";
                core::AppendJsonString(detail, badge);
                detail += "}";
                Emit("unknown_badge", here, detail, badge);
            }
        }
    }
    std::optional<int64_t> driver = st.badge_driver_id;
    if (!driver && !st.badge) {
        for (const Assignment& a : ctx.assignments) {
            if (a.from <= p.time && (!a.to || p.time < *a.to)) driver = a.driver_id;
        }
    }
    st.driver_id = driver;
    if (driver && driver != st.last_known_driver_id) {
        std::string detail = "{\"driver_id\":" + std::to_string(*driver);
        if (st.last_known_driver_id) detail += ",\"previous_driver_id\":" + std::to_string(*st.last_known_driver_id);
        detail += "}";
        if (st.last_known_driver_id) Emit("driver_changed", here, detail, std::to_string(*driver));
        st.last_known_driver_id = driver;
    }
}

void Step::Run() {
    dt = st.last_time ? Seconds(*st.last_time, p.time) : 0;
    gap = st.last_time && dt > s.offline_after_s;
    std::optional<bool> prev_ignition = st.ignition;
    if (p.ignition) {
        st.ignition_reported = true;
        st.ignition = *p.ignition;
    }
    Filter();
    Totals(prev_ignition);
    moving = p.motion ? *p.motion : (good && p.speed_kmh >= s.moving_speed_kmh);
    ResolveDriver();
    Trips();
    st.prev_moving = moving;
    st.last_time = p.time;
}

}  // namespace

double HaversineM(double lat1, double lon1, double lat2, double lon2) {
    constexpr double kRad = std::numbers::pi / 180;
    double dlat = (lat2 - lat1) * kRad;
    double dlon = (lon2 - lon1) * kRad;
    double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
               std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
    return 2 * kEarthRadiusM * std::asin(std::sqrt(std::min(a, 1.0)));
}

double EcoScore(double harsh_per_100km, double pct_speeding, double pct_idle, const Settings& s) {
    double score = 100 - s.eco_weight_harsh * harsh_per_100km - s.eco_weight_speeding * pct_speeding -
                   s.eco_weight_idle * pct_idle;
    return std::clamp(score, 0.0, 100.0);
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
