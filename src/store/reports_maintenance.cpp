// The due computation of preventive maintenance (EvaluatePlans, shared by ReportStore::MaintenanceDue
// and the maintenance check of OperationsStore): each plan against the vehicle's odometer and engine
// hours now (ReadReading: vehicle_odometer's dashboard reading plus what the installed device counted
// since, else the device's own totals) and the tenant's today.

#include "store/detail/reports_impl.hpp"
#include "store/reports.hpp"

namespace fleet::store {

using namespace detail;

std::string_view ToString(DueStatus s) {
    switch (s) {
        case DueStatus::kOk: return "ok";
        case DueStatus::kDueSoon: return "due_soon";
        case DueStatus::kOverdue: return "overdue";
    }
    return "ok";
}

namespace {

struct PlanRow {
    MaintenanceDueRow row;
    std::optional<double> interval_km, interval_engine_h;
    std::optional<int64_t> interval_months;
    std::optional<std::string> due_date, last_done_date;
    double warn_km = 0, warn_engine_h = 0;
    int64_t warn_days = 0;
    std::optional<double> last_done_odometer_m, last_done_engine_h;
    core::TimePoint created_at{};
};

DueStatus Worse(DueStatus a, DueStatus b) { return static_cast<int>(a) > static_cast<int>(b) ? a : b; }

DueStatus StatusOf(double remaining, double warn) {
    if (remaining < 0) return DueStatus::kOverdue;
    return remaining <= warn ? DueStatus::kDueSoon : DueStatus::kOk;
}

// Fills the due measures and the status of a plan.
void Evaluate(PlanRow& p, LocalDay today, const Zone& zone) {
    MaintenanceDueRow& r = p.row;
    if (p.interval_km) {
        r.due_odometer_m = p.last_done_odometer_m.value_or(0) + *p.interval_km * 1000;
        if (r.odometer_m) {
            r.remaining_km = (*r.due_odometer_m - *r.odometer_m) / 1000;
            r.status = Worse(r.status, StatusOf(*r.remaining_km, p.warn_km));
        }
    }
    if (p.interval_engine_h) {
        r.due_engine_h = p.last_done_engine_h.value_or(0) + *p.interval_engine_h;
        if (r.engine_h) {
            r.remaining_engine_h = *r.due_engine_h - *r.engine_h;
            r.status = Worse(r.status, StatusOf(*r.remaining_engine_h, p.warn_engine_h));
        }
    }
    // A one-off date (inspection, insurance) is the due date; else the interval from the last
    // service, or from the plan's creation when never done.
    if (p.due_date) {
        r.due_date = ParseLocalDay(*p.due_date);
    } else if (p.interval_months) {
        std::optional<LocalDay> base = p.last_done_date ? ParseLocalDay(*p.last_done_date) : std::nullopt;
        r.due_date = base.value_or(zone.DayOf(p.created_at)).AddMonths(static_cast<int>(*p.interval_months));
    }
    if (r.due_date) {
        r.remaining_days = r.due_date->days - today.days;
        r.status = Worse(r.status, StatusOf(static_cast<double>(*r.remaining_days), static_cast<double>(p.warn_days)));
    }
}

}  // namespace

Reading detail::ReadReading(sqlite3_stmt* s, int k) {
    Reading r;
    auto dashboard_m = ColOptDouble(s, k), base_m = ColOptDouble(s, k + 1);
    auto engine_base_s = ColOptDouble(s, k + 2), engine_dashboard_s = ColOptDouble(s, k + 3);
    r.counted_m = ColOptDouble(s, k + 4);
    r.counted_s = ColOptDouble(s, k + 5);
    if (auto set = ColOptInt(s, k + 6)) r.set_at = FromMs(*set);
    if (dashboard_m) {
        r.odometer_m = *dashboard_m + (r.counted_m ? *r.counted_m - base_m.value_or(0) : 0);
    } else {
        r.odometer_m = r.counted_m;
    }
    if (engine_dashboard_s) {
        r.engine_h = (*engine_dashboard_s + (r.counted_s ? *r.counted_s - engine_base_s.value_or(0) : 0)) / 3600;
    } else if (r.counted_s) {
        r.engine_h = *r.counted_s / 3600;
    }
    return r;
}

Result<std::vector<MaintenanceDueRow>> detail::EvaluatePlans(AccountStore::Impl& db, int64_t tenant_id,
                                                             const Zone& zone, LocalDay today, const std::function<void(Sql&)>& vehicles) {
    Sql sql;
    sql << "SELECT p.id, v.id, v.name, p.name, p.interval_km, p.interval_engine_h, p.interval_months, p.due_date, "
           "p.warn_km, p.warn_engine_h, p.warn_days, p.last_done_date, p.last_done_odometer_m, p.last_done_engine_h, "
           "p.created_at, "
        << kReadingColumns
        << " FROM vehicles v JOIN maintenance_plans p ON p.vehicle_id = v.id AND p.tenant_id = ? "
           "AND p.archived_at IS NULL"
        << kReadingJoins << " WHERE v.archived_at IS NULL AND ";
    sql.Arg(tenant_id);
    vehicles(sql);
    auto plans = Rows<PlanRow>(db, sql, "maintenance plans due", [](sqlite3_stmt* s) {
        PlanRow p;
        p.row.plan_id = sqlite3_column_int64(s, 0);
        p.row.vehicle_id = sqlite3_column_int64(s, 1);
        p.row.vehicle_name = Col(s, 2);
        p.row.name = Col(s, 3);
        p.interval_km = ColOptDouble(s, 4);
        p.interval_engine_h = ColOptDouble(s, 5);
        p.interval_months = ColOptInt(s, 6);
        p.due_date = ColOptText(s, 7);
        p.warn_km = sqlite3_column_double(s, 8);
        p.warn_engine_h = sqlite3_column_double(s, 9);
        p.warn_days = sqlite3_column_int64(s, 10);
        p.last_done_date = ColOptText(s, 11);
        p.last_done_odometer_m = ColOptDouble(s, 12);
        p.last_done_engine_h = ColOptDouble(s, 13);
        p.created_at = FromMs(sqlite3_column_int64(s, 14));
        Reading reading = ReadReading(s, 15);
        p.row.odometer_m = reading.odometer_m;
        p.row.engine_h = reading.engine_h;
        return p;
    });
    if (!plans) return plans.error();
    std::vector<MaintenanceDueRow> rows;
    rows.reserve(plans->size());
    for (auto& p : *plans) {
        Evaluate(p, today, zone);
        rows.push_back(std::move(p.row));
    }
    return rows;
}

Outcome<Page<MaintenanceDueRow>> ReportStore::MaintenanceDue(const Viewer& viewer, const ReportFilter& filter,
                                                             LocalDay today, const ReportPage& page) {
    ReportFilter ids = filter;  // the range does not matter here
    ids.from = core::TimePoint{};
    ids.to = ids.from + std::chrono::hours(1);
    if (auto c = CheckFilter(viewer, ids); !c) return c.Failure<Page<MaintenanceDueRow>>();
    auto zone = TenantZone(viewer.scope);
    if (!zone) return zone.error();
    auto rows = EvaluatePlans(db_, viewer.scope.tenant_id(), *zone, today,
                              [&](Sql& sql) { ReportVehiclesSql(sql, viewer, filter); });
    if (!rows) return rows.error();
    std::sort(rows->begin(), rows->end(), [](const MaintenanceDueRow& a, const MaintenanceDueRow& b) {
        if (a.status != b.status) return static_cast<int>(a.status) > static_cast<int>(b.status);
        if (a.vehicle_name != b.vehicle_name) return a.vehicle_name < b.vehicle_name;
        return a.plan_id < b.plan_id;
    });
    return PageOf(std::move(*rows), page);
}

}  // namespace fleet::store
