// The JSON body of Traccar Client 9+ (protocols.md 3.2): the background-geolocation SDK's location
// object plus device_id.
#include "protocol/osmand/osmand.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "protocol/osmand/detail/position.hpp"

namespace fleet::protocol::osmand::detail {

namespace json = boost::json;

namespace {

std::string_view View(json::string_view s) {
    return {s.data(), s.size()};
}

// One JSON object and its path from the root ("location.coords"), for error messages. Each getter
// returns nullopt for a missing or null member and an error for a member of another type.
class Fields {
public:
    Fields(const json::object& obj, std::string path) : obj_(&obj), path_(std::move(path)) {}

    std::string PathOf(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    Result<std::optional<double>> Number(std::string_view key) const {
        const json::value* v = Find(key);
        if (v == nullptr) return std::optional<double>();
        if (v->is_int64()) return std::optional<double>(static_cast<double>(v->get_int64()));
        if (v->is_uint64()) return std::optional<double>(static_cast<double>(v->get_uint64()));
        if (v->is_double() && std::isfinite(v->get_double()))
            return std::optional<double>(v->get_double());
        return Wrong(key, "a number");
    }

    Result<std::optional<bool>> Bool(std::string_view key) const {
        const json::value* v = Find(key);
        if (v == nullptr) return std::optional<bool>();
        if (v->is_bool()) return std::optional<bool>(v->get_bool());
        return Wrong(key, "a boolean");
    }

    Result<std::optional<std::string_view>> String(std::string_view key) const {
        const json::value* v = Find(key);
        if (v == nullptr) return std::optional<std::string_view>();
        if (v->is_string()) return std::optional<std::string_view>(View(v->get_string()));
        return Wrong(key, "a string");
    }

    Result<std::optional<Fields>> Object(std::string_view key) const {
        const json::value* v = Find(key);
        if (v == nullptr) return std::optional<Fields>();
        if (v->is_object()) return std::optional<Fields>(Fields(v->get_object(), PathOf(key)));
        return Wrong(key, "an object");
    }

    const json::object& object() const { return *obj_; }

private:
    const json::value* Find(std::string_view key) const {
        const json::value* v = obj_->if_contains(json::string_view(key.data(), key.size()));
        return v == nullptr || v->is_null() ? nullptr : v;
    }
    Error Wrong(std::string_view key, std::string_view what) const {
        return MakeError(fmt::format("{} must be {}", PathOf(key), what));
    }

    const json::object* obj_;
    std::string path_;
};

// extras: free typed values (protocols.md 3.2), kept as attributes under their own names.
Result<void> ApplyExtras(PositionBuilder& b, const json::object& extras) {
    for (const auto& kv : extras) {
        std::string_view name = View(kv.key());
        const json::value& v = kv.value();
        Result<void> ok;
        switch (v.kind()) {
            case json::kind::null: break;
            case json::kind::bool_: ok = b.SetAttribute(name, v.get_bool()); break;
            case json::kind::int64: ok = b.SetAttribute(name, v.get_int64()); break;
            case json::kind::uint64:
                ok = v.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                         ? b.SetAttribute(name, static_cast<int64_t>(v.get_uint64()))
                         : b.SetAttribute(name, static_cast<double>(v.get_uint64()));
                break;
            case json::kind::double_: ok = b.SetAttribute(name, v.get_double()); break;
            case json::kind::string:
                ok = b.SetAttribute(name, std::string(View(v.get_string())));
                break;
            // Nested values stay as their JSON text, bounded like any string attribute.
            case json::kind::array:
            case json::kind::object: ok = b.SetAttribute(name, json::serialize(v)); break;
        }
        if (!ok) return ok;
    }
    return {};
}

Result<void> ApplyCoords(PositionBuilder& b, const Fields& coords) {
    auto lat = coords.Number("latitude");  // degrees
    if (!lat) return lat.error();
    auto lon = coords.Number("longitude");  // degrees
    if (!lon) return lon.error();
    if (!*lat || !*lon) return MakeError("missing lat/lon");
    if (auto ok = b.SetLat(**lat); !ok) return ok;
    if (auto ok = b.SetLon(**lon); !ok) return ok;
    auto accuracy = coords.Number("accuracy");  // metres, -1 unknown
    if (!accuracy) return accuracy.error();
    if (*accuracy) {
        if (auto ok = b.SetAccuracy(**accuracy); !ok) return ok;
    }
    auto speed = coords.Number("speed");  // m/s, -1 unknown
    if (!speed) return speed.error();
    if (*speed) {
        if (auto ok = b.SetSpeedKmh(**speed * kMetresPerSecondToKmh); !ok) return ok;
    }
    auto heading = coords.Number("heading");  // degrees, -1 unknown
    if (!heading) return heading.error();
    if (*heading) {
        if (auto ok = b.SetCourse(**heading); !ok) return ok;
    }
    auto altitude = coords.Number("altitude");  // metres
    if (!altitude) return altitude.error();
    if (*altitude) return b.SetAltitude(**altitude);
    return {};
}

Result<void> ApplyBattery(PositionBuilder& b, const Fields& battery) {
    auto level = battery.Number("level");  // fraction 0..1, -1 unknown
    if (!level) return level.error();
    if (*level && **level >= 0) {
        if (!(**level <= 1))
            return MakeError(fmt::format("{} out of range: {}", battery.PathOf("level"), **level));
        // Two decimals: 0.79 × 100 is 79.00000000000001 in binary.
        if (auto ok = b.SetBatteryPct(std::round(**level * 10000) / 100); !ok) return ok;
    }
    auto charging = battery.Bool("is_charging");
    if (!charging) return charging.error();
    if (*charging) return b.SetCharging(**charging);
    return {};
}

Result<void> ApplyLocation(PositionBuilder& b, const Fields& location) {
    // Extras first: the known fields below win over an extra of the same name.
    auto extras = location.Object("extras");
    if (!extras) return extras.error();
    if (*extras) {
        if (auto ok = ApplyExtras(b, (*extras)->object()); !ok) return ok;
    }
    auto timestamp = location.String("timestamp");  // ISO 8601
    if (!timestamp) return timestamp.error();
    if (*timestamp) {
        auto t = ParseTimestamp(**timestamp);
        if (!t) return t.error();
        b.SetTime(*t);
    }
    auto coords = location.Object("coords");
    if (!coords) return coords.error();
    if (!*coords) return MakeError("missing " + location.PathOf("coords"));
    if (auto ok = ApplyCoords(b, **coords); !ok) return ok;

    auto moving = location.Bool("is_moving");
    if (!moving) return moving.error();
    if (*moving) {
        if (auto ok = b.SetAttribute("motion", **moving); !ok) return ok;
    }
    auto mock = location.Bool("mock");  // the phone says the location is simulated
    if (!mock) return mock.error();
    if (*mock) {
        if (auto ok = b.SetAttribute("mock", **mock); !ok) return ok;
    }
    auto odometer = location.Number("odometer");  // metres
    if (!odometer) return odometer.error();
    if (*odometer) {
        if (auto ok = b.SetOdometer(**odometer); !ok) return ok;
    }
    auto event = location.String("event");  // motionchange, heartbeat, ...
    if (!event) return event.error();
    if (*event) {
        if (auto ok = b.SetAttribute("event", std::string(**event)); !ok) return ok;
    }
    auto battery = location.Object("battery");
    if (!battery) return battery.error();
    if (*battery) {
        if (auto ok = ApplyBattery(b, **battery); !ok) return ok;
    }
    auto activity = location.Object("activity");
    if (!activity) return activity.error();
    if (*activity) {
        auto type = (*activity)->String("type");  // still, walking, in_vehicle, ...
        if (!type) return type.error();
        if (*type) return b.SetAttribute("activity", std::string(**type));
    }
    return {};
}

}  // namespace

Result<core::Decoded> DecodeJson(std::string_view body, core::TimePoint now) {
    if (body.size() > kMaxBodyBytes) {
        return MakeError(
            fmt::format("body too large: {} bytes (limit {})", body.size(), kMaxBodyBytes));
    }
    // One arena per request: the tree lives only while this function runs. Depth stays at the
    // parser's default limit (32).
    json::monotonic_resource arena;
    boost::system::error_code ec;
    json::value root = json::parse(json::string_view(body.data(), body.size()), ec, &arena);
    if (ec) return MakeError("bad JSON: " + ec.message());
    if (!root.is_object()) return MakeError("bad JSON: the body must be an object");
    Fields top(root.get_object(), "");
    PositionBuilder b;
    auto id = top.String("device_id");
    if (!id) return id.error();
    if (!*id) return MakeError("missing id");
    if (auto ok = b.SetId(**id); !ok) return ok.error();
    auto location = top.Object("location");
    if (!location) return location.error();
    if (!*location) return MakeError("missing location");
    if (auto ok = ApplyLocation(b, **location); !ok) return ok.error();
    return std::move(b).Finish(now);
}

}  // namespace fleet::protocol::osmand::detail
