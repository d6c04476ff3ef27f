// ReportStore: construction, the filter check, and the reports of rows with a duration — trips,
// stops and geofence visits — which belong to a range when they overlap it and are reported whole.
#include "store/reports.hpp"

#include "store/detail/reports_impl.hpp"

namespace fleet::store {

using namespace detail;

ReportStore::ReportStore(AccountStore& accounts) : db_(accounts.impl()), fleet_(accounts) {}

Result<Zone> ReportStore::TenantZone(TenantScope scope) {
    Query q(db_.db, "SELECT time_zone FROM tenants WHERE id = ?");
    if (!q.ok()) return q.error("read time zone");
    q.Bind(1, scope.tenant_id());
    if (q.Step() != SQLITE_ROW) return db_.DbError("read time zone");
    return Zone::Find(std::string(Col(q.get(), 0)));
}

Outcome<Done> ReportStore::CheckFilter(const Viewer& viewer, const ReportFilter& filter) {
    if (filter.to <= filter.from) return Refused{Refusal::kInvalid, "'to' must be after 'from'"};
    // Slack for the hour a DST change adds to a range of local days.
    if (filter.to - filter.from > std::chrono::hours(24 * kMaxReportDays + 2)) {
        return Refused{Refusal::kInvalid, fmt::format("a report covers at most {} days", kMaxReportDays)};
    }
    if (filter.vehicle_id) {
        auto v = fleet_.FindVehicle(viewer, *filter.vehicle_id);
        if (!v) return v.error();
        if (!v->has_value()) return Refused{Refusal::kNotFound, "no such vehicle"};
    }
    if (filter.group_id) {
        auto g = fleet_.FindGroup(viewer, *filter.group_id);
        if (!g) return g.error();
        if (!g->has_value()) return Refused{Refusal::kNotFound, "no such group"};
    }
    if (filter.driver_id) {
        auto d = fleet_.FindDriver(viewer.scope, *filter.driver_id);
        if (!d) return d.error();
        if (!d->has_value()) return Refused{Refusal::kNotFound, "no such driver"};
    }
    return Done{};
}

namespace {

// Rows of `from_where` (its FROM and WHERE, with parameters) as a page: `columns` selected,
// ordered by `order`, and the count of all of them.
template <typename T, typename Read>
Outcome<Page<T>> PagedRows(AccountStore::Impl& db, const Sql& from_where, std::string_view columns,
                           std::string_view order, const ReportPage& page, std::string_view what, Read&& read) {
    Sql count = from_where;
    count.text = "SELECT count(*) FROM (SELECT 1 " + from_where.text + ")";
    auto total = Count(db, count, what);
    if (!total) return total.error();
    Sql rows = from_where;
    rows.text = fmt::format("SELECT {} {} ORDER BY {} LIMIT ? OFFSET ?", columns, from_where.text, order);
    rows.Arg(page.limit).Arg(page.offset);
    auto items = Rows<T>(db, rows, what, std::forward<Read>(read));
    if (!items) return items.error();
    return Page<T>{std::move(*items), *total};
}

constexpr std::string_view kTripColumns =
    "t.id, t.vehicle_id, v.name, t.device_id, t.driver_id, coalesce(d.name, ''), t.start_time, t.end_time, "
    "t.start_lat, t.start_lon, t.end_lat, t.end_lon, t.start_odometer_m, t.end_odometer_m, t.distance_m, "
    "t.max_speed_kmh, t.avg_speed_kmh, t.idle_s, t.overspeed_s, t.harsh_acceleration, t.harsh_braking, "
    "t.harsh_cornering, t.fuel_used_l, t.eco_score";

TripRow ReadTrip(sqlite3_stmt* s) {
    TripRow r;
    r.id = sqlite3_column_int64(s, 0);
    r.vehicle_id = sqlite3_column_int64(s, 1);
    r.vehicle_name = Col(s, 2);
    r.device_id = sqlite3_column_int64(s, 3);
    r.driver_id = ColOptInt(s, 4);
    r.driver_name = Col(s, 5);
    r.start_time = FromMs(sqlite3_column_int64(s, 6));
    r.end_time = FromMs(sqlite3_column_int64(s, 7));
    double* doubles[] = {&r.start_lat,      &r.start_lon,  &r.end_lat,       &r.end_lon,
                         &r.start_odometer_m, &r.end_odometer_m, &r.distance_m, &r.max_speed_kmh,
                         &r.avg_speed_kmh,  &r.idle_s,     &r.overspeed_s};
    for (int i = 0; i < 11; ++i) *doubles[i] = sqlite3_column_double(s, 8 + i);
    r.harsh_acceleration = sqlite3_column_int64(s, 19);
    r.harsh_braking = sqlite3_column_int64(s, 20);
    r.harsh_cornering = sqlite3_column_int64(s, 21);
    r.fuel_used_l = ColOptDouble(s, 22);
    r.eco_score = ColOptDouble(s, 23);
    return r;
}

constexpr std::string_view kStopColumns =
    "t.id, t.vehicle_id, v.name, t.device_id, t.driver_id, coalesce(d.name, ''), t.start_time, t.end_time, "
    "t.lat, t.lon, t.odometer_m, t.engine_on_s";

StopRow ReadStop(sqlite3_stmt* s) {
    StopRow r;
    r.id = sqlite3_column_int64(s, 0);
    r.vehicle_id = sqlite3_column_int64(s, 1);
    r.vehicle_name = Col(s, 2);
    r.device_id = sqlite3_column_int64(s, 3);
    r.driver_id = ColOptInt(s, 4);
    r.driver_name = Col(s, 5);
    r.start_time = FromMs(sqlite3_column_int64(s, 6));
    r.end_time = FromMs(sqlite3_column_int64(s, 7));
    r.lat = sqlite3_column_double(s, 8);
    r.lon = sqlite3_column_double(s, 9);
    r.odometer_m = sqlite3_column_double(s, 10);
    r.engine_on_s = sqlite3_column_double(s, 11);
    return r;
}

// FROM and WHERE of the rows of `table` (trips or stops, alias t) of the report's vehicles that
// overlap [from, to). Per vehicle (the outer loop, so each step is a seek in the (vehicle_id,
// start_time) index): the rows starting from the last start before `from` — the only row of the
// vehicle that can have begun before the range and still be running, since a vehicle's rows do
// not overlap — up to `to`, of which those ending after `from`.
Sql OverlapSql(std::string_view table, const Viewer& viewer, const ReportFilter& filter) {
    Sql sql;
    sql << fmt::format("FROM vehicles v CROSS JOIN {0} t LEFT JOIN drivers d ON d.id = t.driver_id WHERE ", table);
    ReportVehiclesSql(sql, viewer, filter);
    sql << " AND t.vehicle_id = v.id AND t.tenant_id = ?";
    sql.Arg(viewer.scope.tenant_id());
    sql << fmt::format(
        " AND t.start_time >= coalesce((SELECT max(p.start_time) FROM {} p WHERE p.vehicle_id = v.id "
        "AND p.start_time < ?), ?) AND t.start_time < ? AND t.end_time > ?",
        table);
    sql.Arg(ToMs(filter.from)).Arg(ToMs(filter.from)).Arg(ToMs(filter.to)).Arg(ToMs(filter.from));
    if (filter.driver_id) {
        sql << " AND t.driver_id = ?";
        sql.Arg(*filter.driver_id);
    }
    return sql;
}

}  // namespace

Outcome<Page<TripRow>> ReportStore::Trips(const Viewer& viewer, const ReportFilter& filter, const ReportPage& page) {
    if (auto c = CheckFilter(viewer, filter); !c) return c.Failure<Page<TripRow>>();
    return PagedRows<TripRow>(db_, OverlapSql("trips", viewer, filter), kTripColumns, "t.start_time, t.id", page,
                              "trips report", ReadTrip);
}

Outcome<Page<StopRow>> ReportStore::Stops(const Viewer& viewer, const ReportFilter& filter, const ReportPage& page) {
    if (auto c = CheckFilter(viewer, filter); !c) return c.Failure<Page<StopRow>>();
    return PagedRows<StopRow>(db_, OverlapSql("stops", viewer, filter), kStopColumns, "t.start_time, t.id", page,
                              "stops report", ReadStop);
}

// --- geofence visits -----------------------------------------------------------------------------

namespace {

VisitRow ReadVisit(sqlite3_stmt* s) {
    VisitRow r;
    r.id = sqlite3_column_int64(s, 0);
    r.vehicle_id = sqlite3_column_int64(s, 1);
    r.vehicle_name = Col(s, 2);
    r.driver_id = ColOptInt(s, 3);
    r.driver_name = Col(s, 4);
    r.geofence_id = sqlite3_column_int64(s, 5);
    r.geofence_name = Col(s, 6);
    r.enter_time = FromMs(sqlite3_column_int64(s, 7));
    if (auto exit = ColOptInt(s, 8)) {
        r.exit_time = FromMs(*exit);
        r.duration_s = static_cast<double>(*exit - sqlite3_column_int64(s, 7)) / 1000.0;
    }
    return r;
}

// One part of the visits report: `part` chooses the rows, after the common joins and conditions.
void VisitPart(Sql& sql, const Viewer& viewer, const ReportFilter& filter, std::optional<int64_t> geofence_id,
               std::string_view joins, const std::function<void(Sql&)>& part) {
    sql << "SELECT gv.id AS id, gv.vehicle_id, v.name, gv.driver_id, coalesce(d.name, ''), gv.geofence_id, g.name, "
           "gv.enter_time AS enter_time, gv.exit_time FROM vehicles v ";
    sql << joins;
    sql << " LEFT JOIN drivers d ON d.id = gv.driver_id WHERE ";
    ReportVehiclesSql(sql, viewer, filter);
    sql << " AND g.tenant_id = ? AND gv.vehicle_id = v.id AND gv.tenant_id = ?";
    sql.Arg(viewer.scope.tenant_id()).Arg(viewer.scope.tenant_id());
    if (geofence_id) {
        sql << " AND g.id = ?";
        sql.Arg(*geofence_id);
    }
    if (filter.driver_id) {
        sql << " AND gv.driver_id = ?";
        sql.Arg(*filter.driver_id);
    }
    part(sql);
}

}  // namespace

Outcome<Page<VisitRow>> ReportStore::GeofenceVisits(const Viewer& viewer, const ReportFilter& filter,
                                                    std::optional<int64_t> geofence_id, const ReportPage& page) {
    if (auto c = CheckFilter(viewer, filter); !c) return c.Failure<Page<VisitRow>>();
    if (geofence_id) {
        Sql g;
        g << "SELECT count(*) FROM geofences WHERE id = ? AND tenant_id = ?";
        g.Arg(*geofence_id).Arg(viewer.scope.tenant_id());
        auto n = Count(db_, g, "find geofence");
        if (!n) return n.error();
        if (*n == 0) return Refused{Refusal::kNotFound, "no such geofence"};
    }
    int64_t from = ToMs(filter.from), to = ToMs(filter.to);
    // Visits entered in the range: a seek per vehicle in (vehicle_id, enter_time).
    Sql sql;
    sql << "FROM (";
    VisitPart(sql, viewer, filter, geofence_id,
              "CROSS JOIN geofence_visits gv JOIN geofences g ON g.id = gv.geofence_id", [&](Sql& s) {
                  s << " AND gv.enter_time >= ? AND gv.enter_time < ?";
                  s.Arg(from).Arg(to);
              });
    // Visits entered before and still running at `from`. Visits of one device to one geofence do
    // not overlap, so per device installed in the vehicle and geofence only the last one entered
    // before `from` can be: a seek in the UNIQUE (device_id, geofence_id, enter_time) index. Visits
    // of different geofences do overlap (nested zones), hence not one seek per vehicle as for trips.
    sql << " UNION ";
    VisitPart(sql, viewer, filter, geofence_id,
              "CROSS JOIN installations i CROSS JOIN geofences g CROSS JOIN geofence_visits gv", [&](Sql& s) {
                  s << " AND i.vehicle_id = v.id AND gv.device_id = i.device_id AND gv.geofence_id = g.id"
                       " AND gv.enter_time = (SELECT max(x.enter_time) FROM geofence_visits x WHERE"
                       " x.device_id = i.device_id AND x.geofence_id = g.id AND x.enter_time < ?)"
                       " AND (gv.exit_time IS NULL OR gv.exit_time > ?)";
                  s.Arg(from).Arg(from);
              });
    sql << ")";
    return PagedRows<VisitRow>(db_, sql, "*", "enter_time, id", page, "geofence visits report", ReadVisit);
}

}  // namespace fleet::store
