// OperationsStore: maintenance plans, the service log and the maintenance check. The due
// computation itself is the reports' (detail::EvaluatePlans, reports_maintenance.cpp).
#include <spdlog/spdlog.h>

#include "store/detail/operations_impl.hpp"
#include "store/operations.hpp"

namespace fleet::store {

using namespace detail;

namespace {

constexpr std::string_view kPlanSelect =
    "SELECT p.id, p.vehicle_id, p.name, p.interval_km, p.interval_engine_h, p.interval_months, "
    "p.due_date, "
    "p.warn_km, p.warn_engine_h, p.warn_days, p.last_done_date, p.last_done_odometer_m, "
    "p.last_done_engine_h, "
    "p.created_at, p.archived_at FROM maintenance_plans p JOIN vehicles v ON v.id = p.vehicle_id";

MaintenancePlan ReadPlan(sqlite3_stmt* s) {
    MaintenancePlan p;
    p.id = sqlite3_column_int64(s, 0);
    p.vehicle_id = sqlite3_column_int64(s, 1);
    p.name = Col(s, 2);
    p.interval_km = ColOptDouble(s, 3);
    p.interval_engine_h = ColOptDouble(s, 4);
    p.interval_months = ColOptInt(s, 5);
    p.due_date = ColOptText(s, 6);
    p.warn_km = sqlite3_column_double(s, 7);
    p.warn_engine_h = sqlite3_column_double(s, 8);
    p.warn_days = sqlite3_column_int64(s, 9);
    p.last_done_date = ColOptText(s, 10);
    p.last_done_odometer_m = ColOptDouble(s, 11);
    p.last_done_engine_h = ColOptDouble(s, 12);
    p.created_at = FromMs(sqlite3_column_int64(s, 13));
    if (auto at = ColOptInt(s, 14)) p.archived_at = FromMs(*at);
    return p;
}

void Apply(MaintenancePlan& p, const PlanChange& c) {
    if (c.name) p.name = *c.name;
    if (c.interval_km) p.interval_km = *c.interval_km;
    if (c.interval_engine_h) p.interval_engine_h = *c.interval_engine_h;
    if (c.interval_months) p.interval_months = *c.interval_months;
    if (c.due_date) p.due_date = *c.due_date;
    if (c.warn_km) p.warn_km = *c.warn_km;
    if (c.warn_engine_h) p.warn_engine_h = *c.warn_engine_h;
    if (c.warn_days) p.warn_days = *c.warn_days;
    if (c.last_done_date) p.last_done_date = *c.last_done_date;
    if (c.last_done_odometer_m) p.last_done_odometer_m = *c.last_done_odometer_m;
    if (c.last_done_engine_h) p.last_done_engine_h = *c.last_done_engine_h;
}

bool Positive(const std::optional<double>& v, double max) {
    return !v || (std::isfinite(*v) && *v > 0 && *v <= max);
}
bool NonNegative(const std::optional<double>& v, double max) { return !v || InRange(*v, 0, max); }
bool Day(const std::optional<std::string>& d) { return !d || ParseLocalDay(*d).has_value(); }

std::optional<Refused> CheckPlan(const MaintenancePlan& p) {
    auto invalid = [](std::string detail) { return Refused{Refusal::kInvalid, std::move(detail)}; };
    if (auto bad = CheckLine("name", p.name, true)) return bad;
    if (p.name.size() > 128) return invalid("'name' is longer than 128 bytes");
    if (!p.interval_km && !p.interval_engine_h && !p.interval_months && !p.due_date) {
        return invalid(
            "a plan needs 'interval_km', 'interval_engine_h', 'interval_months' or 'due_date'");
    }
    if (!Positive(p.interval_km, 1e7))
        return invalid("'interval_km' must be above 0 and at most 10000000");
    if (!Positive(p.interval_engine_h, 1e7))
        return invalid("'interval_engine_h' must be above 0 and at most 10000000");
    if (p.interval_months && (*p.interval_months < 1 || *p.interval_months > 120)) {
        return invalid("'interval_months' must be from 1 to 120");
    }
    if (!Day(p.due_date)) return invalid("'due_date' must be a date YYYY-MM-DD");
    if (!Day(p.last_done_date)) return invalid("'last_done_date' must be a date YYYY-MM-DD");
    if (!InRange(p.warn_km, 0, 1e7)) return invalid("'warn_km' must be from 0 to 10000000");
    if (!InRange(p.warn_engine_h, 0, 1e7))
        return invalid("'warn_engine_h' must be from 0 to 10000000");
    if (p.warn_days < 0 || p.warn_days > 3650) return invalid("'warn_days' must be from 0 to 3650");
    if (!NonNegative(p.last_done_odometer_m, 1e10))
        return invalid("'last_done_odometer_m' must be from 0 to 1e10");
    if (!NonNegative(p.last_done_engine_h, 1e7))
        return invalid("'last_done_engine_h' must be from 0 to 10000000");
    return std::nullopt;
}

std::string PlanDetail(const MaintenancePlan& p) {
    std::string out = DetailJson({{"name", p.name}});
    out.pop_back();
    return out + fmt::format(",\"vehicle_id\":{}}}", p.vehicle_id);
}

// The plan's columns after "SET " (or in an INSERT's VALUES order), with their parameters.
void PlanValues(Sql& sql, const MaintenancePlan& p) {
    sql << "name = ?, interval_km = ";
    sql.Arg(p.name);
    sql.RealValue(p.interval_km) << ", interval_engine_h = ";
    sql.RealValue(p.interval_engine_h) << ", interval_months = ";
    sql.Value(p.interval_months) << ", due_date = ";
    sql.Value(p.due_date) << ", warn_km = ?, warn_engine_h = ?, warn_days = ?, last_done_date = ";
    sql.Real(p.warn_km).Real(p.warn_engine_h).Arg(p.warn_days);
    sql.Value(p.last_done_date) << ", last_done_odometer_m = ";
    sql.RealValue(p.last_done_odometer_m) << ", last_done_engine_h = ";
    sql.RealValue(p.last_done_engine_h);
}

}  // namespace

Result<Page<MaintenancePlan>> OperationsStore::ListPlans(const Viewer& viewer,
                                                         const PlanFilter& filter,
                                                         const Paging& paging) {
    auto order = OrderBy(
        paging, {{"id", "p.id"}, {"name", "p.name COLLATE NOCASE"}, {"created_at", "p.created_at"}},
        "p.id");
    if (!order) return order.error();
    Sql where;
    where << " WHERE p.tenant_id = ? AND ";
    where.Arg(viewer.scope.tenant_id());
    VisibleVehicleSql(where, viewer);
    if (filter.vehicle_id) {
        where << " AND p.vehicle_id = ?";
        where.Arg(*filter.vehicle_id);
    }
    if (!filter.include_archived) where << " AND p.archived_at IS NULL";
    Sql count = where;
    count.text = "SELECT count(*) FROM maintenance_plans p JOIN vehicles v ON v.id = p.vehicle_id" +
                 where.text;
    auto total = Count(db_, count, "count plans");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("{}{}{} LIMIT ? OFFSET ?", kPlanSelect, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<MaintenancePlan>(db_, rows, "list plans", ReadPlan);
    if (!items) return items.error();
    return Page<MaintenancePlan>{std::move(*items), *total};
}

Result<std::optional<MaintenancePlan>> OperationsStore::FindPlan(const Viewer& viewer, int64_t id) {
    Sql sql;
    sql << kPlanSelect << " WHERE p.id = ? AND p.tenant_id = ? AND ";
    sql.Arg(id).Arg(viewer.scope.tenant_id());
    VisibleVehicleSql(sql, viewer);
    auto rows = Rows<MaintenancePlan>(db_, sql, "find plan", ReadPlan);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<MaintenancePlan>();
    return std::optional<MaintenancePlan>(std::move(rows->front()));
}

Outcome<MaintenancePlan> OperationsStore::AddPlan(const Viewer& viewer, const PlanChange& change,
                                                  const Actor& actor, core::TimePoint now) {
    if (!change.vehicle_id || !change.name)
        return Refused{Refusal::kInvalid, "'vehicle_id' and 'name' are required"};
    MaintenancePlan p;
    p.vehicle_id = *change.vehicle_id;
    Apply(p, change);
    p.created_at = now;
    if (auto bad = CheckPlan(p)) return *bad;
    return InTransaction<MaintenancePlan>(db_, [&]() -> Outcome<MaintenancePlan> {
        if (auto ok = CheckVehicle(db_, viewer, p.vehicle_id); !ok)
            return ok.Failure<MaintenancePlan>();
        Sql count;
        count << "SELECT count(*) FROM maintenance_plans WHERE vehicle_id = ? AND archived_at IS "
                 "NULL";
        count.Arg(p.vehicle_id);
        auto n = Count(db_, count, "count plans");
        if (!n) return n.error();
        if (*n >= kMaxPlansPerVehicle) {
            return Refused{Refusal::kConflict,
                           fmt::format("a vehicle has at most {} plans", kMaxPlansPerVehicle)};
        }
        Sql insert;
        insert << "INSERT INTO maintenance_plans (tenant_id, vehicle_id, created_at, name) VALUES "
                  "(?, ?, ?, '')";
        insert.Arg(viewer.scope.tenant_id()).Arg(p.vehicle_id).Arg(ToMs(now));
        if (auto ok = Change(db_, insert, "add plan"); !ok) return ok.Failure<MaintenancePlan>();
        p.id = sqlite3_last_insert_rowid(db_.db);
        Sql update;
        update << "UPDATE maintenance_plans SET ";
        PlanValues(update, p);
        update << " WHERE id = ?";
        update.Arg(p.id);
        if (auto ok = Change(db_, update, "add plan"); !ok) return ok.Failure<MaintenancePlan>();
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "maintenance_plan.add",
                           fmt::format("maintenance_plan:{}", p.id), PlanDetail(p));
            !a) {
            return a.Failure<MaintenancePlan>();
        }
        return p;
    });
}

