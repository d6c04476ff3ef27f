// Time-zone names. g++ 12's libstdc++ has no std::chrono::locate_zone (it came in GCC 14), so a
// name is checked against the system's IANA database (the tzdata package) instead. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace fleet::api::detail {

inline constexpr std::string_view kZoneInfoDir = "/usr/share/zoneinfo";

// True when `name` is an IANA zone name ("Europe/Paris", "UTC", "America/Argentina/Salta") with a
// TZif file under `zoneinfo_dir`. Refuses before touching the file system a name that is empty,
// over 64 bytes, has a character other than an ASCII letter, digit, '/', '_', '-' or '+' (so no
// '.': no traversal), an empty component (no absolute path) or one starting with '-'.
bool IsTimeZone(std::string_view name, std::string_view zoneinfo_dir = kZoneInfoDir);

}  // namespace fleet::api::detail
