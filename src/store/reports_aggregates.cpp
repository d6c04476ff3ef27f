// ReportStore: the reports that add trips up — daily summary, eco-driving ranking, fuel and fleet
// utilisation. Each trip counts once, in the range and on the local day where it starts.
#include <map>

#include "store/detail/reports_impl.hpp"
#include "store/reports.hpp"

namespace fleet::store {

using namespace detail;

namespace {

// The condition on trips `t` joined to vehicles `v`: the vehicle's, the tenant's, and the driver's.
void TripJoinSql(Sql& sql, const Viewer& viewer, const ReportFilter& filter) {
    sql << "t.vehicle_id = v.id AND t.tenant_id = ?";
    sql.Arg(viewer.scope.tenant_id());
    if (filter.driver_id) {
        sql << " AND t.driver_id = ?";
        sql.Arg(*filter.driver_id);
    }
}

// Vehicles of a per-vehicle report: visible, chosen by the filter, not archived before the range.
void ReportFleetSql(Sql& sql, const Viewer& viewer, const ReportFilter& filter) {
    ReportVehiclesSql(sql, viewer, filter);
    sql << " AND (v.archived_at IS NULL OR v.archived_at > ?)";
    sql.Arg(ToMs(filter.from));
}

}  // namespace

Outcome<Page<DaySummary>> ReportStore::DailySummary(const Viewer& viewer, const ReportFilter& filter,
                                                    const Zone& zone, const ReportPage& page) {
    if (auto c = CheckFilter(viewer, filter); !c) return c.Failure<Page<DaySummary>>();
    std::vector<DaySpan> days = DaysOf(zone, filter.from, filter.to);
    Sql vehicles;
    vehicles << "SELECT count(*) FROM vehicles v WHERE ";
    ReportFleetSql(vehicles, viewer, filter);
    auto n = Count(db_, vehicles, "daily summary");
    if (!n) return n.error();
    // Vehicles x days, each day's trips found by a seek in (vehicle_id, start_time).
    Sql sql;
    DaysCte(sql, days);
    sql << "SELECT days.day, v.id, v.name, count(t.id), coalesce(sum(t.distance_m), 0), "
           "coalesce(sum((t.end_time - t.start_time) / 1000.0 - t.idle_s), 0), coalesce(sum(t.idle_s), 0), "
           "max(t.max_speed_kmh), min(t.start_time), max(t.end_time), sum(t.fuel_used_l) "
           "FROM vehicles v CROSS JOIN days LEFT JOIN trips t ON ";
    TripJoinSql(sql, viewer, filter);
    sql << " AND t.start_time >= days.d0 AND t.start_time < days.d1 WHERE ";
    ReportFleetSql(sql, viewer, filter);
    sql << " GROUP BY days.day, v.id ORDER BY days.day, v.name COLLATE NOCASE, v.id LIMIT ? OFFSET ?";
    sql.Arg(page.limit).Arg(page.offset);
    auto rows = Rows<DaySummary>(db_, sql, "daily summary", [](sqlite3_stmt* s) {
        DaySummary r;
        r.day = LocalDay{static_cast<int32_t>(sqlite3_column_int64(s, 0))};
        r.vehicle_id = sqlite3_column_int64(s, 1);
        r.vehicle_name = Col(s, 2);
        r.trips = sqlite3_column_int64(s, 3);
        r.distance_m = sqlite3_column_double(s, 4);
        r.driving_s = sqlite3_column_double(s, 5);
        r.idle_s = sqlite3_column_double(s, 6);
        r.max_speed_kmh = ColOptDouble(s, 7);
        if (auto t = ColOptInt(s, 8)) r.first_start = FromMs(*t);
        if (auto t = ColOptInt(s, 9)) r.last_end = FromMs(*t);
        r.fuel_used_l = ColOptDouble(s, 10);
        return r;
    });
    if (!rows) return rows.error();
    return Page<DaySummary>{std::move(*rows), *n * static_cast<int64_t>(days.size())};
}

Outcome<Page<EcoRow>> ReportStore::EcoRanking(const Viewer& viewer, const ReportFilter& filter, EcoBy by,
                                              const ReportPage& page) {
    if (auto c = CheckFilter(viewer, filter); !c) return c.Failure<Page<EcoRow>>();
    // The weighted mean needs weights: trips that all have no distance fall back to the plain mean.
    Sql sql;
    sql << (by == EcoBy::kDriver ? "SELECT dr.id, dr.name" : "SELECT v.id, v.name");
    sql << ", count(*), sum(t.distance_m), sum(t.end_time - t.start_time) / 1000.0, "
           "CASE WHEN sum(CASE WHEN t.eco_score IS NOT NULL THEN t.distance_m END) > 0 "
           "THEN sum(t.eco_score * t.distance_m) / sum(CASE WHEN t.eco_score IS NOT NULL THEN t.distance_m END) "
           "ELSE avg(t.eco_score) END, "
           "sum(t.harsh_acceleration), sum(t.harsh_braking), sum(t.harsh_cornering), sum(t.overspeed_s), "
           "sum(t.idle_s) FROM vehicles v CROSS JOIN trips t ";
    if (by == EcoBy::kDriver) sql << "JOIN drivers dr ON dr.id = t.driver_id AND dr.tenant_id = t.tenant_id ";
    sql << "WHERE ";
    ReportVehiclesSql(sql, viewer, filter);
    sql << " AND ";
    TripJoinSql(sql, viewer, filter);
    sql << " AND t.start_time >= ? AND t.start_time < ?";
    sql.Arg(ToMs(filter.from)).Arg(ToMs(filter.to));
    sql << (by == EcoBy::kDriver ? " GROUP BY dr.id" : " GROUP BY v.id");
    auto rows = Rows<EcoRow>(db_, sql, "eco-driving ranking", [](sqlite3_stmt* s) {
        EcoRow r;
        r.id = sqlite3_column_int64(s, 0);
        r.name = Col(s, 1);
        r.trips = sqlite3_column_int64(s, 2);
        r.distance_m = sqlite3_column_double(s, 3);
        r.duration_s = sqlite3_column_double(s, 4);
        r.eco_score = ColOptDouble(s, 5);
        r.harsh_acceleration = sqlite3_column_int64(s, 6);
        r.harsh_braking = sqlite3_column_int64(s, 7);
        r.harsh_cornering = sqlite3_column_int64(s, 8);
        double overspeed_s = sqlite3_column_double(s, 9);
        double idle_s = sqlite3_column_double(s, 10);
        if (r.distance_m > 0) {
            r.harsh_per_100km =
                static_cast<double>(r.harsh_acceleration + r.harsh_braking + r.harsh_cornering) / r.distance_m * 1e5;
        }
        if (r.duration_s > 0) {
            r.overspeed_share = std::min(1.0, overspeed_s / r.duration_s);
            r.idle_share = std::min(1.0, idle_s / r.duration_s);
        }
        return r;
    });
    if (!rows) return rows.error();
    std::sort(rows->begin(), rows->end(), [](const EcoRow& a, const EcoRow& b) {
        if (a.eco_score.has_value() != b.eco_score.has_value()) return a.eco_score.has_value();
        if (a.eco_score && *a.eco_score != *b.eco_score) return *a.eco_score > *b.eco_score;
        if (a.name != b.name) return a.name < b.name;
        return a.id < b.id;
    });
    return PageOf(std::move(*rows), page);
}

Outcome<Page<FuelRow>> ReportStore::Fuel(const Viewer& viewer, const ReportFilter& filter, const ReportPage& page) {
    if (auto c = CheckFilter(viewer, filter); !c) return c.Failure<Page<FuelRow>>();
    int64_t from = ToMs(filter.from), to = ToMs(filter.to);
    Sql trips;
    trips << "SELECT v.id, v.name, count(*), sum(t.distance_m), sum(t.fuel_used_l), "
             "coalesce(sum(CASE WHEN t.fuel_used_l IS NOT NULL THEN t.distance_m END), 0) "
             "FROM vehicles v CROSS JOIN trips t WHERE ";
    ReportVehiclesSql(trips, viewer, filter);
    trips << " AND ";
    TripJoinSql(trips, viewer, filter);
    trips << " AND t.start_time >= ? AND t.start_time < ? GROUP BY v.id";
    trips.Arg(from).Arg(to);
    std::map<int64_t, FuelRow> by_vehicle;
    auto trip_rows = Rows<FuelRow>(db_, trips, "fuel report", [](sqlite3_stmt* s) {
        FuelRow r;
        r.vehicle_id = sqlite3_column_int64(s, 0);
        r.vehicle_name = Col(s, 1);
        r.trips = sqlite3_column_int64(s, 2);
        r.distance_m = sqlite3_column_double(s, 3);
        r.fuel_used_l = ColOptDouble(s, 4);
        r.fuel_distance_m = sqlite3_column_double(s, 5);
        if (r.fuel_used_l && r.fuel_distance_m > 0) r.l_per_100km = *r.fuel_used_l / r.fuel_distance_m * 1e5;
        return r;
    });
    if (!trip_rows) return trip_rows.error();
    for (auto& r : *trip_rows) by_vehicle[r.vehicle_id] = std::move(r);
    // Refuels and drops are events (detail.litres), by a seek per vehicle in (vehicle_id, time).
    Sql events;
    events << "SELECT v.id, v.name, e.type, count(*), coalesce(sum(json_extract(e.detail, '$.litres')), 0) "
              "FROM vehicles v CROSS JOIN events e WHERE ";
    ReportVehiclesSql(events, viewer, filter);
    events << " AND e.vehicle_id = v.id AND e.tenant_id = ? AND e.time >= ? AND e.time < ?"
              " AND e.type IN ('refuel', 'fuel_drop')";
    events.Arg(viewer.scope.tenant_id()).Arg(from).Arg(to);
    if (filter.driver_id) {
        events << " AND e.driver_id = ?";
        events.Arg(*filter.driver_id);
    }
    events << " GROUP BY v.id, e.type";
    struct Fuelling {
        int64_t vehicle_id;
        std::string name, type;
        int64_t count;
        double litres;
    };
    auto fuelling = Rows<Fuelling>(db_, events, "fuel report", [](sqlite3_stmt* s) {
        return Fuelling{sqlite3_column_int64(s, 0), std::string(Col(s, 1)), std::string(Col(s, 2)),
                        sqlite3_column_int64(s, 3), sqlite3_column_double(s, 4)};
    });
    if (!fuelling) return fuelling.error();
    for (const auto& f : *fuelling) {
        FuelRow& r = by_vehicle[f.vehicle_id];
        r.vehicle_id = f.vehicle_id;
        r.vehicle_name = f.name;
        if (f.type == "refuel") {
            r.refuels = f.count;
            r.refuel_l = f.litres;
        } else {
            r.fuel_drops = f.count;
            r.fuel_drop_l = f.litres;
        }
    }
    std::vector<FuelRow> rows;
    for (auto& [id, r] : by_vehicle) rows.push_back(std::move(r));
    std::sort(rows.begin(), rows.end(), [](const FuelRow& a, const FuelRow& b) {
        return a.vehicle_name != b.vehicle_name ? a.vehicle_name < b.vehicle_name : a.vehicle_id < b.vehicle_id;
    });
    return PageOf(std::move(rows), page);
}

Outcome<Page<UtilisationRow>> ReportStore::Utilisation(const Viewer& viewer, const ReportFilter& filter,
                                                       const Zone& zone, const ReportPage& page) {
    if (auto c = CheckFilter(viewer, filter); !c) return c.Failure<Page<UtilisationRow>>();
    std::vector<DaySpan> days = DaysOf(zone, filter.from, filter.to);
    Sql sql;
    DaysCte(sql, days);
    sql << "SELECT v.id, v.name, count(DISTINCT CASE WHEN t.id IS NOT NULL THEN days.day END), count(t.id), "
           "coalesce(sum(t.distance_m), 0), coalesce(sum(t.end_time - t.start_time), 0) / 1000.0 "
           "FROM vehicles v CROSS JOIN days LEFT JOIN trips t ON ";
    TripJoinSql(sql, viewer, filter);
    sql << " AND t.start_time >= days.d0 AND t.start_time < days.d1 WHERE ";
    ReportFleetSql(sql, viewer, filter);
    sql << " GROUP BY v.id ORDER BY v.name COLLATE NOCASE, v.id";
    auto n_days = static_cast<int64_t>(days.size());
    auto rows = Rows<UtilisationRow>(db_, sql, "utilisation report", [n_days](sqlite3_stmt* s) {
        UtilisationRow r;
        r.vehicle_id = sqlite3_column_int64(s, 0);
        r.vehicle_name = Col(s, 1);
        r.days = n_days;
        r.days_used = sqlite3_column_int64(s, 2);
        r.trips = sqlite3_column_int64(s, 3);
        r.distance_m = sqlite3_column_double(s, 4);
        r.duration_s = sqlite3_column_double(s, 5);
        if (n_days > 0) {
            r.used_share = static_cast<double>(r.days_used) / static_cast<double>(n_days);
            r.trips_per_day = static_cast<double>(r.trips) / static_cast<double>(n_days);
        }
        if (r.trips > 0) {
            r.avg_trip_distance_m = r.distance_m / static_cast<double>(r.trips);
            r.avg_trip_duration_s = r.duration_s / static_cast<double>(r.trips);
        }
        return r;
    });
    if (!rows) return rows.error();
    return PageOf(std::move(*rows), page);
}

}  // namespace fleet::store
