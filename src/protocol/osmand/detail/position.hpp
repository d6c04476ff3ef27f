// Private to the osmand module: the limits, text checks, number parsing and the position builder
// shared by the query/form decoder (query.cpp) and the JSON decoder (json_body.cpp). Pure functions
// and a value type; thread-compatible.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/record.hpp"
#include "core/result.hpp"

namespace fleet::protocol::osmand::detail {

// A request body or target above this is refused before it is parsed (protocols.md 3: one location
// per request, so a real request is a few hundred bytes).
inline constexpr size_t kMaxBodyBytes = 64 * 1024;
// At most this many query/form parameters per request (cell and wifi repeat, so this is above
// kMaxAttributes).
inline constexpr size_t kMaxParams = 256;
// At most this many attributes per record, known ones included.
inline constexpr size_t kMaxAttributes = 64;
// Attribute names and string values are at most this many bytes (a joined cell/wifi list: each
// entry).
inline constexpr size_t kMaxNameBytes = 256;
inline constexpr size_t kMaxValueBytes = 256;
// Device ids: 1-64 printable ASCII characters without spaces (protocols.md 3.1: `id`/`deviceid`).
inline constexpr size_t kMaxIdBytes = 64;

inline constexpr double kMetresPerSecondToKmh = 3.6;
inline constexpr double kKnotsToKmh = 1.852;

// `s` for an error message: at most 64 bytes, quoted, bytes outside printable ASCII as \xNN.
std::string Quote(std::string_view s);

// True if `s` is valid UTF-8 with no control character (C0, DEL).
bool IsCleanText(std::string_view s);

// Strips ASCII spaces, tabs, CR and LF at both ends.
std::string_view Trim(std::string_view s);

// A decimal number for the field `name` ("lat", "location.coords.speed"): surrounding spaces and a
// leading '+' are allowed (a '+' in a query decodes to a space). Errors: "<name> is not a number:
// '...'" for text, NaN, infinities and out-of-range exponents.
Result<double> ParseNumber(std::string_view name, std::string_view text);

// "true"/"false"/"1"/"0" (true and false in any case). Error: "<name> is not a boolean: '...'".
Result<bool> ParseFlag(std::string_view name, std::string_view text);

// A timestamp as protocols.md 3.1 allows it: an integer (Unix seconds when below 2^31-1, else
// milliseconds, traccar's rule), ISO 8601 (a '+' offset that the query decoding turned into a space
// is restored), or "yyyy-MM-dd HH:mm:ss" (UTC). Errors: unparseable text, a time before 1970 or
// after 9999.
Result<core::TimePoint> ParseTimestamp(std::string_view text);

// The typed value of a free-form parameter, traccar's rule (protocols.md 3.1 "anything else"):
// "true"/"false" → bool; an integer without leading zeros that fits → int64; a finite decimal →
// double; anything else (identifiers with leading zeros, 20-digit ICCIDs, text) → string.
core::AttrValue ParseLooseValue(std::string_view text);

// Collects one position and checks every value on the way in. Each setter returns a one-line error
// for a value out of range; Finish checks what is mandatory and builds the message.
class PositionBuilder {
public:
    PositionBuilder();

    // The device id; a second, different id in the same request is an error.
    Result<void> SetId(std::string_view id);
    Result<void> SetLat(double lat);
    Result<void> SetLon(double lon);
    void SetTime(core::TimePoint t) { time_ = t; }
    // Speed in km/h; a negative value means unknown (0).
    Result<void> SetSpeedKmh(double kmh);
    // Course in degrees; a negative value means unknown (0); 360 is north.
    Result<void> SetCourse(double deg);
    Result<void> SetAltitude(double metres);
    Result<void> SetHdop(double hdop);
    Result<void> SetSatellites(double count);
    void SetValid(bool valid) { record_.valid = valid; }

    // The known attributes (protocols.md 3.1 and 3.2), each under its snake_case name with its
    // unit. accuracy_m: metres, a negative value means unknown (not stored).
    Result<void> SetAccuracy(double metres);
    // battery_pct: 0-100, a negative value means unknown (not stored).
    Result<void> SetBatteryPct(double pct);
    Result<void> SetCharging(bool charging) { return Store("charging", charging); }
    // odometer_m: the device's own odometer in metres (traccar's unit for its `odometer` key).
    Result<void> SetOdometer(double metres);

    // Sets (or replaces) the attribute `name`. Errors: a name that is empty, longer than 256 bytes
    // or not printable ASCII; a string value over 256 bytes, not UTF-8 or with a control character;
    // a non-finite double; more than 64 attributes.
    Result<void> SetAttribute(std::string_view name, core::AttrValue value);
    // Appends `value` to the string attribute `name`, joined with ';' (repeatable cell and wifi).
    Result<void> AppendAttribute(std::string_view name, std::string_view value);

    // The message: kPosition, imei = id, time = the device's or `now`. Errors: "missing id",
    // "missing lat/lon" (a pure decoder keeps no last known position to fall back on, unlike
    // traccar).
    Result<core::Decoded> Finish(core::TimePoint now) &&;

private:
    static Result<void> CheckText(std::string_view name, std::string_view value);
    Result<void> Store(std::string_view name, core::AttrValue value);

    std::string id_;
    std::optional<double> lat_;
    std::optional<double> lon_;
    std::optional<core::TimePoint> time_;
    core::Record record_;
};

// The two request formats, each a complete decode of one request (osmand.cpp picks one).
Result<core::Decoded> DecodeParams(std::string_view query, core::TimePoint now);
Result<core::Decoded> DecodeJson(std::string_view body, core::TimePoint now);

}  // namespace fleet::protocol::osmand::detail
