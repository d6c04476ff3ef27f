// How a stored position is read: the columns shared by the positions and latest_positions tables,
// in the order ReadPositionRow reads them. Shared by the ingestion store (sqlite_store.cpp) and the
// API's readers (positions*.cpp). Not part of the store's interface: include only from src/store.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "store/store.hpp"

namespace fleet::store::detail {

inline constexpr const char* kPositionColumns =
    "device_id, device_time, fingerprint, server_time, lat, lon, altitude, speed, course, satellites, "
    "hdop, valid, io, attributes";

// kPositionColumns with each column qualified by a table alias ("lp.device_id, lp.device_time, ...").
inline std::string PositionColumns(std::string_view alias) {
    std::string out;
    std::string_view rest = kPositionColumns;
    while (!rest.empty()) {
        size_t comma = rest.find(", ");
        std::string_view name = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
        if (!out.empty()) out += ", ";
        out.append(alias).append(".").append(name);
    }
    return out;
}

// The row whose PositionColumns start at result column `first`.
inline PositionRow ReadPositionRow(sqlite3_stmt* s, int first = 0) {
    auto text = [s](int i) {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string();
    };
    auto ms = [s](int i) { return core::TimePoint{core::Millis{sqlite3_column_int64(s, i)}}; };
    PositionRow p;
    p.device_id = sqlite3_column_int64(s, first);
    p.device_time = ms(first + 1);
    p.fingerprint = sqlite3_column_int64(s, first + 2);
    p.server_time = ms(first + 3);
    p.lat = sqlite3_column_double(s, first + 4);
    p.lon = sqlite3_column_double(s, first + 5);
    p.altitude_m = sqlite3_column_double(s, first + 6);
    p.speed_kmh = sqlite3_column_double(s, first + 7);
    p.course_deg = sqlite3_column_double(s, first + 8);
    p.satellites = sqlite3_column_int(s, first + 9);
    if (sqlite3_column_type(s, first + 10) != SQLITE_NULL) p.hdop = sqlite3_column_double(s, first + 10);
    p.valid = sqlite3_column_int(s, first + 11) != 0;
    p.io_json = text(first + 12);
    p.attributes_json = text(first + 13);
    return p;
}

}  // namespace fleet::store::detail
