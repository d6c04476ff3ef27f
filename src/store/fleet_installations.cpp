// FleetStore: installations — which device is in which vehicle, from when to when. A device and a
// vehicle are each in at most one installation at any time; history is never rewritten, only ended.
#include <tuple>

#include "store/detail/fleet_impl.hpp"
#include "store/fleet.hpp"

namespace fleet::store {
namespace {

using namespace detail;

constexpr std::string_view kInstallationSelect =
    "SELECT i.id, i.vehicle_id, i.device_id, d.imei, i.from_time, i.to_time, i.note, i.created_at "
    "FROM installations i JOIN devices d ON d.id = i.device_id JOIN vehicles v ON v.id = i.vehicle_id";

Installation ReadInstallation(sqlite3_stmt* s) {
    Installation i;
    i.id = sqlite3_column_int64(s, 0);
    i.vehicle_id = sqlite3_column_int64(s, 1);
    i.device_id = sqlite3_column_int64(s, 2);
    i.imei = Col(s, 3);
    i.from = FromMs(sqlite3_column_int64(s, 4));
    if (auto to = ColOptInt(s, 5)) i.to = FromMs(*to);
    i.note = Col(s, 6);
    i.created_at = FromMs(sqlite3_column_int64(s, 7));
    return i;
}

// An installation of `column` (vehicle_id or device_id) = `id` overlapping [from, to), to = nullopt
// meaning open-ended; 0 when there is none.
Result<int64_t> Overlapping(AccountStore::Impl& db, const char* column, int64_t id, core::TimePoint from,
                            std::optional<core::TimePoint> to) {
    Sql sql;
    sql << fmt::format("SELECT id FROM installations WHERE {} = ? AND (to_time IS NULL OR to_time > ?)", column);
    sql.Arg(id).Arg(ToMs(from));
    if (to) {
        sql << " AND from_time < ?";
        sql.Arg(ToMs(*to));
    }
    sql << " LIMIT 1";
    auto rows = Rows<int64_t>(db, sql, "check installations", [](sqlite3_stmt* s) { return sqlite3_column_int64(s, 0); });
    if (!rows) return rows.error();
    return rows->empty() ? 0 : rows->front();
}

}  // namespace

Result<Page<Installation>> FleetStore::ListInstallations(const Viewer& viewer, const InstallationFilter& f,
                                                         const Paging& paging) {
    auto order = OrderBy(paging, {{"id", "i.id"}, {"from", "i.from_time"}, {"to", "i.to_time"}}, "i.id");
    if (!order) return order.error();
    Sql where;
    where << " WHERE ";
    VisibleVehicleSql(where, viewer);
    // The tenant's own installations: a device that changed tenant keeps its old ones out of sight.
    where << " AND i.tenant_id = ?";
    where.Arg(viewer.scope.tenant_id());
    if (f.vehicle_id) {
        where << " AND i.vehicle_id = ?";
        where.Arg(*f.vehicle_id);
    }
    if (f.device_id) {
        where << " AND i.device_id = ?";
        where.Arg(*f.device_id);
    }
    if (f.open) where << (*f.open ? " AND i.to_time IS NULL" : " AND i.to_time IS NOT NULL");
    Sql count = where;
    count.text = "SELECT count(*) FROM installations i JOIN vehicles v ON v.id = i.vehicle_id" + where.text;
    auto total = Count(db_, count, "count installations");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("{}{}{} LIMIT ? OFFSET ?", kInstallationSelect, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Installation>(db_, rows, "list installations", ReadInstallation);
    if (!items) return items.error();
    return Page<Installation>{std::move(*items), *total};
}

Result<std::optional<Installation>> FleetStore::FindInstallation(const Viewer& viewer, int64_t id) {
    Sql sql;
    sql << kInstallationSelect << " WHERE i.id = ? AND i.tenant_id = ? AND ";
    sql.Arg(id).Arg(viewer.scope.tenant_id());
    VisibleVehicleSql(sql, viewer);
    auto rows = Rows<Installation>(db_, sql, "find installation", ReadInstallation);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Installation>();
    return std::optional<Installation>(std::move(rows->front()));
}

Outcome<Installation> FleetStore::AddInstallation(const Viewer& viewer, const NewInstallation& in, const Actor& actor,
                                                  core::TimePoint now) {
    if (in.to && *in.to <= in.from) return Refused{Refusal::kInvalid, "'to' must be after 'from'"};
    if (auto bad = CheckLine("note", in.note, false)) return *bad;
    return InTransaction<Installation>(db_, [&]() -> Outcome<Installation> {
        auto vehicle = FindVehicle(viewer, in.vehicle_id);
        if (!vehicle) return vehicle.error();
        if (!vehicle->has_value()) return Refused{Refusal::kNotFound, fmt::format("no such vehicle {}", in.vehicle_id)};
        if ((*vehicle)->archived_at) return Refused{Refusal::kConflict, "the vehicle is archived"};
        auto device = FindDevice(viewer.scope, in.device_id);
        if (!device) return device.error();
        if (!device->has_value()) return Refused{Refusal::kNotFound, fmt::format("no such device {}", in.device_id)};
        for (auto [column, id, what] : {std::tuple{"vehicle_id", in.vehicle_id, "vehicle"},
                                        std::tuple{"device_id", in.device_id, "device"}}) {
            auto other = Overlapping(db_, column, id, in.from, in.to);
            if (!other) return other.error();
            if (*other) {
                return Refused{Refusal::kConflict,
                               fmt::format("the {} is already installed at that time (installation {})", what, *other)};
            }
        }
        Sql insert;
        insert << "INSERT INTO installations (tenant_id, vehicle_id, device_id, from_time, to_time, note, created_at) "
                  "VALUES (?, ?, ?, ?, ";
        insert.Arg(viewer.scope.tenant_id()).Arg(in.vehicle_id).Arg(in.device_id).Arg(ToMs(in.from));
        insert.Value(in.to ? std::optional<int64_t>(ToMs(*in.to)) : std::nullopt) << ", ?, ?)";
        insert.Arg(in.note).Arg(ToMs(now));
        // The open-installation indexes back the check above against a concurrent writer.
        if (auto r = Change(db_, insert, "add installation", "the vehicle or the device is already installed"); !r) {
            return Failure<Installation>(r);
        }
        int64_t id = sqlite3_last_insert_rowid(db_.db);
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "installation.add",
                           fmt::format("installation:{}", id),
                           fmt::format("{{\"vehicle_id\":{},\"device_id\":{}}}", in.vehicle_id, in.device_id));
            !a) {
            return Failure<Installation>(a);
        }
        auto found = FindInstallation(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Error{"installation vanished"};
        return **found;
    });
}

Outcome<Installation> FleetStore::EndInstallation(const Viewer& viewer, int64_t id, core::TimePoint to,
                                                  const Actor& actor, core::TimePoint now) {
    return InTransaction<Installation>(db_, [&]() -> Outcome<Installation> {
        auto found = FindInstallation(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such installation"};
        Installation i = **found;
        if (i.to) return Refused{Refusal::kConflict, "the installation has ended already"};
        if (to <= i.from) return Refused{Refusal::kInvalid, "'to' must be after the installation's start"};
        Sql update;
        update << "UPDATE installations SET to_time = ? WHERE id = ?";
        update.Arg(ToMs(to)).Arg(id);
        if (auto r = Change(db_, update, "end installation"); !r) return Failure<Installation>(r);
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "installation.end",
                           fmt::format("installation:{}", id), "{}");
            !a) {
            return Failure<Installation>(a);
        }
        i.to = to;
        return i;
    });
}

}  // namespace fleet::store
