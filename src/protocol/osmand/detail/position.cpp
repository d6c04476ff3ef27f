#include "protocol/osmand/detail/position.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

#include "core/time.hpp"

namespace fleet::protocol::osmand::detail {

namespace {

using core::TimePoint;

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

// 1970-01-01 .. 9999-12-31T23:59:59.999Z: what FormatIso and the store can represent.
constexpr int64_t kMaxMillis = 253402300799999;

Result<TimePoint> InRange(TimePoint t, std::string_view text) {
    int64_t ms = t.time_since_epoch().count();
    if (ms < 0 || ms > kMaxMillis) return MakeError("timestamp out of range: " + Quote(text));
    return t;
}

Error Invalid(std::string_view what, double v) {
    return MakeError(fmt::format("{} out of range: {}", what, v));
}

}  // namespace

std::string Quote(std::string_view s) {
    constexpr size_t kMax = 64;
    std::string out = "'";
    for (size_t i = 0; i < s.size() && i < kMax; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') {
            out.push_back(static_cast<char>(c));
        } else {
            fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
        }
    }
    out += s.size() > kMax ? "'..." : "'";
    return out;
}

bool IsCleanText(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F) return false;
            ++i;
            continue;
        }
        // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
        size_t n = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (i + n > s.size()) return false;
        auto c1 = static_cast<unsigned char>(s[i + 1]);
        if (c1 < lo || c1 > hi) return false;
        for (size_t k = 2; k < n; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        }
        i += n;
    }
    return true;
}

std::string_view Trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

Result<double> ParseNumber(std::string_view name, std::string_view text) {
    std::string_view t = Trim(text);
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    double v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size() || !std::isfinite(v)) {
        return MakeError(fmt::format("{} is not a number: {}", name, Quote(text)));
    }
    return v;
}

Result<bool> ParseFlag(std::string_view name, std::string_view text) {
    std::string lower(Trim(text));
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (lower == "true" || lower == "1") return true;
    if (lower == "false" || lower == "0") return false;
    return MakeError(fmt::format("{} is not a boolean: {}", name, Quote(text)));
}

Result<TimePoint> ParseTimestamp(std::string_view text) {
    std::string_view t = Trim(text);
    if (!t.empty() && (IsDigit(t.front()) || t.front() == '-') &&
        std::all_of(t.begin() + 1, t.end(), IsDigit)) {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec == std::errc::result_out_of_range || (ec == std::errc{} && v < 0)) {
            return MakeError("timestamp out of range: " + Quote(text));
        }
        if (ec != std::errc{} || end != t.data() + t.size()) {
            return MakeError("bad timestamp: " + Quote(text));
        }
        // traccar: a value below Integer.MAX_VALUE is seconds, anything else milliseconds.
        constexpr int64_t kSecondsBelow = std::numeric_limits<int32_t>::max();
        return InRange(TimePoint{core::Millis{v < kSecondsBelow ? v * 1000 : v}}, text);
    }
    std::string iso(t);
    if (iso.find('T') != std::string::npos) {
        // "…T18:55:47+02:00" sent with a raw '+' reaches us as "…T18:55:47 02:00".
        std::replace(iso.begin(), iso.end(), ' ', '+');
    }
    auto parsed = core::ParseIso(iso);
    if (!parsed) return MakeError("bad timestamp: " + Quote(text));
    return InRange(*parsed, text);
}

core::AttrValue ParseLooseValue(std::string_view text) {
    if (text == "true") return true;
    if (text == "false") return false;
    if (text.empty()) return std::string();
    std::string_view digits = text.front() == '-' ? text.substr(1) : text;
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(), IsDigit)) {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        bool leading_zero = digits.size() > 1 && digits.front() == '0';
        if (ec == std::errc{} && end == text.data() + text.size() && !leading_zero) return v;
        return std::string(text);
    }
    double d = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), d, std::chars_format::general);
    if (ec == std::errc{} && end == text.data() + text.size() && std::isfinite(d)) return d;
    return std::string(text);
}

PositionBuilder::PositionBuilder() {
    record_.valid = true;
}

Result<void> PositionBuilder::SetId(std::string_view id) {
    bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7F; });
    if (id.empty() || id.size() > kMaxIdBytes || !printable) {
        return MakeError("bad id: " + Quote(id) +
                         " (want 1-64 printable ASCII characters, no spaces)");
    }
    if (!id_.empty() && id_ != id)
        return MakeError("conflicting ids: " + Quote(id_) + " and " + Quote(id));
    id_ = std::string(id);
    return {};
}

Result<void> PositionBuilder::SetLat(double lat) {
    if (!(lat >= -90 && lat <= 90)) return Invalid("lat", lat);
    lat_ = lat;
    return {};
}

Result<void> PositionBuilder::SetLon(double lon) {
    if (!(lon >= -180 && lon <= 180)) return Invalid("lon", lon);
    lon_ = lon;
    return {};
}

