// FleetStore: devices — a tenant's own, and the operator's across tenants (register, approve,
// give to a tenant, disable). The gateway reads the same rows through Store (store.hpp): a device
// with a tenant is still just an active or disabled device to it.
#include "core/validate.hpp"
#include "store/detail/fleet_impl.hpp"
#include "store/fleet.hpp"

namespace fleet::store {
namespace {

using namespace detail;

constexpr std::string_view kDeviceSelect =
    "SELECT d.id, d.imei, d.protocol, d.name, d.status, d.model, d.firmware, d.tenant_id, t.name, i.vehicle_id, "
    "d.created_at FROM devices d LEFT JOIN tenants t ON t.id = d.tenant_id "
    "LEFT JOIN installations i ON i.device_id = d.id AND i.to_time IS NULL";

FleetDevice ReadDevice(sqlite3_stmt* s) {
    FleetDevice d;
    d.id = sqlite3_column_int64(s, 0);
    d.imei = Col(s, 1);
    d.protocol = Col(s, 2);
    d.name = Col(s, 3);
    d.status = Col(s, 4) == "disabled" ? DeviceStatus::kDisabled : DeviceStatus::kActive;
    d.model = Col(s, 5);
    d.firmware = Col(s, 6);
    d.tenant_id = ColOptInt(s, 7);
    d.tenant = Col(s, 8);
    d.vehicle_id = ColOptInt(s, 9);
    d.created_at = FromMs(sqlite3_column_int64(s, 10));
    return d;
}

// " WHERE ..." for a device list; `tenant` as in DeviceFilter::tenant.
Sql DeviceWhere(const DeviceFilter& f, const std::optional<std::optional<TenantScope>>& tenant) {
    Sql sql;
    sql << " WHERE 1";
    if (tenant) {
        if (*tenant) {
            sql << " AND d.tenant_id = ?";
            sql.Arg((*tenant)->tenant_id());
        } else {
            sql << " AND d.tenant_id IS NULL";
        }
    }
    if (!f.q.empty()) {
        sql << " AND (d.imei LIKE ? ESCAPE '\\' OR d.name LIKE ? ESCAPE '\\' OR d.model LIKE ? ESCAPE '\\')";
        for (int i = 0; i < 3; ++i) sql.Arg(Contains(f.q));
    }
    if (f.status) {
        sql << " AND d.status = ?";
        sql.Arg(std::string(ToString(*f.status)));
    }
    if (f.protocol) {
        sql << " AND d.protocol = ?";
        sql.Arg(*f.protocol);
    }
    return sql;
}

Result<Page<FleetDevice>> ListWhere(AccountStore::Impl& db, const Sql& where, const Paging& paging) {
    auto order = OrderBy(paging,
                         {{"id", "d.id"},
                          {"imei", "d.imei"},
                          {"name", "d.name COLLATE NOCASE"},
                          {"model", "d.model COLLATE NOCASE"},
                          {"created_at", "d.created_at"}},
                         "d.id");
    if (!order) return order.error();
    Sql count = where;
    count.text = "SELECT count(*) FROM devices d" + where.text;
    auto total = Count(db, count, "count devices");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("{}{}{} LIMIT ? OFFSET ?", kDeviceSelect, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<FleetDevice>(db, rows, "list devices", ReadDevice);
    if (!items) return items.error();
    return Page<FleetDevice>{std::move(*items), *total};
}

Result<std::optional<FleetDevice>> FindWhere(AccountStore::Impl& db, int64_t id, std::optional<TenantScope> scope) {
    Sql sql;
    sql << kDeviceSelect << " WHERE d.id = ?";
    sql.Arg(id);
    if (scope) {
        sql << " AND d.tenant_id = ?";
        sql.Arg(scope->tenant_id());
    }
    auto rows = Rows<FleetDevice>(db, sql, "find device", ReadDevice);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<FleetDevice>();
    return std::optional<FleetDevice>(std::move(rows->front()));
}

std::optional<Refused> CheckDeviceText(const std::optional<std::string>& name, const std::optional<std::string>& model,
                                       const std::optional<std::string>& firmware) {
    for (auto [field, value] : {std::pair{"name", &name}, {"model", &model}, {"firmware", &firmware}}) {
        if (*value) {
            if (auto bad = CheckLine(field, **value, false)) return bad;
        }
    }
    return std::nullopt;
}

std::optional<int64_t> TenantIdOf(const std::optional<TenantScope>& scope) {
    return scope ? std::optional<int64_t>(scope->tenant_id()) : std::nullopt;
}

// Inserts a device and clears it from the pending list; audits `action`.
Outcome<FleetDevice> InsertDevice(AccountStore::Impl& db, const NewDevice& d, const std::string& action,
                                  const Actor& actor, core::TimePoint now) {
    Sql insert;
    insert << "INSERT INTO devices (imei, protocol, name, status, created_at, tenant_id, model, firmware) "
              "VALUES (?, ?, ?, 'active', ?, ";
    insert.Arg(d.imei).Arg(d.protocol).Arg(d.name).Arg(ToMs(now));
    insert.Value(TenantIdOf(d.tenant)) << ", ?, ?)";
    insert.Arg(d.model).Arg(d.firmware);
    if (auto r = Change(db, insert, "add device", "a device with this IMEI exists"); !r) return Failure<FleetDevice>(r);
    int64_t id = sqlite3_last_insert_rowid(db.db);
    Sql unpend;
    unpend << "DELETE FROM pending_devices WHERE imei = ?";
    unpend.Arg(d.imei);
    if (auto r = Change(db, unpend, "clear pending device"); !r) return Failure<FleetDevice>(r);
    std::string detail = DetailJson({{"imei", d.imei}, {"protocol", d.protocol}});
    detail.pop_back();
    detail += fmt::format(",\"tenant_id\":{}}}", d.tenant ? std::to_string(d.tenant->tenant_id()) : "null");
    if (auto a = Audit(db, actor, now, TenantIdOf(d.tenant), action, fmt::format("device:{}", id), detail); !a) {
        return Failure<FleetDevice>(a);
    }
    auto found = FindWhere(db, id, std::nullopt);
    if (!found) return found.error();
    if (!found->has_value()) return Error{"device vanished"};
    return **found;
}

}  // namespace

// --- a tenant's devices --------------------------------------------------------------------------

Result<Page<FleetDevice>> FleetStore::ListDevices(TenantScope scope, const DeviceFilter& filter, const Paging& paging) {
    return ListWhere(db_, DeviceWhere(filter, std::optional<TenantScope>(scope)), paging);
}

Result<std::optional<FleetDevice>> FleetStore::FindDevice(TenantScope scope, int64_t id) {
    return FindWhere(db_, id, scope);
}

Outcome<FleetDevice> FleetStore::RenameDevice(TenantScope scope, int64_t id, const std::string& name,
                                              const Actor& actor, core::TimePoint now) {
    if (auto bad = CheckLine("name", name, false)) return *bad;
    return InTransaction<FleetDevice>(db_, [&]() -> Outcome<FleetDevice> {
        auto found = FindWhere(db_, id, scope);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such device"};
        Sql update;
        update << "UPDATE devices SET name = ? WHERE id = ?";
        update.Arg(name).Arg(id);
        if (auto r = Change(db_, update, "rename device"); !r) return Failure<FleetDevice>(r);
        if (auto a = Audit(db_, actor, now, scope.tenant_id(), "device.update", fmt::format("device:{}", id),
                           "{\"fields\":[\"name\"]}");
            !a) {
            return Failure<FleetDevice>(a);
        }
        FleetDevice d = **found;
        d.name = name;
        return d;
    });
}

// --- the operator's ------------------------------------------------------------------------------

Result<Page<FleetDevice>> FleetStore::OperatorListDevices(const DeviceFilter& filter, const Paging& paging) {
    return ListWhere(db_, DeviceWhere(filter, filter.tenant), paging);
}

Result<std::optional<FleetDevice>> FleetStore::OperatorFindDevice(int64_t id) { return FindWhere(db_, id, std::nullopt); }

Outcome<FleetDevice> FleetStore::OperatorAddDevice(const NewDevice& device, const Actor& actor, core::TimePoint now) {
    if (auto r = core::ValidateDeviceId(device.protocol, device.imei); !r) {
        return Refused{Refusal::kInvalid, "'imei': " + r.error().message};
    }
    if (auto bad = CheckDeviceText(device.name, device.model, device.firmware)) return *bad;
    return InTransaction<FleetDevice>(db_, [&] { return InsertDevice(db_, device, "device.add", actor, now); });
}

Outcome<FleetDevice> FleetStore::OperatorUpdateDevice(int64_t id, const DeviceChange& c, const Actor& actor,
                                                      core::TimePoint now) {
    if (auto bad = CheckDeviceText(c.name, c.model, c.firmware)) return *bad;
    return InTransaction<FleetDevice>(db_, [&]() -> Outcome<FleetDevice> {
        auto found = FindWhere(db_, id, std::nullopt);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such device"};
        const FleetDevice& before = **found;
        std::optional<int64_t> new_tenant = c.tenant ? TenantIdOf(*c.tenant) : before.tenant_id;
        bool moves = new_tenant != before.tenant_id;
        if (moves && before.vehicle_id) {
            return Refused{Refusal::kConflict,
                           "the device is installed in a vehicle: end the installation before changing its tenant"};
        }
        Sql update;
        update << "UPDATE devices SET id = id";
        std::string fields = "[";
        auto set = [&](const char* column, const std::optional<std::string>& value) {
            if (!value) return;
            update << fmt::format(", {} = ?", column);
            update.Arg(*value);
            fields += fmt::format("{}\"{}\"", fields.size() > 1 ? "," : "", column);
        };
        set("name", c.name);
        set("model", c.model);
        set("firmware", c.firmware);
        set("status", c.status ? std::optional<std::string>(ToString(*c.status)) : std::nullopt);
        if (c.tenant) {
            update << ", tenant_id = ";
            update.Value(new_tenant);
            fields += fmt::format("{}\"tenant\"", fields.size() > 1 ? "," : "");
        }
        update << " WHERE id = ?";
        update.Arg(id);
        if (auto r = Change(db_, update, "update device"); !r) return Failure<FleetDevice>(r);
        auto opt = [](std::optional<int64_t> v) { return v ? std::to_string(*v) : std::string("null"); };
        std::string detail = fmt::format("{{\"fields\":{}]", fields);
        if (moves) detail += fmt::format(",\"from_tenant_id\":{},\"to_tenant_id\":{}", opt(before.tenant_id), opt(new_tenant));
        detail += "}";
        // Written to the tenant that has the device now (or had it, when it goes back to stock).
        if (auto a = Audit(db_, actor, now, new_tenant ? new_tenant : before.tenant_id, "device.update",
                           fmt::format("device:{}", id), detail);
            !a) {
            return Failure<FleetDevice>(a);
        }
        auto after = FindWhere(db_, id, std::nullopt);
        if (!after) return after.error();
        if (!after->has_value()) return Error{"device vanished"};
        return **after;
    });
}

Result<Page<PendingDevice>> FleetStore::OperatorListPending(const std::string& q, const Paging& paging) {
    auto order = OrderBy(paging,
                         {{"last_attempt", "last_attempt"},
                          {"first_attempt", "first_attempt"},
                          {"imei", "imei"},
                          {"attempts", "attempts"}},
                         "imei");
    if (!order) return order.error();
    Sql where;
    if (!q.empty()) {
        where << " WHERE imei LIKE ? ESCAPE '\\'";
        where.Arg(Contains(q));
    }
    Sql count = where;
    count.text = "SELECT count(*) FROM pending_devices" + where.text;
    auto total = Count(db_, count, "count pending devices");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = "SELECT imei, protocol, first_attempt, last_attempt, address, attempts FROM pending_devices" +
                where.text + *order + " LIMIT ? OFFSET ?";
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<PendingDevice>(db_, rows, "list pending devices", [](sqlite3_stmt* s) {
        PendingDevice p;
        p.imei = Col(s, 0);
        p.protocol = Col(s, 1);
        p.first_attempt = FromMs(sqlite3_column_int64(s, 2));
        p.last_attempt = FromMs(sqlite3_column_int64(s, 3));
        p.address = Col(s, 4);
        p.attempts = sqlite3_column_int64(s, 5);
        return p;
    });
    if (!items) return items.error();
    return Page<PendingDevice>{std::move(*items), *total};
}

Outcome<FleetDevice> FleetStore::OperatorApprovePending(const std::string& imei, const NewDevice& details,
                                                        const Actor& actor, core::TimePoint now) {
    if (auto bad = CheckDeviceText(details.name, details.model, details.firmware)) return *bad;
    return InTransaction<FleetDevice>(db_, [&]() -> Outcome<FleetDevice> {
        Sql pending;
        pending << "SELECT protocol FROM pending_devices WHERE imei = ?";
        pending.Arg(imei);
        auto protocol = Rows<std::string>(db_, pending, "find pending device",
                                          [](sqlite3_stmt* s) { return std::string(Col(s, 0)); });
        if (!protocol) return protocol.error();
        if (protocol->empty()) return Refused{Refusal::kNotFound, "no such pending device"};
        NewDevice d = details;
        d.imei = imei;
        d.protocol = protocol->front();
        return InsertDevice(db_, d, "device.approve", actor, now);
    });
}

}  // namespace fleet::store
