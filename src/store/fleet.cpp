// FleetStore: construction, the shared helpers, visibility and vehicle groups.
#include "store/fleet.hpp"

#include <algorithm>

#include "core/validate.hpp"
#include "store/detail/fleet_impl.hpp"

namespace fleet::store {

namespace detail {

std::optional<Refused> CheckLine(std::string_view field, const std::string& text, bool required) {
    if (required && text.find_first_not_of(' ') == std::string::npos) {
        return Refused{Refusal::kInvalid, fmt::format("'{}' must not be blank", field)};
    }
    if (!core::SingleLineText(text)) {
        return Refused{Refusal::kInvalid, fmt::format("'{}' must not contain control characters", field)};
    }
    return std::nullopt;
}

std::string DetailJson(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string out = "{";
    for (const auto& [key, value] : fields) {
        if (out.size() > 1) out += ',';
        core::AppendJsonString(out, key);
        out += ':';
        core::AppendJsonString(out, value);
    }
    return out + "}";
}

Outcome<Done> Audit(AccountStore::Impl& db, const Actor& actor, core::TimePoint now, std::optional<int64_t> tenant_id,
                    std::string action, std::string target, std::string detail) {
    auto a = db.AppendAudit(
        AccountStore::Impl::Entry(actor, now, tenant_id, std::move(action), std::move(target), std::move(detail)));
    if (!a) return a.error();
    return Done{};
}

}  // namespace detail

namespace {

using namespace detail;

constexpr std::string_view kGroupColumns =
    "g.id, g.name, g.created_at, (SELECT count(*) FROM group_vehicles cgv JOIN vehicles cv ON cv.id = cgv.vehicle_id "
    "WHERE cgv.group_id = g.id AND cv.archived_at IS NULL)";

Group ReadGroup(sqlite3_stmt* s) {
    Group g;
    g.id = sqlite3_column_int64(s, 0);
    g.name = Col(s, 1);
    g.created_at = FromMs(sqlite3_column_int64(s, 2));
    g.vehicle_count = sqlite3_column_int64(s, 3);
    return g;
}

Refused GroupsAreForbidden() {
    return Refused{Refusal::kForbidden, "you see only some groups' vehicles, so you cannot change groups"};
}

}  // namespace

Viewer ViewerFor(const User& user, TenantScope scope, core::TimePoint now) {
    Viewer viewer{scope, user.id};
    if (user.role == Role::kDriver) viewer.driver_at = now;
    return viewer;
}

FleetStore::FleetStore(AccountStore& accounts) : db_(accounts.impl()) {}

// --- visibility ----------------------------------------------------------------------------------

Result<std::vector<int64_t>> FleetStore::VisibleVehicleIds(const Viewer& viewer, bool include_archived) {
    Sql sql;
    sql << "SELECT v.id FROM vehicles v WHERE ";
    VisibleVehicleSql(sql, viewer);
    if (!include_archived) sql << " AND v.archived_at IS NULL";
    sql << " ORDER BY v.id";
    return Rows<int64_t>(db_, sql, "list visible vehicles", [](sqlite3_stmt* s) { return sqlite3_column_int64(s, 0); });
}

Result<bool> FleetStore::IsNarrowed(const Viewer& viewer) {
    if (viewer.driver_at) return true;  // a driver sees its own vehicle only
    Sql sql;
    sql << "SELECT count(*) FROM user_groups WHERE user_id = ?";
    sql.Arg(viewer.user_id);
    auto n = Count(db_, sql, "read user groups");
    if (!n) return n.error();
    return *n > 0;
}

// --- groups --------------------------------------------------------------------------------------

Result<Page<Group>> FleetStore::ListGroups(const Viewer& viewer, const std::string& q, const Paging& paging) {
    auto order = OrderBy(paging, {{"id", "g.id"}, {"name", "g.name COLLATE NOCASE"}, {"created_at", "g.created_at"}},
                         "g.id");
    if (!order) return order.error();
    Sql where;
    where << " FROM vehicle_groups g WHERE ";
    VisibleGroupSql(where, viewer);
    if (!q.empty()) {
        where << " AND g.name LIKE ? ESCAPE '\\'";
        where.Arg(Contains(q));
    }
    Sql count = where;
    count.text = "SELECT count(*)" + where.text;
    auto total = Count(db_, count, "count groups");
    if (!total) return total.error();
    Sql rows = where;
    rows.text = fmt::format("SELECT {}{}{} LIMIT ? OFFSET ?", kGroupColumns, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<Group>(db_, rows, "list groups", ReadGroup);
    if (!items) return items.error();
    return Page<Group>{std::move(*items), *total};
}

Result<std::optional<Group>> FleetStore::FindGroup(const Viewer& viewer, int64_t id) {
    Sql sql;
    sql << fmt::format("SELECT {} FROM vehicle_groups g WHERE g.id = ? AND ", kGroupColumns);
    sql.Arg(id);
    VisibleGroupSql(sql, viewer);
    auto rows = Rows<Group>(db_, sql, "find group", ReadGroup);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Group>();
    return std::optional<Group>(std::move(rows->front()));
}

Outcome<Group> FleetStore::AddGroup(const Viewer& viewer, const std::string& name, const Actor& actor,
                                    core::TimePoint now) {
    if (auto bad = CheckLine("name", name, true)) return *bad;
    return InTransaction<Group>(db_, [&]() -> Outcome<Group> {
        auto narrowed = IsNarrowed(viewer);
        if (!narrowed) return narrowed.error();
        if (*narrowed) return GroupsAreForbidden();
        Sql insert;
        insert << "INSERT INTO vehicle_groups (tenant_id, name, created_at) VALUES (?, ?, ?)";
        insert.Arg(viewer.scope.tenant_id()).Arg(name).Arg(ToMs(now));
        if (auto r = Change(db_, insert, "add group", "a group with this name exists"); !r) return r.Failure<Group>();
        int64_t id = sqlite3_last_insert_rowid(db_.db);
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "group.add", fmt::format("group:{}", id),
                           DetailJson({{"name", name}}));
            !a) {
            return a.Failure<Group>();
        }
        return Group{id, name, 0, now};
    });
}

