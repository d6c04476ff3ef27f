// OperationsStore: the vehicles' dashboard odometers and their drivers' assignments.
#include "core/time.hpp"
#include "store/detail/operations_impl.hpp"
#include "store/operations.hpp"

namespace fleet::store {

using namespace detail;

Outcome<Done> detail::CheckVehicle(AccountStore::Impl& db, const Viewer& viewer, int64_t vehicle_id,
                                   bool archived_too) {
    Sql sql;
    sql << "SELECT count(*) FROM vehicles v WHERE v.id = ? AND ";
    sql.Arg(vehicle_id);
    if (!archived_too) sql << "v.archived_at IS NULL AND ";
    VisibleVehicleSql(sql, viewer);
    auto n = Count(db, sql, "check vehicle");
    if (!n) return n.error();
    if (*n == 0) return Refused{Refusal::kNotFound, "no such vehicle"};
    return Done{};
}

// --- odometer ------------------------------------------------------------------------------------

namespace {

Outcome<Reading> VehicleReading(AccountStore::Impl& db, const Viewer& viewer, int64_t vehicle_id) {
    Sql sql;
    sql << "SELECT " << kReadingColumns << " FROM vehicles v" << kReadingJoins
        << " WHERE v.id = ? AND ";
    sql.Arg(vehicle_id);
    VisibleVehicleSql(sql, viewer);
    auto rows =
        Rows<Reading>(db, sql, "read odometer", [](sqlite3_stmt* s) { return ReadReading(s, 0); });
    if (!rows) return rows.error();
    if (rows->empty()) return Refused{Refusal::kNotFound, "no such vehicle"};
    return rows->front();
}

Odometer OdometerOf(const Reading& r) {
    Odometer o;
    if (r.odometer_m) o.odometer_km = *r.odometer_m / 1000;
    o.engine_hours = r.engine_h;
    o.set_at = r.set_at;
    return o;
}

}  // namespace

Outcome<Odometer> OperationsStore::GetOdometer(const Viewer& viewer, int64_t vehicle_id) {
    auto reading = VehicleReading(db_, viewer, vehicle_id);
    if (!reading) return reading.Failure<Odometer>();
    return OdometerOf(*reading);
}

Outcome<Odometer> OperationsStore::SetOdometer(const Viewer& viewer, int64_t vehicle_id,
                                               double odometer_km,
                                               std::optional<double> engine_hours,
                                               const Actor& actor, core::TimePoint now) {
    if (!InRange(odometer_km, 0, 1e7)) {
        return Refused{Refusal::kInvalid, "'odometer_km' must be from 0 to 10000000"};
    }
    if (engine_hours && !InRange(*engine_hours, 0, 1e6)) {
        return Refused{Refusal::kInvalid, "'engine_hours' must be from 0 to 1000000"};
    }
    return InTransaction<Odometer>(db_, [&]() -> Outcome<Odometer> {
        if (auto ok = CheckVehicle(db_, viewer, vehicle_id); !ok) return ok.Failure<Odometer>();
        auto before = VehicleReading(db_, viewer, vehicle_id);
        if (!before) return before.Failure<Odometer>();
        // From now on: reading = dashboard + (device's counter - its value now).
        std::optional<double> engine_dashboard_s;
        if (engine_hours) {
            engine_dashboard_s = *engine_hours * 3600;
        } else if (before->engine_h) {
            engine_dashboard_s = *before->engine_h * 3600;  // unchanged
        }
        Sql upsert;
        upsert << "INSERT INTO vehicle_odometer (vehicle_id, set_at, dashboard_m, base_m, "
                  "engine_base_s, "
                  "engine_dashboard_s) VALUES (?, ?, ?, ?, ?, ";
        upsert.Arg(vehicle_id)
            .Arg(ToMs(now))
            .Real(odometer_km * 1000)
            .Real(before->counted_m.value_or(0));
        upsert.Real(before->counted_s.value_or(0));
        upsert.RealValue(engine_dashboard_s)
            << ") ON CONFLICT (vehicle_id) DO UPDATE SET set_at = excluded.set_at, dashboard_m = "
               "excluded.dashboard_m, "
               "base_m = excluded.base_m, engine_base_s = excluded.engine_base_s, "
               "engine_dashboard_s = excluded.engine_dashboard_s";
        if (auto ok = Change(db_, upsert, "set odometer"); !ok) return ok.Failure<Odometer>();
        std::string detail = "{\"odometer_km\":";
        core::AppendJsonNumber(detail, odometer_km);
        detail += ",\"engine_hours\":";
        if (engine_hours) {
            core::AppendJsonNumber(detail, *engine_hours);
        } else {
            detail += "null";
        }
        detail += "}";
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "vehicle.odometer.set",
                           fmt::format("vehicle:{}", vehicle_id), detail);
            !a) {
            return a.Failure<Odometer>();
        }
        auto after = VehicleReading(db_, viewer, vehicle_id);
        if (!after) return after.Failure<Odometer>();
        return OdometerOf(*after);
    });
}

