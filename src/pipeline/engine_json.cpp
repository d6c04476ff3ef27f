// The JSON forms of Settings (tenant_settings.settings) and State (checkpoints), on Boost.JSON.
// Settings are read strictly (unknown keys, wrong types and out-of-range values are errors); a
// state is read back exactly as StateJson wrote it (a missing member keeps its default, so a
// checkpoint written before a member existed still resumes).
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/json.hpp"
#include "pipeline/engine.hpp"

namespace fleet::pipeline {
namespace {

namespace json = boost::json;

struct SettingField {
    const char* name;
    double Settings::*member;
    double min, max;
};

constexpr SettingField kSettingFields[] = {
    {"min_trip_distance_m", &Settings::min_trip_distance_m, 0, 1e6},
    {"min_trip_duration_s", &Settings::min_trip_duration_s, 0, 86400},
    {"min_stop_duration_s", &Settings::min_stop_duration_s, 1, 86400},
    {"moving_speed_kmh", &Settings::moving_speed_kmh, 0.1, 100},
    {"idle_event_s", &Settings::idle_event_s, 1, 86400},
    {"default_speed_limit_kmh", &Settings::default_speed_limit_kmh, 1, 500},
    {"overspeed_min_duration_s", &Settings::overspeed_min_duration_s, 0, 3600},
    {"max_speed_kmh", &Settings::max_speed_kmh, 10, 2000},
    {"harsh_acceleration_mps2", &Settings::harsh_acceleration_mps2, 0.5, 50},
    {"harsh_braking_mps2", &Settings::harsh_braking_mps2, 0.5, 50},
    {"gps_lost_s", &Settings::gps_lost_s, 1, 7 * 86400},
    {"low_battery_v", &Settings::low_battery_v, 0, 100},
    {"refuel_min_l", &Settings::refuel_min_l, 0.1, 10000},
    {"fuel_drop_min_l", &Settings::fuel_drop_min_l, 0.1, 10000},
    {"tank_l", &Settings::tank_l, 0, 10000},
    {"eco_weight_harsh", &Settings::eco_weight_harsh, 0, 100},
    {"eco_weight_speeding", &Settings::eco_weight_speeding, 0, 100},
    {"eco_weight_idle", &Settings::eco_weight_idle, 0, 100},
    {"offline_after_s", &Settings::offline_after_s, 60, 30 * 86400},
};

std::optional<double> Number(const json::value& v) {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return std::nullopt;
}

// ---- State: one list of members (Members), walked by a writer and by a reader ----

template <typename V>
void Members(Mark& m, V& v) {
    v("t", m.time);
    v("lat", m.lat);
    v("lon", m.lon);
    v("odo", m.odometer_m);
}

template <typename V>
void Members(TripState& t, V& v) {
    v("start", t.start);
    v("confirmed", t.confirmed);
    v("max_speed_kmh", t.max_speed_kmh);
    v("idle_s", t.idle_s);
    v("overspeed_s", t.overspeed_s);
    v("engine_s", t.engine_s);
    v("harsh_acceleration", t.harsh_acceleration);
    v("harsh_braking", t.harsh_braking);
    v("harsh_cornering", t.harsh_cornering);
    v("start_fuel_used_l", t.start_fuel_used_l);
    v("start_fuel_level_l", t.start_fuel_level_l);
    v("pending_idle_s", t.pending_idle_s);
    v("refuelled_l", t.refuelled_l);
    v("driver_id", t.driver_id);
    v("stop_engine_s_at_start", t.stop_engine_s_at_start);
}

template <typename V>
void Members(StopState& s, V& v) {
    v("open", s.open);
    v("at", s.at);
    v("engine_on_s", s.engine_on_s);
    v("driver_id", s.driver_id);
}

template <typename V>
void Members(OpenVisit& o, V& v) {
    v("geofence_id", o.geofence_id);
    v("enter_time", o.enter_time);
    v("driver_id", o.driver_id);
}

template <typename V>
void Members(OverspeedState& o, V& v) {
    v("since", o.since);
    v("lat", o.lat);
    v("lon", o.lon);
    v("max_speed_kmh", o.max_speed_kmh);
    v("limit_kmh", o.limit_kmh);
    v("geofence_id", o.geofence_id);
}

template <typename V>
void Members(FuelState& f, V& v) {
    v("window", f.window);
    v("smoothed_l", f.smoothed_l);
    v("low", f.low);
    v("low_l", f.low_l);
    v("high", f.high);
    v("high_l", f.high_l);
    v("has_low", f.has_low);
    v("has_high", f.has_high);
    v("episode", f.episode);
    v("extreme_l", f.extreme_l);
    v("since_extreme", f.since_extreme);
}

template <typename V>
void Members(State& s, V& v) {
    v("last_time", s.last_time);
    v("in_trip", s.in_trip);
    v("fix", s.fix);
    v("fix_speed_kmh", s.fix_speed_kmh);
    v("rejected_jumps", s.rejected_jumps);
    v("last_valid_time", s.last_valid_time);
    v("reporting_since", s.reporting_since);
    v("gps_lost", s.gps_lost);
    v("prev_moving", s.prev_moving);
    v("ignition_reported", s.ignition_reported);
    v("ignition", s.ignition);
    v("device_odometer_m", s.device_odometer_m);
    v("odometer_m", s.odometer_m);
    v("engine_s", s.engine_s);
    v("in_stop_candidate", s.in_stop_candidate);
    v("stationary", s.stationary);
    v("trip", s.trip);
    v("stop", s.stop);
    v("idle_since", s.idle_since);
    v("idle_raised", s.idle_raised);
    v("overspeed", s.overspeed);
    v("visits", s.visits);
    v("accel_episode", s.accel_episode);
    v("brake_episode", s.brake_episode);
    v("device_reports_harsh", s.device_reports_harsh);
    v("towing_raised", s.towing_raised);
    v("towing_fixes", s.towing_fixes);
    v("ignition_off_at", s.ignition_off_at);
    v("low_battery", s.low_battery);
    v("dtc_codes", s.dtc_codes);
    v("badge", s.badge);
    v("badge_driver_id", s.badge_driver_id);
    v("driver_id", s.driver_id);
    v("last_known_driver_id", s.last_known_driver_id);
    v("fuel", s.fuel);
    v("fuel_used_l", s.fuel_used_l);
}

struct Writer {
    json::object obj;

