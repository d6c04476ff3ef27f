// FleetStore: vehicles (lists, reads, add, change, archive), always through the visibility rule.
#include <algorithm>
#include <cmath>

#include "core/validate.hpp"
#include "store/detail/fleet_impl.hpp"
#include "store/fleet.hpp"

namespace fleet::store {
namespace {

using namespace detail;

// The SELECT of a vehicle (alias v) with its open installation and the groups the viewer sees.
void VehicleSelect(Sql& sql, const Viewer& viewer) {
    sql << "SELECT v.id, v.name, v.vin, v.plate, v.make, v.model, v.sale_date, v.insurance_date, v.technical, "
           "v.created_at, v.archived_at, i.id, i.device_id, d.imei, i.from_time, "
           "(SELECT group_concat(gv.group_id) FROM group_vehicles gv JOIN vehicle_groups g ON g.id = gv.group_id "
           "WHERE gv.vehicle_id = v.id AND ";
    VisibleGroupSql(sql, viewer);
    sql << "), v.speed_limit_kmh FROM vehicles v LEFT JOIN installations i ON i.vehicle_id = v.id AND i.to_time IS NULL "
           "LEFT JOIN devices d ON d.id = i.device_id WHERE ";
    VisibleVehicleSql(sql, viewer);
}

Vehicle ReadVehicle(sqlite3_stmt* s) {
    Vehicle v;
    v.id = sqlite3_column_int64(s, 0);
    v.name = Col(s, 1);
    v.vin = ColOptText(s, 2);
    v.plate = Col(s, 3);
    v.make = Col(s, 4);
    v.model = Col(s, 5);
    v.sale_date = ColOptText(s, 6);
    v.insurance_date = ColOptText(s, 7);
    v.technical_json = Col(s, 8);
    v.created_at = FromMs(sqlite3_column_int64(s, 9));
    if (auto a = ColOptInt(s, 10)) v.archived_at = FromMs(*a);
    if (sqlite3_column_type(s, 16) != SQLITE_NULL) v.speed_limit_kmh = sqlite3_column_double(s, 16);
    if (auto i = ColOptInt(s, 11)) {
        v.installation = Installed{*i, sqlite3_column_int64(s, 12), std::string(Col(s, 13)),
                                   FromMs(sqlite3_column_int64(s, 14))};
    }
    std::string_view groups = Col(s, 15);
    while (!groups.empty()) {
        auto comma = groups.find(',');
        std::string_view one = groups.substr(0, comma);
        int64_t id = 0;
        for (char c : one) id = id * 10 + (c - '0');
        v.group_ids.push_back(id);
        groups = comma == std::string_view::npos ? std::string_view() : groups.substr(comma + 1);
    }
    std::sort(v.group_ids.begin(), v.group_ids.end());
    return v;
}

// Checks the fields of a change and upper-cases its VIN; the refusal when one is wrong.
std::optional<Refused> CheckVehicle(VehicleChange& c, bool adding) {
    if (adding && !c.name) return Refused{Refusal::kInvalid, "'name' is required"};
    if (c.name) {
        if (auto bad = CheckLine("name", *c.name, true)) return bad;
    }
    for (auto [field, value] : {std::pair{"plate", &c.plate}, {"make", &c.make}, {"model", &c.model}}) {
        if (*value) {
            if (auto bad = CheckLine(field, **value, false)) return bad;
        }
    }
    if (c.vin && *c.vin) {
        auto vin = core::NormaliseVin(**c.vin);
        if (!vin) return Refused{Refusal::kInvalid, "'vin': " + vin.error().message};
        *c.vin = *vin;
    }
    if (c.speed_limit_kmh && *c.speed_limit_kmh &&
        !(std::isfinite(**c.speed_limit_kmh) && **c.speed_limit_kmh >= 1 && **c.speed_limit_kmh <= 300)) {
        return Refused{Refusal::kInvalid, "'speed_limit_kmh' must be from 1 to 300"};
    }
    for (auto [field, value] : {std::pair{"sale_date", &c.sale_date}, {"insurance_date", &c.insurance_date}}) {
        if (*value && **value && !core::ValidDate(***value)) {
            return Refused{Refusal::kInvalid, fmt::format("'{}' must be a date YYYY-MM-DD that exists", field)};
        }
    }
    return std::nullopt;
}

std::string ChangedFields(const VehicleChange& c) {
    std::string out = "[";
    auto add = [&](bool set, const char* name) {
        if (!set) return;
        if (out.size() > 1) out += ',';
        out += fmt::format("\"{}\"", name);
    };
    add(c.name.has_value(), "name");
    add(c.vin.has_value(), "vin");
    add(c.plate.has_value(), "plate");
    add(c.make.has_value(), "make");
    add(c.model.has_value(), "model");
    add(c.sale_date.has_value(), "sale_date");
    add(c.insurance_date.has_value(), "insurance_date");
    add(c.technical_json.has_value(), "technical");
    add(c.speed_limit_kmh.has_value(), "speed_limit_kmh");
    add(c.group_ids.has_value(), "group_ids");
    return out + "]";
}

}  // namespace

Result<Page<Vehicle>> FleetStore::ListVehicles(const Viewer& viewer, const VehicleFilter& f, const Paging& paging) {
    auto order = OrderBy(paging,
                         {{"id", "v.id"},
                          {"name", "v.name COLLATE NOCASE"},
                          {"plate", "v.plate COLLATE NOCASE"},
                          {"vin", "v.vin"},
                          {"make", "v.make COLLATE NOCASE"},
                          {"model", "v.model COLLATE NOCASE"},
                          {"sale_date", "v.sale_date"},
                          {"insurance_date", "v.insurance_date"},
                          {"created_at", "v.created_at"}},
                         "v.id");
    if (!order) return order.error();
    Sql filters;
    if (!f.include_archived) filters << " AND v.archived_at IS NULL";
    if (!f.q.empty()) {
        filters << " AND (v.name LIKE ? ESCAPE '\\' OR v.plate LIKE ? ESCAPE '\\' OR v.vin LIKE ? ESCAPE '\\' "
                   "OR v.make LIKE ? ESCAPE '\\' OR v.model LIKE ? ESCAPE '\\')";
        for (int i = 0; i < 5; ++i) filters.Arg(Contains(f.q));
    }
    if (f.group_id) {
        filters << " AND v.id IN (SELECT gv.vehicle_id FROM group_vehicles gv JOIN vehicle_groups g "
                   "ON g.id = gv.group_id WHERE gv.group_id = ? AND ";
        filters.Arg(*f.group_id);
        VisibleGroupSql(filters, viewer);
        filters << ")";
    }
    if (f.make) {
        filters << " AND v.make = ? COLLATE NOCASE";
        filters.Arg(*f.make);
    }
    if (f.model) {
        filters << " AND v.model = ? COLLATE NOCASE";
        filters.Arg(*f.model);
    }
    Sql count;
    count << "SELECT count(*) FROM vehicles v WHERE ";
    VisibleVehicleSql(count, viewer);
    count << filters.text;
    count.params.insert(count.params.end(), filters.params.begin(), filters.params.end());
    auto total = Count(db_, count, "count vehicles");
    if (!total) return total.error();
    Sql rows;
    VehicleSelect(rows, viewer);
    rows << filters.text;
    rows.params.insert(rows.params.end(), filters.params.begin(), filters.params.end());
    rows << *order << " LIMIT ? OFFSET ?";
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Vehicle>(db_, rows, "list vehicles", ReadVehicle);
    if (!items) return items.error();
    return Page<Vehicle>{std::move(*items), *total};
}

Result<std::optional<Vehicle>> FleetStore::FindVehicle(const Viewer& viewer, int64_t id) {
    Sql sql;
    VehicleSelect(sql, viewer);
    sql << " AND v.id = ?";
    sql.Arg(id);
    auto rows = Rows<Vehicle>(db_, sql, "find vehicle", ReadVehicle);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Vehicle>();
    return std::optional<Vehicle>(std::move(rows->front()));
}

namespace {

// Replaces the vehicle's memberships among the groups the viewer sees with `group_ids` (each must
// be such a group). A narrowed viewer must keep the vehicle in one of its groups.
Outcome<Done> SetMemberships(AccountStore::Impl& db, FleetStore& fleet, const Viewer& viewer, int64_t vehicle_id,
                             std::vector<int64_t> group_ids) {
    std::sort(group_ids.begin(), group_ids.end());
    group_ids.erase(std::unique(group_ids.begin(), group_ids.end()), group_ids.end());
    Sql visible;
    visible << "SELECT g.id FROM vehicle_groups g WHERE ";
    VisibleGroupSql(visible, viewer);
    visible << " ORDER BY g.id";
    auto groups = Rows<int64_t>(db, visible, "list groups", [](sqlite3_stmt* s) { return sqlite3_column_int64(s, 0); });
    if (!groups) return groups.error();
    for (int64_t g : group_ids) {
        if (!std::binary_search(groups->begin(), groups->end(), g)) {
            return Refused{Refusal::kNotFound, fmt::format("no such group {}", g)};
        }
    }
    auto narrowed = fleet.IsNarrowed(viewer);
    if (!narrowed) return narrowed.error();
    if (*narrowed && group_ids.empty()) {
        return Refused{Refusal::kInvalid, "'group_ids' must name one of your groups: you see only their vehicles"};
    }
    Sql del;
    del << "DELETE FROM group_vehicles WHERE vehicle_id = ? AND group_id IN (SELECT g.id FROM vehicle_groups g WHERE ";
    del.Arg(vehicle_id);
    VisibleGroupSql(del, viewer);
    del << ")";
    if (auto r = Change(db, del, "set vehicle groups"); !r) return r;
    for (int64_t g : group_ids) {
        Sql insert;
        insert << "INSERT INTO group_vehicles (group_id, vehicle_id) VALUES (?, ?)";
        insert.Arg(g).Arg(vehicle_id);
        if (auto r = Change(db, insert, "set vehicle groups"); !r) return r;
    }
    return Done{};
}

constexpr std::string_view kVinTaken = "a vehicle with this VIN exists (archived ones included)";

}  // namespace

Outcome<Vehicle> FleetStore::AddVehicle(const Viewer& viewer, const VehicleChange& change, const Actor& actor,
                                        core::TimePoint now) {
    VehicleChange c = change;
    if (auto bad = CheckVehicle(c, true)) return *bad;
    return InTransaction<Vehicle>(db_, [&]() -> Outcome<Vehicle> {
        Sql insert;
        insert << "INSERT INTO vehicles (tenant_id, name, vin, plate, make, model, sale_date, insurance_date, "
                  "technical, created_at, speed_limit_kmh) VALUES (?, ?, ";
        insert.Arg(viewer.scope.tenant_id()).Arg(*c.name);
        insert.Value(c.vin.value_or(std::nullopt)) << ", ?, ?, ?, ";
        insert.Arg(c.plate.value_or("")).Arg(c.make.value_or("")).Arg(c.model.value_or(""));
        insert.Value(c.sale_date.value_or(std::nullopt)) << ", ";
        insert.Value(c.insurance_date.value_or(std::nullopt)) << ", ?, ?, ";
        insert.Arg(c.technical_json.value_or("{}")).Arg(ToMs(now));
        insert.RealValue(c.speed_limit_kmh.value_or(std::nullopt)) << ")";
        if (auto r = Change(db_, insert, "add vehicle", kVinTaken); !r) return r.Failure<Vehicle>();
        int64_t id = sqlite3_last_insert_rowid(db_.db);
        if (auto r = SetMemberships(db_, *this, viewer, id, c.group_ids.value_or(std::vector<int64_t>{})); !r) {
            return r.Failure<Vehicle>();
        }
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "vehicle.add", fmt::format("vehicle:{}", id),
                           DetailJson({{"name", *c.name}, {"vin", c.vin.value_or(std::nullopt).value_or("")}}));
            !a) {
            return a.Failure<Vehicle>();
        }
        auto found = FindVehicle(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Error{"vehicle vanished"};
        return **found;
    });
}

