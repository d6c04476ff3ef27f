// Local time in an IANA time zone, read from the system's compiled zone files (TZif, RFC 8536).
// g++ 12's libstdc++ has no std::chrono::locate_zone (GCC 14 has), and setting TZ for localtime_r
// would change the whole process (the log's clock too), so the zone's transitions are read here.
//
// Beyond a zone file's last transition the last offset holds: Debian's tzdata ships "fat" files
// whose transitions run to 2037, so that is where a rule change (a country dropping DST) would be
// missed. Thread-safe: Load caches each zone once, zones are immutable.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"

namespace fleet::core {

class Zone {
public:
    // The zone named `name` (an IANA name checked by the caller, e.g. api's IsTimeZone) from
    // <zoneinfo_dir>/<name>. Error when the file is missing or not a TZif file. Cached by path.
    static Result<std::shared_ptr<const Zone>> Load(std::string_view name,
                                                    std::string_view zoneinfo_dir = "/usr/share/zoneinfo");
    // Parses the bytes of a TZif file (versions 1 to 4).
    static Result<Zone> Parse(std::string_view name, std::string_view tzif);

    const std::string& name() const { return name_; }
    // The offset from UTC at `t` (local = UTC + offset).
    std::chrono::seconds OffsetAt(TimePoint t) const;
    // The zone's abbreviation at `t` ("CET", "CEST", "EST"), possibly a numeric one ("+03").
    std::string AbbreviationAt(TimePoint t) const;
    // Minutes since local midnight at `t` (0..1439).
    int MinuteOfDay(TimePoint t) const;
    // "2026-03-01 09:00:00 CET" — the local date and time with the zone's abbreviation.
    std::string Format(TimePoint t) const;

private:
    struct Type {
        int32_t offset_s = 0;
        bool dst = false;
        std::string abbreviation;
    };
    const Type& TypeAt(TimePoint t) const;

    std::string name_;
    std::vector<int64_t> transitions_;  // UTC seconds, ascending
    std::vector<uint8_t> type_of_;      // the type from each transition on
    std::vector<Type> types_;
    size_t initial_ = 0;  // the type before the first transition
};

}  // namespace fleet::core