    void operator()(const char* k, const bool& v) { obj[k] = v; }
    void operator()(const char* k, const int& v) { obj[k] = v; }
    void operator()(const char* k, const int64_t& v) { obj[k] = v; }
    // Boost.JSON 1.81 parses a double to within an ulp, not exactly, and a resumed state must be
    // exact: integral values are numbers, others strings in their shortest exact form.
    void operator()(const char* k, const double& v) {
        if (v == std::trunc(v) && std::abs(v) < 9e15) {
            obj[k] = static_cast<int64_t>(v);
            return;
        }
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
        obj[k] = ec == std::errc{} ? json::value(std::string_view(buf, end - buf))
                                   : json::value(nullptr);
    }
    void operator()(const char* k, const std::string& v) { obj[k] = v; }
    void operator()(const char* k, const core::TimePoint& v) {
        obj[k] = v.time_since_epoch().count();
    }
    template <typename T>
    void operator()(const char* k, const std::optional<T>& v) {
        if (v) (*this)(k, *v);
    }
    template <typename T>
    void operator()(const char* k, const std::vector<T>& v) {
        json::array a;
        for (const auto& e : v) {
            Writer w;
            w("v", e);
            a.push_back(std::move(w.obj["v"]));
        }
        obj[k] = std::move(a);
    }
    template <typename T>
    auto operator()(const char* k, const T& v)
        -> decltype(Members(std::declval<T&>(), std::declval<Writer&>()), void()) {
        Writer w;
        Members(const_cast<T&>(v), w);
        obj[k] = std::move(w.obj);
    }
};

struct Reader {
    const json::object* obj;
    std::string error;