Outcome<Vehicle> FleetStore::UpdateVehicle(const Viewer& viewer, int64_t id, const VehicleChange& change,
                                           const Actor& actor, core::TimePoint now) {
    VehicleChange c = change;
    if (auto bad = CheckVehicle(c, false)) return *bad;
    return InTransaction<Vehicle>(db_, [&]() -> Outcome<Vehicle> {
        auto found = FindVehicle(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such vehicle"};
        if ((*found)->archived_at) return Refused{Refusal::kConflict, "the vehicle is archived"};
        Sql update;
        update << "UPDATE vehicles SET id = id";
        auto set = [&](const char* column, const std::optional<std::string>& value) {
            update << fmt::format(", {} = ", column);
            update.Value(value);
        };
        if (c.name) set("name", c.name);
        if (c.vin) set("vin", *c.vin);
        if (c.plate) set("plate", c.plate);
        if (c.make) set("make", c.make);
        if (c.model) set("model", c.model);
        if (c.sale_date) set("sale_date", *c.sale_date);
        if (c.insurance_date) set("insurance_date", *c.insurance_date);
        if (c.technical_json) set("technical", c.technical_json);
        if (c.speed_limit_kmh) {
            update << ", speed_limit_kmh = ";
            update.RealValue(*c.speed_limit_kmh);
        }
        update << " WHERE id = ?";
        update.Arg(id);
        if (auto r = Change(db_, update, "update vehicle", kVinTaken); !r) return r.Failure<Vehicle>();
        if (c.group_ids) {
            if (auto r = SetMemberships(db_, *this, viewer, id, *c.group_ids); !r) return r.Failure<Vehicle>();
        }
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "vehicle.update", fmt::format("vehicle:{}", id),
                           fmt::format("{{\"fields\":{}}}", ChangedFields(c)));
            !a) {
            return a.Failure<Vehicle>();
        }
        auto after = FindVehicle(viewer, id);
        if (!after) return after.error();
        if (!after->has_value()) return Error{"vehicle vanished"};
        return **after;
    });
}