Outcome<MaintenancePlan> OperationsStore::UpdatePlan(const Viewer& viewer, int64_t id,
                                                     const PlanChange& change, const Actor& actor,
                                                     core::TimePoint now) {
    return InTransaction<MaintenancePlan>(db_, [&]() -> Outcome<MaintenancePlan> {
        auto found = FindPlan(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such maintenance plan"};
        MaintenancePlan p = **found;
        if (p.archived_at) return Refused{Refusal::kConflict, "the plan is archived"};
        if (change.vehicle_id && *change.vehicle_id != p.vehicle_id) {
            return Refused{Refusal::kInvalid, "a plan's 'vehicle_id' does not change"};
        }
        Apply(p, change);
        if (auto bad = CheckPlan(p)) return *bad;
        Sql update;
        update << "UPDATE maintenance_plans SET ";
        PlanValues(update, p);
        update << " WHERE id = ?";
        update.Arg(id);
        if (auto ok = Change(db_, update, "update plan"); !ok) return ok.Failure<MaintenancePlan>();
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "maintenance_plan.update",
                           fmt::format("maintenance_plan:{}", id), PlanDetail(p));
            !a) {
            return a.Failure<MaintenancePlan>();
        }
        return p;
    });
}

Outcome<MaintenancePlan> OperationsStore::ArchivePlan(const Viewer& viewer, int64_t id,
                                                      const Actor& actor, core::TimePoint now) {
    return InTransaction<MaintenancePlan>(db_, [&]() -> Outcome<MaintenancePlan> {
        auto found = FindPlan(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such maintenance plan"};
        MaintenancePlan p = **found;
        if (p.archived_at) return p;
        Sql update;
        update << "UPDATE maintenance_plans SET archived_at = ? WHERE id = ?";
        update.Arg(ToMs(now)).Arg(id);
        if (auto ok = Change(db_, update, "archive plan"); !ok)
            return ok.Failure<MaintenancePlan>();
        p.archived_at = now;
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "maintenance_plan.archive",
                           fmt::format("maintenance_plan:{}", id), PlanDetail(p));
            !a) {
            return a.Failure<MaintenancePlan>();
        }
        return p;
    });
}