// --- driver assignments
// ----------------------------------------------------------------------------

namespace {

constexpr std::string_view kAssignmentSelect =
    "SELECT a.id, a.vehicle_id, a.driver_id, coalesce(d.name, ''), a.from_time, a.to_time, "
    "a.created_at "
    "FROM driver_assignments a LEFT JOIN drivers d ON d.id = a.driver_id";

Assignment ReadAssignment(sqlite3_stmt* s) {
    Assignment a;
    a.id = sqlite3_column_int64(s, 0);
    a.vehicle_id = sqlite3_column_int64(s, 1);
    a.driver_id = sqlite3_column_int64(s, 2);
    a.driver_name = Col(s, 3);
    a.from = FromMs(sqlite3_column_int64(s, 4));
    if (auto to = ColOptInt(s, 5)) a.to = FromMs(*to);
    a.created_at = FromMs(sqlite3_column_int64(s, 6));
    return a;
}

std::string AssignmentDetail(const Assignment& a) {
    return fmt::format(R"({{"vehicle_id":{},"driver_id":{},"from":"{}","to":{}}})", a.vehicle_id,
                       a.driver_id, core::FormatIso(a.from),
                       a.to ? "\"" + core::FormatIso(*a.to) + "\"" : "null");
}

}  // namespace

Outcome<Page<Assignment>> OperationsStore::ListAssignments(const Viewer& viewer, int64_t vehicle_id,
                                                           const Paging& paging) {
    if (auto ok = CheckVehicle(db_, viewer, vehicle_id, true); !ok)
        return ok.Failure<Page<Assignment>>();
    auto order = OrderBy(paging, {{"from", "a.from_time"}}, "a.id");
    if (!order) return order.error();
    Sql count;
    count << "SELECT count(*) FROM driver_assignments a WHERE a.vehicle_id = ? AND a.tenant_id = ?";
    count.Arg(vehicle_id).Arg(viewer.scope.tenant_id());
    auto total = Count(db_, count, "count assignments");
    if (!total) return total.error();
    Sql rows;
    rows << kAssignmentSelect << " WHERE a.vehicle_id = ? AND a.tenant_id = ?" << *order
         << " LIMIT ? OFFSET ?";
    rows.Arg(vehicle_id).Arg(viewer.scope.tenant_id()).Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Assignment>(db_, rows, "list assignments", ReadAssignment);
    if (!items) return items.error();
    return Page<Assignment>{std::move(*items), *total};
}