Outcome<Vehicle> FleetStore::ArchiveVehicle(const Viewer& viewer, int64_t id, const Actor& actor, core::TimePoint now) {
    return InTransaction<Vehicle>(db_, [&]() -> Outcome<Vehicle> {
        auto found = FindVehicle(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such vehicle"};
        if ((*found)->archived_at) return **found;
        Sql archive;
        archive << "UPDATE vehicles SET archived_at = ? WHERE id = ?";
        archive.Arg(ToMs(now)).Arg(id);
        if (auto r = Change(db_, archive, "archive vehicle"); !r) return r.Failure<Vehicle>();
        // The device is free again. (An installation that starts later than now keeps one ms.)
        Sql end;
        end << "UPDATE installations SET to_time = max(?, from_time + 1) WHERE vehicle_id = ? AND to_time IS NULL";
        end.Arg(ToMs(now)).Arg(id);
        if (auto r = Change(db_, end, "end installation"); !r) return r.Failure<Vehicle>();
        std::string detail = (*found)->installation
                                 ? fmt::format("{{\"ended_installation\":{}}}", (*found)->installation->installation_id)
                                 : "{}";
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "vehicle.archive", fmt::format("vehicle:{}", id),
                           detail);
            !a) {
            return a.Failure<Vehicle>();
        }
        auto after = FindVehicle(viewer, id);
        if (!after) return after.error();
        if (!after->has_value()) return Error{"vehicle vanished"};
        return **after;
    });
}

}  // namespace fleet::store