// --- the service log
// -------------------------------------------------------------------------------

namespace {

constexpr std::string_view kServiceSelect =
    "SELECT s.id, s.vehicle_id, s.plan_id, s.date, s.odometer_m, s.engine_h, s.cost_cents, "
    "s.currency, s.note, "
    "s.created_at FROM service_log s JOIN vehicles v ON v.id = s.vehicle_id";

ServiceRecord ReadService(sqlite3_stmt* s) {
    ServiceRecord r;
    r.id = sqlite3_column_int64(s, 0);
    r.vehicle_id = sqlite3_column_int64(s, 1);
    r.plan_id = ColOptInt(s, 2);
    r.date = Col(s, 3);
    r.odometer_m = ColOptDouble(s, 4);
    r.engine_h = ColOptDouble(s, 5);
    r.cost_cents = ColOptInt(s, 6);
    r.currency = Col(s, 7);
    r.note = Col(s, 8);
    r.created_at = FromMs(sqlite3_column_int64(s, 9));
    return r;
}

bool ValidCurrency(const std::string& c) {
    return c.size() == 3 &&
           std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

// Text of several lines: no control characters but line breaks and tabs.
bool ValidNote(const std::string& note) {
    return std::none_of(note.begin(), note.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f;
    });
}

std::optional<Refused> CheckService(const ServiceRecord& r) {
    auto invalid = [](std::string detail) { return Refused{Refusal::kInvalid, std::move(detail)}; };
    if (!ParseLocalDay(r.date)) return invalid("'date' must be a date YYYY-MM-DD");
    if (!NonNegative(r.odometer_m, 1e10)) return invalid("'odometer_m' must be from 0 to 1e10");
    if (!NonNegative(r.engine_h, 1e7)) return invalid("'engine_h' must be from 0 to 10000000");
    if (r.cost_cents && *r.cost_cents < 0) return invalid("'cost_cents' must not be negative");
    if (!ValidCurrency(r.currency))
        return invalid("'currency' must be an ISO 4217 code (three capital letters)");
    if (r.note.size() > 2000) return invalid("'note' is longer than 2000 bytes");
    if (!ValidNote(r.note)) return invalid("'note' must not contain control characters");
    return std::nullopt;
}

}  // namespace