Result<void> PositionBuilder::SetSpeedKmh(double kmh) {
    // Faster than any vehicle that reports over OsmAnd; also keeps knots × 1.852 finite.
    constexpr double kMaxKmh = 100000;
    if (!(kmh <= kMaxKmh)) return MakeError(fmt::format("speed out of range: {} km/h", kmh));
    record_.speed_kmh = kmh < 0 ? 0 : kmh;
    return {};
}

Result<void> PositionBuilder::SetCourse(double deg) {
    if (!(deg <= 360)) return Invalid("course", deg);
    record_.course_deg = deg < 0 || deg == 360 ? 0 : deg;
    return {};
}

Result<void> PositionBuilder::SetAltitude(double metres) {
    constexpr double kMaxAltitude = 1e6;
    if (!(std::fabs(metres) <= kMaxAltitude)) return Invalid("altitude", metres);
    record_.altitude_m = metres;
    return {};
}

Result<void> PositionBuilder::SetHdop(double hdop) {
    constexpr double kMaxHdop = 1000;
    if (!(hdop >= 0 && hdop <= kMaxHdop)) return Invalid("hdop", hdop);
    record_.hdop = hdop;
    return {};
}

Result<void> PositionBuilder::SetSatellites(double count) {
    if (!(count >= 0 && count <= 255) || count != std::floor(count))
        return Invalid("satellites", count);
    record_.satellites = static_cast<int>(count);
    return {};
}

Result<void> PositionBuilder::SetAccuracy(double metres) {
    if (metres < 0) return {};
    if (!(metres <= 1e7)) return Invalid("accuracy", metres);
    return Store("accuracy_m", metres);
}

Result<void> PositionBuilder::SetBatteryPct(double pct) {
    if (pct < 0) return {};
    if (!(pct <= 100)) return Invalid("battery", pct);
    return Store("battery_pct", pct);
}

Result<void> PositionBuilder::SetOdometer(double metres) {
    // 10^12 m is 25 million times round the earth: anything above is not an odometer.
    if (!(metres >= 0 && metres <= 1e12)) return Invalid("odometer", metres);
    return Store("odometer_m", metres);
}

Result<void> PositionBuilder::SetAttribute(std::string_view name, core::AttrValue value) {
    if (const auto* s = std::get_if<std::string>(&value)) {
        if (auto ok = CheckText(name, *s); !ok) return ok;
    } else if (const auto* d = std::get_if<double>(&value); d && !std::isfinite(*d)) {
        return MakeError(fmt::format("attribute {} is not a finite number", Quote(name)));
    }
    return Store(name, std::move(value));
}

Result<void> PositionBuilder::AppendAttribute(std::string_view name, std::string_view value) {
    if (auto ok = CheckText(name, value); !ok) return ok;
    if (value.find(';') != std::string_view::npos) {
        return MakeError(
            fmt::format("attribute {} must not contain ';': {}", Quote(name), Quote(value)));
    }
    std::string joined;
    if (const auto* old = core::FindAttribute(record_.attributes, name)) {
        if (const auto* s = std::get_if<std::string>(old)) joined = *s + ";";
    }
    // The length limit holds per entry: kMaxParams bounds the whole list.
    joined += value;
    return Store(name, std::move(joined));
}

Result<void> PositionBuilder::CheckText(std::string_view name, std::string_view value) {
    if (value.size() > kMaxValueBytes) {
        return MakeError(fmt::format("attribute {} too long: {} bytes (limit {})", Quote(name),
                                     value.size(), kMaxValueBytes));
    }
    if (!IsCleanText(value)) {
        return MakeError(
            fmt::format("attribute {} is not UTF-8 text without control characters: {}",
                        Quote(name), Quote(value)));
    }
    return {};
}

Result<void> PositionBuilder::Store(std::string_view name, core::AttrValue value) {
    bool printable =
        std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7F; });
    if (name.empty() || name.size() > kMaxNameBytes || !printable) {
        return MakeError("bad attribute name: " + Quote(name));
    }
    auto& attrs = record_.attributes;
    if (core::FindAttribute(attrs, name) == nullptr && attrs.size() >= kMaxAttributes) {
        return MakeError(fmt::format("too many attributes: more than {}", kMaxAttributes));
    }
    core::SetAttribute(attrs, std::string(name), std::move(value));
    return {};
}

Result<core::Decoded> PositionBuilder::Finish(TimePoint now) && {
    if (id_.empty()) return MakeError("missing id");
    if (!lat_ || !lon_) return MakeError("missing lat/lon");
    record_.lat = *lat_;
    record_.lon = *lon_;
    record_.device_time = time_.value_or(now);
    core::Decoded out;
    core::Message& m = out.messages.emplace_back();
    m.type = core::MessageType::kPosition;
    m.imei = std::move(id_);
    m.record = std::move(record_);
    return out;
}

}  // namespace fleet::protocol::osmand::detail
