// How a stored position is written and read: the columns shared by the positions and latest_positions tables,
// in the order ReadPositionRow reads them. Shared by the ingestion store (sqlite_store.cpp) and the
// API's readers (positions*.cpp). Not part of the store's interface: include only from src/store.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "store/packed_json.hpp"
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
    if (sqlite3_column_type(s, first + 12) == SQLITE_BLOB) {
        // Packed (store/packed_json.hpp). A damaged one reads as no values, and says so.
        const void* blob = sqlite3_column_blob(s, first + 12);
        if (!UnpackJson(blob, static_cast<size_t>(sqlite3_column_bytes(s, first + 12)), p.io_json,
                        p.attributes_json)) {
            p.io_json = "{}";
            p.attributes_json = R"({"stored_values_unreadable":true})";
        }
        return p;
    }
    p.io_json = text(first + 12);
    p.attributes_json = text(first + 13);
    return p;
}

// Binds a row to parameters 1-14 of an INSERT of kPositionColumns, as ingestion stores it. Times
// moved by `time_shift_ms` (bench_raw_insert stores the same rows again later).
inline void BindPosition(sqlite3_stmt* s, const PositionRow& p, int64_t time_shift_ms = 0) {
    sqlite3_bind_int64(s, 1, p.device_id);
    sqlite3_bind_int64(s, 2, p.device_time.time_since_epoch().count() + time_shift_ms);
    sqlite3_bind_int64(s, 3, p.fingerprint);
    sqlite3_bind_int64(s, 4, p.server_time.time_since_epoch().count() + time_shift_ms);
    sqlite3_bind_double(s, 5, p.lat);
    sqlite3_bind_double(s, 6, p.lon);
    sqlite3_bind_double(s, 7, p.altitude_m);
    sqlite3_bind_double(s, 8, p.speed_kmh);
    sqlite3_bind_double(s, 9, p.course_deg);
    sqlite3_bind_int(s, 10, p.satellites);
    if (p.hdop) {
        sqlite3_bind_double(s, 11, *p.hdop);
    } else {
        sqlite3_bind_null(s, 11);
    }
    sqlite3_bind_int(s, 12, p.valid ? 1 : 0);
    if (!p.packed.empty()) {  // both texts in the io column (store/packed_json.hpp), attributes empty
        sqlite3_bind_blob(s, 13, p.packed.data(), static_cast<int>(p.packed.size()), SQLITE_STATIC);
        sqlite3_bind_text(s, 14, "", 0, SQLITE_STATIC);
        return;
    }
    sqlite3_bind_text(s, 13, p.io_json.data(), static_cast<int>(p.io_json.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 14, p.attributes_json.data(), static_cast<int>(p.attributes_json.size()),
                      SQLITE_STATIC);
}

}  // namespace fleet::store::detail