Result<Page<ServiceRecord>> OperationsStore::ListServices(const Viewer& viewer,
                                                          const ServiceFilter& filter,
                                                          const Paging& paging) {
    auto order = OrderBy(paging, {{"date", "s.date"}, {"id", "s.id"}}, "s.id");
    if (!order) return order.error();
    Sql where;
    where << " WHERE s.tenant_id = ? AND ";
    where.Arg(viewer.scope.tenant_id());
    VisibleVehicleSql(where, viewer);
    if (filter.vehicle_id) {
        where << " AND s.vehicle_id = ?";
        where.Arg(*filter.vehicle_id);
    }
    if (filter.plan_id) {
        where << " AND s.plan_id = ?";
        where.Arg(*filter.plan_id);
    }
    Sql count = where;
    count.text =
        "SELECT count(*) FROM service_log s JOIN vehicles v ON v.id = s.vehicle_id" + where.text;
    auto total = Count(db_, count, "count services");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("{}{}{} LIMIT ? OFFSET ?", kServiceSelect, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<ServiceRecord>(db_, rows, "list services", ReadService);
    if (!items) return items.error();
    return Page<ServiceRecord>{std::move(*items), *total};
}

Outcome<ServiceRecord> OperationsStore::AddService(const Viewer& viewer,
                                                   const ServiceRecord& service, const Actor& actor,
                                                   core::TimePoint now) {
    ServiceRecord r = service;
    r.created_at = now;
    if (auto bad = CheckService(r)) return *bad;
    if (!r.plan_id && r.vehicle_id == 0)
        return Refused{Refusal::kInvalid, "'vehicle_id' or 'plan_id' is required"};
    return InTransaction<ServiceRecord>(db_, [&]() -> Outcome<ServiceRecord> {
        std::optional<MaintenancePlan> plan;
        if (r.plan_id) {
            auto found = FindPlan(viewer, *r.plan_id);
            if (!found) return found.error();
            if (!found->has_value()) return Refused{Refusal::kNotFound, "no such maintenance plan"};
            plan = **found;
            if (plan->archived_at) return Refused{Refusal::kConflict, "the plan is archived"};
            if (r.vehicle_id == 0) r.vehicle_id = plan->vehicle_id;
            if (r.vehicle_id != plan->vehicle_id) {
                return Refused{Refusal::kInvalid, "the plan is of another vehicle"};
            }
        }
        if (auto ok = CheckVehicle(db_, viewer, r.vehicle_id); !ok)
            return ok.Failure<ServiceRecord>();
        Sql insert;
        insert << "INSERT INTO service_log (tenant_id, vehicle_id, plan_id, date, odometer_m, "
                  "engine_h, cost_cents, "
                  "currency, note, created_at) VALUES (?, ?, ";
        insert.Arg(viewer.scope.tenant_id()).Arg(r.vehicle_id);
        insert.Value(r.plan_id) << ", ?, ";
        insert.Arg(r.date);
        insert.RealValue(r.odometer_m) << ", ";
        insert.RealValue(r.engine_h) << ", ";
        insert.Value(r.cost_cents) << ", ?, ?, ?)";
        insert.Arg(r.currency).Arg(r.note).Arg(ToMs(now));
        if (auto ok = Change(db_, insert, "add service"); !ok) return ok.Failure<ServiceRecord>();
        r.id = sqlite3_last_insert_rowid(db_.db);
        // The plan's next due counts from this service, unless a later one is already recorded.
        if (plan && (!plan->last_done_date || *plan->last_done_date <= r.date)) {
            Sql reading_sql;
            reading_sql << "SELECT " << kReadingColumns << " FROM vehicles v" << kReadingJoins
                        << " WHERE v.id = ?";
            reading_sql.Arg(r.vehicle_id);
            auto readings = Rows<Reading>(db_, reading_sql, "read odometer",
                                          [](sqlite3_stmt* s) { return ReadReading(s, 0); });
            if (!readings) return readings.error();
            Reading now_reading = readings->empty() ? Reading{} : readings->front();
            Sql update;
            update << "UPDATE maintenance_plans SET last_done_date = ?, last_done_odometer_m = ";
            update.Arg(r.date);
            update.RealValue(r.odometer_m ? r.odometer_m : now_reading.odometer_m)
                << ", last_done_engine_h = ";
            update.RealValue(r.engine_h ? r.engine_h : now_reading.engine_h) << " WHERE id = ?";
            update.Arg(plan->id);
            if (auto ok = Change(db_, update, "move plan"); !ok) return ok.Failure<ServiceRecord>();
        }
        std::string detail =
            fmt::format(R"({{"vehicle_id":{},"plan_id":{},"date":"{}"}})", r.vehicle_id,
                        r.plan_id ? std::to_string(*r.plan_id) : "null", r.date);
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "service.add",
                           fmt::format("service:{}", r.id), detail);
            !a) {
            return a.Failure<ServiceRecord>();
        }
        return r;
    });
}

