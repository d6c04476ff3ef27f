// The inside of ReportStore, shared by its files (reports*.cpp): which vehicles a report covers,
// the local days of a range, and paging of rows computed in memory.
// Not part of the store's interface: include only from src/store.
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

#include "store/detail/fleet_impl.hpp"
#include "store/reports.hpp"

namespace fleet::store::detail {

// The condition on `v` (vehicles) for a report: visible to the viewer, and the filter's vehicle or
// group when set. Appends it and its parameters to `sql`.
inline void ReportVehiclesSql(Sql& sql, const Viewer& viewer, const ReportFilter& filter) {
    VisibleVehicleSql(sql, viewer);
    if (filter.vehicle_id) {
        sql << " AND v.id = ?";
        sql.Arg(*filter.vehicle_id);
    }
    if (filter.group_id) {
        sql << " AND v.id IN (SELECT fgv.vehicle_id FROM group_vehicles fgv WHERE fgv.group_id = ?)";
        sql.Arg(*filter.group_id);
    }
}

// A local day of a report and the part of it inside the range: [start, end) in UTC ms.
struct DaySpan {
    LocalDay day;
    int64_t start = 0;
    int64_t end = 0;
};

// The local days the range [from, to) touches, each clipped to the range.
inline std::vector<DaySpan> DaysOf(const Zone& zone, core::TimePoint from, core::TimePoint to) {
    std::vector<DaySpan> out;
    for (LocalDay d = zone.DayOf(from); zone.StartOf(d) < to; d = d.Next()) {
        int64_t start = std::max(ToMs(zone.StartOf(d)), ToMs(from));
        int64_t end = std::min(ToMs(zone.StartOf(d.Next())), ToMs(to));
        if (start < end) out.push_back(DaySpan{d, start, end});
    }
    return out;
}

// `WITH days(day, d0, d1) AS (VALUES (?, ?, ?), ...)` for the spans.
inline void DaysCte(Sql& sql, const std::vector<DaySpan>& days) {
    sql << "WITH days(day, d0, d1) AS (VALUES ";
    for (size_t i = 0; i < days.size(); ++i) {
        sql << (i ? ", (?, ?, ?)" : "(?, ?, ?)");
        sql.Arg(int64_t{days[i].day.days}).Arg(days[i].start).Arg(days[i].end);
    }
    sql << ") ";
}

// One page of rows computed in memory.
template <typename T>
Page<T> PageOf(std::vector<T> rows, const ReportPage& page) {
    Page<T> out;
    out.total = static_cast<int64_t>(rows.size());
    auto first = std::min<int64_t>(page.offset, out.total);
    auto last = std::min<int64_t>(first + page.limit, out.total);
    out.items.assign(std::make_move_iterator(rows.begin() + first), std::make_move_iterator(rows.begin() + last));
    return out;
}

inline std::optional<double> ColOptDouble(sqlite3_stmt* s, int i) {
    if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(s, i);
}

// A vehicle's odometer and engine hours now: vehicle_odometer's dashboard reading plus what the
// installed device counted since (device_counters), else the device's own totals. The one reading of
// those tables, for the maintenance report, the maintenance check and the odometer API.
// kReadingJoins joins them to vehicles `v`; kReadingColumns are what ReadReading reads.
inline constexpr std::string_view kReadingJoins =
    " LEFT JOIN installations i ON i.vehicle_id = v.id AND i.to_time IS NULL"
    " LEFT JOIN device_counters dc ON dc.device_id = i.device_id"
    " LEFT JOIN vehicle_odometer vo ON vo.vehicle_id = v.id";
inline constexpr std::string_view kReadingColumns =
    "vo.dashboard_m, vo.base_m, vo.engine_base_s, vo.engine_dashboard_s, dc.odometer_m, dc.engine_s, vo.set_at";
struct Reading {
    std::optional<double> odometer_m;
    std::optional<double> engine_h;
    std::optional<double> counted_m;  // the installed device's totals (device_counters)
    std::optional<double> counted_s;
    std::optional<core::TimePoint> set_at;  // when the dashboard reading was set
};
Reading ReadReading(sqlite3_stmt* s, int first_column);

// Every plan (not archived) of the tenant's vehicles (not archived) that `vehicles` admits (it
// appends a condition on `v` and its parameters), with its due measures and status on `today`.
// The one due computation: ReportStore::MaintenanceDue and OperationsStore::CheckMaintenance.
Result<std::vector<MaintenanceDueRow>> EvaluatePlans(AccountStore::Impl& db, int64_t tenant_id, const Zone& zone,
                                                     LocalDay today, const std::function<void(Sql&)>& vehicles);

}  // namespace fleet::store::detail