Outcome<Group> FleetStore::RenameGroup(const Viewer& viewer, int64_t id, const std::string& name, const Actor& actor,
                                       core::TimePoint now) {
    if (auto bad = CheckLine("name", name, true)) return *bad;
    return InTransaction<Group>(db_, [&]() -> Outcome<Group> {
        auto narrowed = IsNarrowed(viewer);
        if (!narrowed) return narrowed.error();
        if (*narrowed) return GroupsAreForbidden();
        auto found = FindGroup(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such group"};
        Sql update;
        update << "UPDATE vehicle_groups SET name = ? WHERE id = ?";
        update.Arg(name).Arg(id);
        if (auto r = Change(db_, update, "rename group", "a group with this name exists"); !r) {
            return r.Failure<Group>();
        }
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "group.update", fmt::format("group:{}", id),
                           DetailJson({{"name", name}}));
            !a) {
            return a.Failure<Group>();
        }
        Group g = **found;
        g.name = name;
        return g;
    });
}

Outcome<Done> FleetStore::DeleteGroup(const Viewer& viewer, int64_t id, const Actor& actor, core::TimePoint now) {
    return InTransaction<Done>(db_, [&]() -> Outcome<Done> {
        auto narrowed = IsNarrowed(viewer);
        if (!narrowed) return narrowed.error();
        if (*narrowed) return GroupsAreForbidden();
        auto found = FindGroup(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such group"};
        Sql users;
        users << "SELECT count(*) FROM user_groups WHERE group_id = ?";
        users.Arg(id);
        auto n = Count(db_, users, "read user groups");
        if (!n) return n.error();
        if (*n > 0) {
            return Refused{Refusal::kConflict,
                           fmt::format("{} user(s) see only this group's vehicles: change their groups first", *n)};
        }
        for (const char* text : {"DELETE FROM group_vehicles WHERE group_id = ?",
                                 "DELETE FROM vehicle_groups WHERE id = ?"}) {
            Sql del;
            del << text;
            del.Arg(id);
            if (auto r = Change(db_, del, "delete group"); !r) return r;
        }
        return Audit(db_, actor, now, viewer.scope.tenant_id(), "group.delete", fmt::format("group:{}", id),
                     DetailJson({{"name", (*found)->name}}));
    });
}

Outcome<Group> FleetStore::SetGroupVehicles(const Viewer& viewer, int64_t id, const std::vector<int64_t>& vehicle_ids,
                                            const Actor& actor, core::TimePoint now) {
    std::vector<int64_t> ids = vehicle_ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return InTransaction<Group>(db_, [&]() -> Outcome<Group> {
        auto narrowed = IsNarrowed(viewer);
        if (!narrowed) return narrowed.error();
        if (*narrowed) return GroupsAreForbidden();
        auto found = FindGroup(viewer, id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such group"};
        auto visible = VisibleVehicleIds(viewer, true);
        if (!visible) return visible.error();
        for (int64_t v : ids) {
            if (!std::binary_search(visible->begin(), visible->end(), v)) {
                return Refused{Refusal::kNotFound, fmt::format("no such vehicle {}", v)};
            }
        }
        Sql del;
        del << "DELETE FROM group_vehicles WHERE group_id = ?";
        del.Arg(id);
        if (auto r = Change(db_, del, "set group vehicles"); !r) return r.Failure<Group>();
        for (int64_t v : ids) {
            Sql insert;
            insert << "INSERT INTO group_vehicles (group_id, vehicle_id) VALUES (?, ?)";
            insert.Arg(id).Arg(v);
            if (auto r = Change(db_, insert, "set group vehicles"); !r) return r.Failure<Group>();
        }
        if (auto a = Audit(db_, actor, now, viewer.scope.tenant_id(), "group.set_vehicles", fmt::format("group:{}", id),
                           fmt::format("{{\"vehicles\":{}}}", ids.size()));
            !a) {
            return a.Failure<Group>();
        }
        auto after = FindGroup(viewer, id);
        if (!after) return after.error();
        if (!after->has_value()) return Error{"group vanished"};
        return **after;
    });
}

}  // namespace fleet::store
