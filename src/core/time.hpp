// UTC time formatting and parsing (ISO 8601 with a Z). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/record.hpp"
#include "core/result.hpp"

namespace fleet::core {

// "2019-06-10T10:04:46.000Z"
std::string FormatIso(TimePoint t);

// Accepts "2019-06-10T10:04:46Z", "2019-06-10T10:04:46.123Z", "2019-06-10 10:04:46", an offset
// ("+02:00", "-0130") instead of Z, and a bare date "2019-06-10" (midnight UTC).
Result<TimePoint> ParseIso(std::string_view text);

// Builds a UTC time from calendar fields; Error if a field is out of range.
Result<TimePoint> MakeUtc(int year, int month, int day, int hour, int minute, int second, int millis = 0);

}  // namespace fleet::core
