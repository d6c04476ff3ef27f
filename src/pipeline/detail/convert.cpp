#include "pipeline/detail/convert.hpp"

#include <fmt/format.h>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace fleet::pipeline::detail {
namespace {

namespace json = boost::json;

std::optional<double> Number(const json::value& v) {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return std::nullopt;
}

// [lon, lat] → (lat, lon).
std::optional<std::pair<double, double>> LatLon(const json::value& v) {
    const auto* a = v.if_array();
    if (a == nullptr || a->size() < 2) return std::nullopt;
    auto lon = Number((*a)[0]);
    auto lat = Number((*a)[1]);
    if (!lat || !lon) return std::nullopt;
    return std::make_pair(*lat, *lon);
}

Result<Geofence> ToGeofence(const store::StoredGeofence& g) {
    Geofence out;
    out.id = g.id;
    out.speed_limit_kmh = g.speed_limit_kmh;
    boost::system::error_code ec;
    json::value v = json::parse(g.geometry_json, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (o == nullptr) return MakeError("geometry is not a JSON object");
    const json::value* type = o->if_contains("type");
    const json::value* coords = o->if_contains("coordinates");
    if (type == nullptr || !type->is_string() || coords == nullptr) return MakeError("geometry has no type or coordinates");
    if (g.kind == "circle") {
        auto c = LatLon(*coords);
        if (type->get_string() != "Point" || !c || !g.radius_m) return MakeError("a circle needs a Point and a radius");
        out.circle = true;
        out.center_lat = c->first;
        out.center_lon = c->second;
        out.radius_m = *g.radius_m;
        return out;
    }
    const json::array* rings = coords->if_array();
    if (type->get_string() != "Polygon" || rings == nullptr || rings->empty() || !(*rings)[0].is_array()) {
        return MakeError("a polygon needs a Polygon with an outer ring");
    }
    for (const auto& p : (*rings)[0].get_array()) {
        auto ll = LatLon(p);
        if (!ll) return MakeError("a polygon's point is not [lon, lat]");
        out.ring.push_back(*ll);
    }
    if (out.ring.size() < 3) return MakeError("a polygon's ring has fewer than 3 points");
    return out;
}

}  // namespace

Point ToPoint(const store::PositionRow& row) {
    return ToPoint(row.device_time, row.lat, row.lon, row.speed_kmh, row.course_deg, row.valid, row.attributes_json);
}

namespace {

// What ToPoint reads of a position's attributes: the top-level members it knows, read as the JSON
// text is parsed (Boost.JSON's SAX parser), without building the document. The pipeline reads every
// position's attributes, and building a document a position (objects, their index, copies of
// every key) was most of the pipeline threads' work under load. Same results as reading the
// document: the last of duplicate keys wins, a value of the wrong type (or an array, an object,
// null) leaves its field empty, and text that is not one valid JSON object leaves every field empty.
class AttributeReader {
public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    using error_code = boost::system::error_code;
    using string_view = json::string_view;

    Point fields;         // the attribute fields only
    bool object = false;  // the document is an object

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_array_begin(error_code&) { return Nested(); }
    bool on_array_end(std::size_t, error_code&) { return --depth_, true; }
    bool on_object_begin(error_code&) {
        if (depth_ == 0) object = true;
        return Nested();
    }
    bool on_object_end(std::size_t, error_code&) { return --depth_, true; }
    bool on_string_part(string_view s, std::size_t, error_code&) {
        if (Top()) text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code&) {
        if (!Top()) return true;
        text_.append(s.data(), s.size());
        Assign(std::nullopt, std::nullopt, std::move(text_));
        text_.clear();
        return true;
    }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        if (depth_ == 1) key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        if (depth_ != 1) return true;
        key_.append(s.data(), s.size());
        field_ = Known(key_);
        key_.clear();
        return true;
    }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(int64_t i, string_view, error_code&) { return Number(static_cast<double>(i)); }
    bool on_uint64(uint64_t u, string_view, error_code&) { return Number(static_cast<double>(u)); }
    bool on_double(double d, string_view, error_code&) { return Number(d); }
    bool on_bool(bool b, error_code&) {
        if (Top()) Assign(b, std::nullopt, std::nullopt);
        return true;
    }
    bool on_null(error_code&) {
        if (Top()) Assign(std::nullopt, std::nullopt, std::nullopt);
        return true;
    }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    enum class Field { kNone, kIgnition, kMotion, kOdometer, kFuelUsed, kFuelLevelL, kFuelLevelPct, kVoltage,
                       kDriver, kAlarm, kDtc };