    const json::value* Find(const char* k) {
        if (!error.empty()) return nullptr;
        return obj->if_contains(k);
    }
    void Fail(const char* k) {
        if (error.empty()) error = fmt::format("state member '{}' has the wrong type", k);
    }
    void Read(const char* k, const json::value& j, bool& v) {
        if (j.is_bool())
            v = j.get_bool();
        else
            Fail(k);
    }
    void Read(const char* k, const json::value& j, int& v) {
        if (j.is_int64())
            v = static_cast<int>(j.get_int64());
        else
            Fail(k);
    }
    void Read(const char* k, const json::value& j, int64_t& v) {
        if (j.is_int64())
            v = j.get_int64();
        else
            Fail(k);
    }
    void Read(const char* k, const json::value& j, double& v) {
        if (auto n = Number(j)) {
            v = *n;
        } else if (j.is_string()) {
            std::string_view t = j.get_string();
            auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
            if (ec != std::errc{} || end != t.data() + t.size()) Fail(k);
        } else {
            Fail(k);
        }
    }
    void Read(const char* k, const json::value& j, std::string& v) {
        if (j.is_string())
            v = std::string(j.get_string());
        else
            Fail(k);
    }
    void Read(const char* k, const json::value& j, core::TimePoint& v) {
        if (j.is_int64())
            v = core::TimePoint{core::Millis{j.get_int64()}};
        else
            Fail(k);
    }
    template <typename T>
    void Read(const char* k, const json::value& j, std::optional<T>& v) {
        v.emplace();
        Read(k, j, *v);
    }
    template <typename T>
    void Read(const char* k, const json::value& j, std::vector<T>& v) {
        if (!j.is_array()) return Fail(k);
        v.clear();
        for (const auto& e : j.get_array()) {
            v.emplace_back();
            Read(k, e, v.back());
        }
    }
    template <typename T>
    auto Read(const char* k, const json::value& j, T& v)
        -> decltype(Members(v, std::declval<Reader&>()), void()) {
        if (!j.is_object()) return Fail(k);
        Reader r{&j.get_object(), {}};
        Members(v, r);
        if (!r.error.empty() && error.empty()) error = r.error;
    }
    template <typename T>
    void operator()(const char* k, T& v) {
        if (const json::value* j = Find(k)) Read(k, *j, v);
    }
};

}  // namespace

Result<Settings> ParseSettings(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return MakeError(fmt::format("settings are not valid JSON: {}", ec.message()));
    if (!v.is_object()) return MakeError("settings must be a JSON object");
    Settings s;
    for (const auto& [key, value] : v.get_object()) {
        const SettingField* field = nullptr;
        for (const auto& f : kSettingFields) {
            if (key == f.name) field = &f;
        }
        if (field == nullptr) {
            return MakeError(
                fmt::format("unknown setting '{}'", std::string_view(key).substr(0, 64)));
        }
        auto n = Number(value);
        if (!n || !std::isfinite(*n))
            return MakeError(fmt::format("setting '{}' must be a number", field->name));
        if (*n < field->min || *n > field->max) {
            return MakeError(fmt::format("setting '{}' must be between {} and {}", field->name,
                                         field->min, field->max));
        }
        s.*(field->member) = *n;
    }
    return s;
}

std::string SettingsJson(const Settings& s) {
    // The house's number writer (300, 11.8), not Boost's (3E2, 1.18E1): people read these.
    std::string out = "{";
    for (const auto& f : kSettingFields) {
        if (out.size() > 1) out += ',';
        core::AppendJsonString(out, f.name);
        out += ':';
        core::AppendJsonNumber(out, s.*(f.member));
    }
    out += '}';
    return out;
}

std::string StateJson(const State& s) {
    Writer w;
    Members(const_cast<State&>(s), w);
    return json::serialize(w.obj);
}

Result<State> ParseState(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return MakeError(fmt::format("state is not valid JSON: {}", ec.message()));
    if (!v.is_object()) return MakeError("state must be a JSON object");
    State s;
    Reader r{&v.get_object(), {}};
    Members(s, r);
    if (!r.error.empty()) return MakeError(r.error);
    return s;
}

}  // namespace fleet::pipeline
