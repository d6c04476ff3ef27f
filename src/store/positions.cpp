// PositionStore: latest positions, paged vehicle histories, live-feed targets and session checks.
#include "store/positions.hpp"

#include <algorithm>
#include <limits>

#include "store/detail/fleet_impl.hpp"
#include "store/detail/position_sql.hpp"

namespace fleet::store {

using namespace detail;

PositionStore::PositionStore(AccountStore& accounts) : db_(accounts.impl()) {}

namespace {

// The parts of the device windows inside `periods`; both in time order and each without overlaps,
// so the parts are in time order too.
std::vector<DeviceWindow> Intersect(const std::vector<DeviceWindow>& windows,
                                    const std::vector<std::pair<core::TimePoint, core::TimePoint>>& periods) {
    std::vector<DeviceWindow> out;
    for (const auto& w : windows) {
        for (const auto& [from, to] : periods) {
            auto start = std::max(w.from, from);
            auto end = std::min(w.to, to);
            if (start < end) out.push_back(DeviceWindow{w.device_id, start, end});
        }
    }
    return out;
}

}  // namespace

Result<std::vector<VehiclePosition>> PositionStore::Latest(const Viewer& viewer, const LatestFilter& filter,
                                                           int64_t after_vehicle_id, int64_t limit) {
    Sql sql;
    sql << "SELECT v.id, v.name, " << PositionColumns("lp")
        << " FROM vehicles v JOIN installations i ON i.vehicle_id = v.id AND i.to_time IS NULL"
           " JOIN latest_positions lp ON lp.device_id = i.device_id AND lp.device_time >= i.from_time WHERE ";
    VisibleVehicleSql(sql, viewer);
    OwnPeriodSql(sql, viewer, "lp.device_time");  // a driver: not where the previous driver left it
    sql << " AND i.tenant_id = v.tenant_id AND v.archived_at IS NULL AND v.id > ?";
    sql.Arg(after_vehicle_id);
    if (filter.group_id) {
        sql << " AND v.id IN (SELECT fgv.vehicle_id FROM group_vehicles fgv WHERE fgv.group_id = ?)";
        sql.Arg(*filter.group_id);
    }
    if (!filter.q.empty()) {
        std::string pattern = Contains(filter.q);
        sql << " AND (v.name LIKE ? ESCAPE '\\' OR v.plate LIKE ? ESCAPE '\\' OR v.vin LIKE ? ESCAPE '\\')";
        sql.Arg(pattern).Arg(pattern).Arg(pattern);
    }
    sql << " ORDER BY v.id LIMIT ?";
    sql.Arg(limit);
    return Rows<VehiclePosition>(db_, sql, "read latest positions", [](sqlite3_stmt* s) {
        VehiclePosition vp;
        vp.vehicle_id = sqlite3_column_int64(s, 0);
        vp.vehicle_name = Col(s, 1);
        vp.position = ReadPositionRow(s, 2);
        return vp;
    });
}

Outcome<HistoryCursor> PositionStore::OpenHistory(const Viewer& viewer, int64_t vehicle_id, core::TimePoint from,
                                                  core::TimePoint to) {
    if (to <= from) return Refused{Refusal::kInvalid, "'to' must be after 'from'"};
    if (to - from > kMaxHistoryRange) {
        return Refused{Refusal::kInvalid,
                       fmt::format("a read covers at most {} days", kMaxHistoryRange.count() / 24)};
    }
    HistoryCursor cursor;
    cursor.vehicle_id_ = vehicle_id;
    cursor.from_ = from;
    cursor.to_ = to;
    {
        Sql sql;
        sql << "SELECT v.name FROM vehicles v WHERE v.id = ? AND ";
        sql.Arg(vehicle_id);
        VisibleVehicleSql(sql, viewer);
        auto names = Rows<std::string>(db_, sql, "find vehicle", [](sqlite3_stmt* s) { return std::string(Col(s, 0)); });
        if (!names) return names.error();
        if (names->empty()) return Refused{Refusal::kNotFound, fmt::format("no such vehicle {}", vehicle_id)};
        cursor.vehicle_name_ = std::move(names->front());
    }
    Sql sql;
    sql << "SELECT device_id, from_time, to_time FROM installations WHERE vehicle_id = ? AND tenant_id = ?"
           " AND from_time < ? AND (to_time IS NULL OR to_time > ?) ORDER BY from_time";
    sql.Arg(vehicle_id).Arg(viewer.scope.tenant_id()).Arg(ToMs(to)).Arg(ToMs(from));
    auto windows = Rows<DeviceWindow>(db_, sql, "read installations", [&](sqlite3_stmt* s) {
        DeviceWindow w;
        w.device_id = sqlite3_column_int64(s, 0);
        w.from = std::max(from, FromMs(sqlite3_column_int64(s, 1)));
        auto end = ColOptInt(s, 2);
        w.to = end ? std::min(to, FromMs(*end)) : to;
        return w;
    });
    if (!windows) return windows.error();
    cursor.windows_ = std::move(*windows);
    if (viewer.driver_at) {
        auto own = OwnPeriods(viewer, vehicle_id, from, to);
        if (!own) return own.error();
        cursor.windows_ = Intersect(cursor.windows_, *own);
    }
    return cursor;
}

Result<std::vector<std::pair<core::TimePoint, core::TimePoint>>> PositionStore::OwnPeriods(
    const Viewer& viewer, int64_t vehicle_id, core::TimePoint from, core::TimePoint to) {
    Sql sql;
    sql << "SELECT da.from_time, da.to_time FROM ";
    OwnAssignmentsSql(sql, viewer);
    sql << " AND da.vehicle_id = ? AND da.from_time < ? AND (da.to_time IS NULL OR da.to_time > ?)"
           " ORDER BY da.from_time";
    sql.Arg(vehicle_id).Arg(ToMs(to)).Arg(ToMs(from));
    return Rows<std::pair<core::TimePoint, core::TimePoint>>(db_, sql, "read own assignments", [&](sqlite3_stmt* s) {
        auto end = ColOptInt(s, 1);
        return std::pair(std::max(from, FromMs(sqlite3_column_int64(s, 0))), end ? std::min(to, FromMs(*end)) : to);
    });
}

Result<std::vector<PositionRow>> PositionStore::ReadHistory(HistoryCursor& cursor, size_t limit) {
    std::vector<PositionRow> out;
    // The lower bound on device_time lets the index by device start the scan where the last page ended;
    // the OR then skips the rows of that same millisecond already returned.
    Query q(db_.db, fmt::format("SELECT {} FROM positions WHERE device_id = ? AND device_time >= ? AND "
                                "device_time < ? AND (device_time > ? OR fingerprint > ?) "
                                "ORDER BY device_time, fingerprint LIMIT ?",
                                kPositionColumns)
                        .c_str());
    if (!q.ok()) return q.error("read history");
    while (out.size() < limit && !cursor.done()) {
        const DeviceWindow& w = cursor.windows_[cursor.window_];
        int64_t start = ToMs(w.from);
        int64_t after_time = std::numeric_limits<int64_t>::min();
        int64_t after_fingerprint = std::numeric_limits<int64_t>::min();
        if (cursor.after_) {
            start = std::max(start, cursor.after_->first);
            after_time = cursor.after_->first;
            after_fingerprint = cursor.after_->second;
        }
        size_t want = limit - out.size();
        q.Bind(1, w.device_id).Bind(2, start).Bind(3, ToMs(w.to)).Bind(4, after_time).Bind(5, after_fingerprint);
        q.Bind(6, static_cast<int64_t>(want));
        size_t got = 0;
        int rc;
        while ((rc = q.Step()) == SQLITE_ROW) {
            out.push_back(ReadPositionRow(q.get()));
            ++got;
        }
        sqlite3_reset(q.get());
        if (rc != SQLITE_DONE) return db_.DbError("read history");
        if (got < want) {
            cursor.window_++;  // this window is exhausted
            cursor.after_.reset();
        } else {
            cursor.after_ = std::make_pair(ToMs(out.back().device_time), out.back().fingerprint);
        }
    }
    return out;
}

Result<std::unordered_map<int64_t, LiveTarget>> PositionStore::LiveTargets(const Viewer& viewer) {
    Sql sql;
    sql << "SELECT i.device_id, v.id, v.name, i.from_time";
    if (viewer.driver_at) {
        // A driver follows its vehicle within its current assignment only.
        for (const char* column : {"from_time", "to_time"}) {
            sql << ", (";
            CurrentAssignmentSql(sql, viewer, column);
            sql << " AND da.vehicle_id = v.id)";
        }
    }
    sql << " FROM vehicles v JOIN installations i ON i.vehicle_id = v.id AND i.to_time IS NULL WHERE ";
    VisibleVehicleSql(sql, viewer);
    sql << " AND i.tenant_id = v.tenant_id AND v.archived_at IS NULL";
    Query q(db_.db, sql.text.c_str());
    if (!q.ok()) return q.error("read live targets");
    sql.BindTo(q);
    std::unordered_map<int64_t, LiveTarget> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
        LiveTarget& t = out[sqlite3_column_int64(q.get(), 0)];
        t.vehicle_id = sqlite3_column_int64(q.get(), 1);
        t.vehicle_name = Col(q.get(), 2);
        t.installed_from = FromMs(sqlite3_column_int64(q.get(), 3));
        if (viewer.driver_at) {
            t.installed_from = std::max(t.installed_from, FromMs(sqlite3_column_int64(q.get(), 4)));
            if (auto end = ColOptInt(q.get(), 5)) t.until = FromMs(*end);
        }
    }
    if (rc != SQLITE_DONE) return db_.DbError("read live targets");
    return out;
}

}  // namespace fleet::store