    static Field Known(std::string_view name) {
        static constexpr std::pair<std::string_view, Field> kFields[] = {
            {"ignition", Field::kIgnition},       {"motion", Field::kMotion},
            {"odometer_m", Field::kOdometer},     {"fuel_used_l", Field::kFuelUsed},
            {"fuel_level_l", Field::kFuelLevelL}, {"fuel_level_pct", Field::kFuelLevelPct},
            {"external_voltage_v", Field::kVoltage}, {"driver_id", Field::kDriver},
            {"alarm", Field::kAlarm},             {"dtc_codes", Field::kDtc},
        };
        for (const auto& [n, f] : kFields) {
            if (n == name) return f;
        }
        return Field::kNone;
    }

    // A value of a top-level member (the document's own members are at depth 1).
    bool Top() const { return depth_ == 1 && field_ != Field::kNone; }

    // An array or an object: as a member's value, it leaves that member's field empty.
    bool Nested() {
        if (Top()) Assign(std::nullopt, std::nullopt, std::nullopt);
        ++depth_;
        return true;
    }

    bool Number(double n) {
        if (Top()) Assign(n != 0, n, std::nullopt);
        return true;
    }

    // One member's value as a flag (a bool, or a number: not zero), a number and a text.
    void Assign(std::optional<bool> flag, std::optional<double> number, std::optional<std::string> text) {
        switch (field_) {
            case Field::kIgnition: fields.ignition = flag; break;
            case Field::kMotion: fields.motion = flag; break;
            case Field::kOdometer: fields.odometer_m = number; break;
            case Field::kFuelUsed: fields.fuel_used_l = number; break;
            case Field::kFuelLevelL: fields.fuel_level_l = number; break;
            case Field::kFuelLevelPct: fields.fuel_level_pct = number; break;
            case Field::kVoltage: fields.external_voltage_v = number; break;
            case Field::kDriver: fields.driver_badge = std::move(text); break;
            case Field::kAlarm: fields.alarm = std::move(text); break;
            case Field::kDtc: fields.dtc_codes = std::move(text); break;
            case Field::kNone: break;
        }
        field_ = Field::kNone;  // a member has one value
    }

    int depth_ = 0;
    Field field_ = Field::kNone;
    std::string key_;
    std::string text_;
};

}  // namespace

Point ToPoint(core::TimePoint time, double lat, double lon, double speed_kmh, double course_deg, bool valid,
              std::string_view attributes_json) {
    Point p;
    if (attributes_json.size() > 2) {  // not "{}"
        json::basic_parser<AttributeReader> parser{json::parse_options{}};
        boost::system::error_code ec;
        const std::size_t used = parser.write_some(false, attributes_json.data(), attributes_json.size(), ec);
        if (!ec && used == attributes_json.size() && parser.handler().object) p = std::move(parser.handler().fields);
    }
    p.time = time;
    p.lat = lat;
    p.lon = lon;
    p.speed_kmh = speed_kmh;
    p.course_deg = course_deg;
    p.valid = valid;
    return p;
}

namespace {

GeofenceList ParseGeofences(const std::vector<store::StoredGeofence>& rows, std::vector<std::string>& problems) {
    std::vector<Geofence> list;
    list.reserve(rows.size());
    for (const auto& g : rows) {
        if (auto f = ToGeofence(g); f) {
            list.push_back(std::move(*f));
        } else {
            problems.push_back(fmt::format("geofence {}: {} (left out)", g.id, f.error().message));
        }
    }
    return GeofenceList(std::move(list));
}

std::string Serialise(const std::vector<store::StoredGeofence>& rows) {
    std::string out;
    for (const auto& g : rows) {
        out += fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1e", g.id, g.kind, g.geometry_json,
                           g.radius_m ? fmt::format("{}", *g.radius_m) : "-",
                           g.speed_limit_kmh ? fmt::format("{}", *g.speed_limit_kmh) : "-");
    }
    return out;
}

}  // namespace