// --- the maintenance check
// -------------------------------------------------------------------------

namespace {

// What identifies one due cycle of a plan: where it falls due. A service or a change of the plan
// moves it, and with it the key.
std::string DuePoint(const MaintenanceDueRow& r) {
    std::string out;
    if (r.due_odometer_m) out += fmt::format("odo={:.0f};", *r.due_odometer_m);
    if (r.due_engine_h) out += fmt::format("eng={:.2f};", *r.due_engine_h);
    if (r.due_date) out += "date=" + r.due_date->ToString() + ";";
    return out;
}

std::string DueDetail(const MaintenanceDueRow& r) {
    std::string out = fmt::format("{{\"plan_id\":{},\"plan\":", r.plan_id);
    core::AppendJsonString(out, r.name);
    out += fmt::format(",\"status\":\"{}\"", ToString(r.status));
    auto number = [&](std::string_view name, const std::optional<double>& v) {
        if (!v) return;
        out += fmt::format(",\"{}\":", name);
        core::AppendJsonNumber(out, *v);
    };
    number("odometer_km",
           r.odometer_m ? std::optional<double>(*r.odometer_m / 1000) : std::nullopt);
    number("remaining_km", r.remaining_km);
    number("engine_hours", r.engine_h);
    number("remaining_engine_h", r.remaining_engine_h);
    if (r.due_date) out += fmt::format(",\"due_date\":\"{}\"", r.due_date->ToString());
    if (r.remaining_days) out += fmt::format(",\"remaining_days\":{}", *r.remaining_days);
    return out + "}";
}

}  // namespace

