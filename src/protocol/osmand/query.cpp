// The query/form format of protocols.md 3.1: decoding (DecodeParams) and the simulator's encoder
// (EncodeQuery).
#include "protocol/osmand/osmand.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "protocol/osmand/detail/position.hpp"

namespace fleet::protocol::osmand {

namespace {

using detail::PositionBuilder;
using detail::Quote;

// Query parameter ↔ attribute names of the known attributes (protocols.md 3.1).
struct Rename {
    std::string_view param;
    std::string_view attribute;
};
constexpr Rename kRenames[] = {
    {"accuracy", "accuracy_m"},      {"batt", "battery_pct"},    {"charge", "charging"},
    {"driverUniqueId", "driver_id"}, {"odometer", "odometer_m"},
};

// Parameters with a meaning of their own: an attribute of that name is not encoded (it would decode
// as the field, not as itself).
constexpr std::string_view kFieldParams[] = {
    "id",       "deviceid", "valid",   "timestamp",      "lat",      "lon", "location",
    "speed",    "bearing",  "heading", "altitude",       "hdop",     "sat", "satellites",
    "accuracy", "batt",     "charge",  "driverUniqueId", "odometer",
};

bool IsInteger(std::string_view s) {
    if (!s.empty() && s.front() == '-') s.remove_prefix(1);
    if (s.empty() || s.size() > 10) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Splits `s` at `sep` into at most `max` parts; returns the count (max + 1 when there are more).
size_t Split(std::string_view s, char sep, std::string_view* parts, size_t max) {
    size_t n = 0;
    while (true) {
        size_t pos = s.find(sep);
        if (n == max) return max + 1;
        parts[n++] = s.substr(0, pos);
        if (pos == std::string_view::npos) return n;
        s.remove_prefix(pos + 1);
    }
}

// protocols.md 3.1: cell = mcc,mnc,lac,cid[,rssi] (integers, traccar parses each with parseInt).
Result<void> CheckCell(std::string_view v) {
    std::string_view parts[5];
    size_t n = Split(v, ',', parts, 5);
    bool ok = (n == 4 || n == 5) && std::all_of(parts, parts + n, IsInteger);
    if (!ok) return MakeError("bad cell: " + Quote(v) + " (want mcc,mnc,lac,cid[,rssi])");
    return {};
}

// protocols.md 3.1: wifi = mac,rssi with '-' (or ':') between the six hex bytes of the MAC.
Result<void> CheckWifi(std::string_view v) {
    std::string_view parts[2];
    size_t n = Split(v, ',', parts, 2);
    auto hex = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    };
    bool mac = n == 2 && parts[0].size() == 17;
    for (size_t i = 0; mac && i < 17; ++i) {
        char c = parts[0][i];
        mac = i % 3 == 2 ? (c == '-' || c == ':') : hex(c);
    }
    if (!mac || !IsInteger(parts[1]))
        return MakeError("bad wifi: " + Quote(v) + " (want mac,rssi)");
    return {};
}

// One decoded parameter into the builder. Known names per protocols.md 3.1; units in the comments.
Result<void> Apply(PositionBuilder& b, std::string_view key, std::string_view value) {
    auto number = [&](auto set) -> Result<void> {
        auto v = detail::ParseNumber(key, value);
        if (!v) return v.error();
        return set(*v);
    };
    if (key == "id" || key == "deviceid") return b.SetId(value);
    if (key == "valid") {
        auto v = detail::ParseFlag(key, value);
        if (!v) return v.error();
        b.SetValid(*v);
        return {};
    }
    if (key == "timestamp") {
        auto t = detail::ParseTimestamp(value);
        if (!t) return t.error();
        b.SetTime(*t);
        return {};
    }
    if (key == "lat") return number([&](double v) { return b.SetLat(v); });  // degrees
    if (key == "lon") return number([&](double v) { return b.SetLon(v); });  // degrees
    if (key == "location") {                                                 // "lat,lon"
        size_t comma = value.find(',');
        if (comma == std::string_view::npos)
            return MakeError("bad location: " + Quote(value) + " (want lat,lon)");
        auto lat = detail::ParseNumber("lat", value.substr(0, comma));
        if (!lat) return lat.error();
        auto lon = detail::ParseNumber("lon", value.substr(comma + 1));
        if (!lon) return lon.error();
        if (auto ok = b.SetLat(*lat); !ok) return ok;
        return b.SetLon(*lon);
    }
    if (key == "speed") {  // knots
        return number([&](double v) { return b.SetSpeedKmh(v * detail::kKnotsToKmh); });
    }
    if (key == "bearing" || key == "heading")
        return number([&](double v) { return b.SetCourse(v); });
    if (key == "altitude") return number([&](double v) { return b.SetAltitude(v); });  // metres
    if (key == "accuracy") return number([&](double v) { return b.SetAccuracy(v); });  // metres
    if (key == "hdop") return number([&](double v) { return b.SetHdop(v); });
    if (key == "sat" || key == "satellites")
        return number([&](double v) { return b.SetSatellites(v); });
    if (key == "batt") return number([&](double v) { return b.SetBatteryPct(v); });    // percent
    if (key == "odometer") return number([&](double v) { return b.SetOdometer(v); });  // metres
    if (key == "charge") {
        auto v = detail::ParseFlag(key, value);
        if (!v) return v.error();
        return b.SetCharging(*v);
    }
    if (key == "driverUniqueId") return b.SetAttribute("driver_id", std::string(value));
    if (key == "cell") {
        if (auto ok = CheckCell(value); !ok) return ok;
        return b.AppendAttribute("cell", value);
    }
    if (key == "wifi") {
        if (auto ok = CheckWifi(value); !ok) return ok;
        return b.AppendAttribute("wifi", value);
    }
    return b.SetAttribute(key, detail::ParseLooseValue(value));
}

// A double that reads back as a double (ParseLooseValue turns "24" into an int64).
std::string FormatDouble(double v) {
    std::string s = fmt::format("{}", v);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

std::string Encode(std::string_view s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

}  // namespace

namespace detail {

Result<core::Decoded> DecodeParams(std::string_view query, core::TimePoint now) {
    if (query.size() > kMaxBodyBytes) {
        return MakeError(
            fmt::format("query too long: {} bytes (limit {})", query.size(), kMaxBodyBytes));
    }
    // Boost 1.81's parse_query validates `query` but builds its view with strlen(query.data())
    // (boostorg/url#757): it would read past a view that is not NUL-terminated. A valid query has
    // no NUL byte, so on a NUL-terminated copy strlen stops exactly at its end.
    const std::string terminated(query);
    auto params = boost::urls::parse_query(terminated);
    if (!params) return MakeError("bad query string: " + params.error().message());
    if (params->size() > kMaxParams)
        return MakeError(fmt::format("too many parameters: more than {}", kMaxParams));
    // application/x-www-form-urlencoded: '+' is a space (traccar's QueryStringDecoder does the
    // same).
    const boost::urls::encoding_opts plus_is_space(true);
    PositionBuilder b;
    for (auto p : *params) {
        std::string key = p.key.decode(plus_is_space);
        if (key.empty()) continue;  // "&&" or "=x": no parameter
        std::string value = p.has_value ? p.value.decode(plus_is_space) : std::string();
        if (auto ok = Apply(b, key, value); !ok) return ok.error();
    }
    return std::move(b).Finish(now);
}

}  // namespace detail

std::string EncodeQuery(std::string_view id, const core::Record& record) {
    using std::chrono::floor;
    using std::chrono::seconds;
    std::string out = "id=" + Encode(id);
    fmt::format_to(
        std::back_inserter(out), "&timestamp={}&lat={}&lon={}&speed={}&bearing={}&altitude={}",
        floor<seconds>(record.device_time).time_since_epoch().count(), record.lat, record.lon,
        record.speed_kmh / detail::kKnotsToKmh, record.course_deg, record.altitude_m);
    if (record.hdop) fmt::format_to(std::back_inserter(out), "&hdop={}", *record.hdop);
    if (record.satellites > 0)
        fmt::format_to(std::back_inserter(out), "&sat={}", record.satellites);
    if (!record.valid) out += "&valid=false";
    for (const auto& a : record.attributes) {
        std::string_view param = a.name;
        for (const auto& r : kRenames) {
            if (r.attribute == a.name) param = r.param;
        }
        bool renamed = param != a.name;
        if (!renamed && std::find(std::begin(kFieldParams), std::end(kFieldParams), param) !=
                            std::end(kFieldParams)) {
            continue;
        }
        const auto* text = std::get_if<std::string>(&a.value);
        if (text && (param == "cell" || param == "wifi")) {
            // Joined with ';' by the decoder: one parameter per entry again.
            std::string_view rest = *text;
            while (!rest.empty()) {
                size_t semi = std::min(rest.find(';'), rest.size());
                out += "&" + std::string(param) + "=" + Encode(rest.substr(0, semi));
                rest.remove_prefix(std::min(semi + 1, rest.size()));
            }
            continue;
        }
        std::string value;
        if (const auto* b = std::get_if<bool>(&a.value)) {
            value = *b ? "true" : "false";
        } else if (const auto* i = std::get_if<int64_t>(&a.value)) {
            value = std::to_string(*i);
        } else if (const auto* d = std::get_if<double>(&a.value)) {
            if (!std::isfinite(*d)) continue;
            // A known attribute decodes as a double anyway; a free one needs the decimal point.
            value = renamed ? fmt::format("{}", *d) : FormatDouble(*d);
        } else {
            value = Encode(*text);
        }
        out += "&" + Encode(param) + "=" + value;
    }
    return out;
}

}  // namespace fleet::protocol::osmand