GeofenceList GeofenceCache::Get(int64_t tenant_id, const std::vector<store::StoredGeofence>& rows,
                                std::vector<std::string>& problems) {
    std::string key = Serialise(rows);
    auto it = by_tenant_.find(tenant_id);
    if (it != by_tenant_.end() && it->second.rows == key) return it->second.list;
    GeofenceList list = ParseGeofences(rows, problems);
    by_tenant_[tenant_id] = Entry{std::move(key), list};
    return list;
}

Context ToContext(int64_t device_id, const store::DeviceWorld& world, std::vector<std::string>& problems,
                  GeofenceCache* cache) {
    Context c;
    c.device_id = device_id;
    c.tenant_id = world.tenant_id;
    c.vehicle_id = world.vehicle_id;
    if (auto s = ParseSettings(world.settings_json); s) {
        c.settings = *s;
    } else {
        problems.push_back(fmt::format("tenant {} settings: {} (using the defaults)", world.tenant_id.value_or(0),
                                       s.error().message));
    }
    c.vehicle_speed_limit_kmh = world.vehicle_speed_limit_kmh;
    if (cache && world.tenant_id) {
        c.geofences = cache->Get(*world.tenant_id, world.geofences, problems);
    } else {
        c.geofences = ParseGeofences(world.geofences, problems);
    }
    c.badges = world.badges;
    for (const auto& a : world.assignments) c.assignments.push_back(Assignment{a.driver_id, a.from, a.to});
    return c;
}

std::string StoredEventKey(int64_t device_id, const Event& e) { return fmt::format("{}:{}", device_id, e.key()); }

void AppendOutput(int64_t device_id, const Output& out, store::DerivedChunk& chunk) {
    for (const auto& t : out.trips) {
        store::DerivedTrip r;
        r.start_time = t.start_time;
        r.end_time = t.end_time;
        r.start_lat = t.start_lat;
        r.start_lon = t.start_lon;
        r.end_lat = t.end_lat;
        r.end_lon = t.end_lon;
        r.start_odometer_m = t.start_odometer_m;
        r.end_odometer_m = t.end_odometer_m;
        r.distance_m = t.distance_m;
        r.max_speed_kmh = t.max_speed_kmh;
        r.avg_speed_kmh = t.avg_speed_kmh;
        r.idle_s = t.idle_s;
        r.overspeed_s = t.overspeed_s;
        r.harsh_acceleration = t.harsh_acceleration;
        r.harsh_braking = t.harsh_braking;
        r.harsh_cornering = t.harsh_cornering;
        r.fuel_used_l = t.fuel_used_l;
        r.eco_score = t.eco_score;
        r.driver_id = t.driver_id;
        chunk.trips.push_back(r);
    }
    for (const auto& s : out.stops) {
        chunk.stops.push_back(store::DerivedStop{s.start_time, s.end_time, s.lat, s.lon, s.odometer_m, s.engine_on_s,
                                                 s.driver_id});
    }
    for (const auto& v : out.visits) {
        chunk.visits.push_back(store::DerivedVisit{v.geofence_id, v.enter_time, v.exit_time, v.driver_id});
    }
    for (const auto& e : out.events) {
        store::DerivedEvent r;
        r.key = StoredEventKey(device_id, e);
        r.type = e.type;
        r.time = e.time;
        r.lat = e.lat;
        r.lon = e.lon;
        r.driver_id = e.driver_id;
        r.geofence_id = e.geofence_id;
        r.detail_json = e.detail_json;
        chunk.events.push_back(std::move(r));
    }
    chunk.odometer_m = out.odometer_m;
    chunk.engine_s = out.engine_s;
}

}  // namespace fleet::pipeline::detail