Result<MaintenanceCheck> OperationsStore::CheckMaintenance(core::TimePoint now) {
    struct TenantRow {
        int64_t id = 0;
        std::string time_zone;
    };
    Sql tenants;
    tenants << "SELECT id, time_zone FROM tenants WHERE status = 'active' AND id IN "
               "(SELECT tenant_id FROM maintenance_plans WHERE archived_at IS NULL) ORDER BY id";
    auto rows = Rows<TenantRow>(db_, tenants, "maintenance check tenants", [](sqlite3_stmt* s) {
        return TenantRow{sqlite3_column_int64(s, 0), std::string(Col(s, 1))};
    });
    if (!rows) return rows.error();
    MaintenanceCheck check;
    for (const auto& t : *rows) {
        auto zone = Zone::Find(t.time_zone);
        if (!zone) {
            spdlog::warn("maintenance check: tenant {}: {}", t.id, zone.error().message);
            continue;
        }
        auto done = db_.Transaction<int64_t>([&]() -> Result<int64_t> {
            auto plans = EvaluatePlans(db_, t.id, *zone, zone->DayOf(now), [&](Sql& sql) {
                sql << "v.tenant_id = ?";
                sql.Arg(t.id);
            });
            if (!plans) return plans.error();
            check.plans += static_cast<int64_t>(plans->size());
            int64_t raised = 0;
            for (const auto& p : *plans) {
                if (p.status == DueStatus::kOk) continue;
                std::string type =
                    p.status == DueStatus::kOverdue ? "maintenance_overdue" : "maintenance_due";
                Sql insert;
                insert << "INSERT OR IGNORE INTO events (key, tenant_id, vehicle_id, type, time, "
                          "detail, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)";
                insert.Arg(fmt::format("{}:plan:{}:{}", type, p.plan_id, DuePoint(p)))
                    .Arg(t.id)
                    .Arg(p.vehicle_id);
                insert.Arg(type).Arg(ToMs(now)).Arg(DueDetail(p)).Arg(ToMs(now));
                if (auto ok = Change(db_, insert, "raise maintenance event"); !ok)
                    return *ok.error();
                raised += sqlite3_changes(db_.db);
            }
            return raised;
        });
        if (!done) return done.error();
        check.raised += *done;
    }
    return check;
}

}  // namespace fleet::store