Outcome<Assignment> OperationsStore::AddAssignment(const Viewer& viewer, int64_t vehicle_id,
                                                   int64_t driver_id, core::TimePoint from,
                                                   std::optional<core::TimePoint> to,
                                                   const Actor& actor, core::TimePoint now) {
    if (to && *to <= from) return Refused{Refusal::kInvalid, "'to' must be after 'from'"};
    return InTransaction<Assignment>(db_, [&]() -> Outcome<Assignment> {
        if (auto ok = CheckVehicle(db_, viewer, vehicle_id); !ok) return ok.Failure<Assignment>();
        Sql driver;
        driver << "SELECT count(*) FROM drivers WHERE id = ? AND tenant_id = ?";
        driver.Arg(driver_id).Arg(viewer.scope.tenant_id());
        auto known = Count(db_, driver, "check driver");
        if (!known) return known.error();
        if (*known == 0)
            return Refused{Refusal::kNotFound, fmt::format("no such driver {}", driver_id)};
        Sql overlap;
        overlap << "SELECT count(*) FROM driver_assignments WHERE vehicle_id = ? AND (to_time IS "
                   "NULL OR to_time > ?)";
        overlap.Arg(vehicle_id).Arg(ToMs(from));
        if (to) {
            overlap << " AND from_time < ?";
            overlap.Arg(ToMs(*to));
        }
        auto overlapping = Count(db_, overlap, "check assignment overlap");
        if (!overlapping) return overlapping.error();
        if (*overlapping > 0) {
            return Refused{Refusal::kConflict,
                           "the vehicle has another driver assigned for part of this period"};
        }
        Sql count;
        count << "SELECT count(*) FROM driver_assignments WHERE vehicle_id = ?";
        count.Arg(vehicle_id);
        auto n = Count(db_, count, "count assignments");
        if (!n) return n.error();
        if (*n >= kMaxAssignmentsPerVehicle) {
            return Refused{Refusal::kConflict, fmt::format("a vehicle has at most {} assignments",
                                                           kMaxAssignmentsPerVehicle)};
        }
        Sql insert;
        insert << "INSERT INTO driver_assignments (tenant_id, vehicle_id, driver_id, from_time, "
                  "to_time, created_at) "
                  "VALUES (?, ?, ?, ?, ";
        insert.Arg(viewer.scope.tenant_id()).Arg(vehicle_id).Arg(driver_id).Arg(ToMs(from));
        insert.Value(to ? std::optional<int64_t>(ToMs(*to)) : std::nullopt) << ", ?)";
        insert.Arg(ToMs(now));
        if (auto ok = Change(db_, insert, "add assignment"); !ok) return ok.Failure<Assignment>();
        int64_t id = sqlite3_last_insert_rowid(db_.db);
        Sql read;
        read << kAssignmentSelect << " WHERE a.id = ?";
        read.Arg(id);
        auto made = Rows<Assignment>(db_, read, "read assignment", ReadAssignment);
        if (!made) return made.error();
        if (made->empty()) return Error{"the new assignment is gone"};
        Assignment a = made->front();
        if (auto au = Audit(db_, actor, now, viewer.scope.tenant_id(), "assignment.add",
                            fmt::format("assignment:{}", id), AssignmentDetail(a));
            !au) {
            return au.Failure<Assignment>();
        }
        return a;
    });
}

Outcome<int64_t> OperationsStore::DeleteAssignment(const Viewer& viewer, int64_t id,
                                                   const Actor& actor, core::TimePoint now) {
    return InTransaction<int64_t>(db_, [&]() -> Outcome<int64_t> {
        Sql read;
        read << kAssignmentSelect << " WHERE a.id = ? AND a.tenant_id = ?";
        read.Arg(id).Arg(viewer.scope.tenant_id());
        auto found = Rows<Assignment>(db_, read, "find assignment", ReadAssignment);
        if (!found) return found.error();
        if (found->empty()) return Refused{Refusal::kNotFound, "no such assignment"};
        const Assignment& a = found->front();
        if (auto ok = CheckVehicle(db_, viewer, a.vehicle_id, true); !ok) {
            return Refused{Refusal::kNotFound, "no such assignment"};
        }
        Sql del;
        del << "DELETE FROM driver_assignments WHERE id = ?";
        del.Arg(id);
        if (auto ok = Change(db_, del, "delete assignment"); !ok) return ok.Failure<int64_t>();
        if (auto au = Audit(db_, actor, now, viewer.scope.tenant_id(), "assignment.delete",
                            fmt::format("assignment:{}", id), AssignmentDetail(a));
            !au) {
            return au.Failure<int64_t>();
        }
        return a.vehicle_id;
    });
}

}  // namespace fleet::store
