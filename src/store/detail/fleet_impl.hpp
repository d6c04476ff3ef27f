// The inside of FleetStore, shared by its files (fleet*.cpp) and by AccountStore's administration
// files (accounts_tokens.cpp, accounts_admin.cpp, accounts_support.cpp): SQL built with parameters,
// the vehicle visibility rule, transactions that roll back on a refusal, and small helpers.
// Not part of the store's interface: include only from src/store.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "store/detail/accounts_impl.hpp"
#include "store/fleet.hpp"

namespace fleet::store::detail {

// SQL text and its ? parameters, in the order they appear.
struct Sql {
    using Param = std::variant<int64_t, std::string, double>;
    std::string text;
    std::vector<Param> params;

    Sql& operator<<(std::string_view s) {
        text += s;
        return *this;
    }
    Sql& Arg(int64_t v) {
        params.emplace_back(v);
        return *this;
    }
    Sql& Arg(std::string v) {
        params.emplace_back(std::move(v));
        return *this;
    }
    // A REAL parameter (named apart from Arg: an int argument would be ambiguous).
    Sql& Real(double v) {
        params.emplace_back(v);
        return *this;
    }
    // Appends a ? with `v` as its REAL parameter, or NULL.
    Sql& RealValue(const std::optional<double>& v) {
        if (!v) return *this << "NULL";
        *this << "?";
        return Real(*v);
    }
    // Appends a ? with `v` as its parameter, or NULL (integers and text; RealValue for doubles).
    template <typename T>
    Sql& Value(const std::optional<T>& v) {
        if (!v) return *this << "NULL";
        *this << "?";
        return Arg(*v);
    }
    // Binds the parameters to a statement prepared from `text`.
    void BindTo(Query& q) const {
        int i = 1;
        for (const auto& p : params) {
            if (const auto* n = std::get_if<int64_t>(&p)) {
                q.Bind(i++, *n);
            } else if (const auto* d = std::get_if<double>(&p)) {
                q.BindReal(i++, *d);
            } else {
                q.Bind(i++, std::string_view(std::get<std::string>(p)));
            }
        }
    }
};

// The assignments (alias `da`) of the driver record linked to the viewer's user (drivers.user_id),
// in the viewer's tenant: appends "driver_assignments da WHERE <that>" and its parameters, for a
// subquery to go on with " AND ...". For driver viewers (Viewer::driver_at) only.
inline void OwnAssignmentsSql(Sql& sql, const Viewer& viewer) {
    sql << "driver_assignments da JOIN drivers dd ON dd.id = da.driver_id"
           " WHERE dd.user_id = ? AND dd.tenant_id = ? AND da.tenant_id = dd.tenant_id";
    sql.Arg(viewer.user_id).Arg(viewer.scope.tenant_id());
}

// "SELECT da.<column> FROM" the driver viewer's own assignments current at Viewer::driver_at
// (from_time <= driver_at < to_time, or no end), to go on with " AND ..." (a vehicle has at most one
// current assignment: AddAssignment refuses overlaps).
inline void CurrentAssignmentSql(Sql& sql, const Viewer& viewer, std::string_view column) {
    int64_t at = ToMs(viewer.driver_at.value_or(core::TimePoint{}));
    sql << "SELECT da." << column << " FROM ";
    OwnAssignmentsSql(sql, viewer);
    sql << " AND da.from_time <= ? AND (da.to_time IS NULL OR da.to_time > ?)";
    sql.Arg(at).Arg(at);
}

// THE rule of who sees which vehicle, for vehicle lists, vehicle routes, positions, the live map,
// events and reports. A vehicle (table alias `v`) is visible to a viewer when
//   1. it belongs to the viewer's tenant, and
//   2. the viewer's user is not narrowed (has no row in user_groups), or the vehicle is a member of
//      one of the groups the user is narrowed to, and
//   3. for a driver (Viewer::driver_at set): the viewer's own driver record is assigned to the
//      vehicle at driver_at (driver_assignments: from_time <= driver_at < to_time or no end).
// Appends the condition (in parentheses) and its parameters to `sql`.
inline void VisibleVehicleSql(Sql& sql, const Viewer& viewer) {
    sql << "(v.tenant_id = ?";
    sql.Arg(viewer.scope.tenant_id());
    sql << " AND (NOT EXISTS (SELECT 1 FROM user_groups nu WHERE nu.user_id = ?)"
           " OR v.id IN (SELECT ngv.vehicle_id FROM group_vehicles ngv"
           " JOIN user_groups nug ON nug.group_id = ngv.group_id WHERE nug.user_id = ?))";
    sql.Arg(viewer.user_id).Arg(viewer.user_id);
    if (viewer.driver_at) {
        sql << " AND v.id IN (";
        CurrentAssignmentSql(sql, viewer, "vehicle_id");
        sql << ")";
    }
    sql << ")";
}

// For a driver viewer, the condition that the time column `time_column` (ms) of vehicle `v` lies in
// one of the viewer's own assignment periods of that vehicle (their history, not the previous or
// next driver's); nothing for other viewers. Appends " AND (...)" and its parameters.
inline void OwnPeriodSql(Sql& sql, const Viewer& viewer, std::string_view time_column) {
    if (!viewer.driver_at) return;
    sql << " AND EXISTS (SELECT 1 FROM ";
    OwnAssignmentsSql(sql, viewer);
    sql << " AND da.vehicle_id = v.id AND da.from_time <= " << time_column << " AND (da.to_time IS NULL OR da.to_time > "
        << time_column << "))";
}

// The groups a viewer sees (table alias `g`): the tenant's, or only the user's own when narrowed;
// none for a driver (groups are how the fleet is organised, not the driver's business).
inline void VisibleGroupSql(Sql& sql, const Viewer& viewer) {
    sql << "(g.tenant_id = ?";
    sql.Arg(viewer.scope.tenant_id());
    sql << " AND (NOT EXISTS (SELECT 1 FROM user_groups nu WHERE nu.user_id = ?)"
           " OR g.id IN (SELECT nug.group_id FROM user_groups nug WHERE nug.user_id = ?))";
    sql.Arg(viewer.user_id).Arg(viewer.user_id);
    if (viewer.driver_at) sql << " AND 0";
    sql << ")";
}

// A LIKE pattern matching `text` anywhere (use with ESCAPE '\'): % and _ in it match themselves.
inline std::string Contains(std::string_view text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    out += '%';
    return out;
}

// The ORDER BY clause of a list: the column of `paging.sort` from `columns` (name -> SQL; the first
// one when the sort is ""), then `id_column` as the tie-break. Error for a sort field the list does not have.
inline Result<std::string> OrderBy(const Paging& paging,
                                   std::initializer_list<std::pair<std::string_view, std::string_view>> columns,
                                   std::string_view id_column) {
    const char* dir = paging.descending ? " DESC" : " ASC";
    for (const auto& [name, column] : columns) {
        if (name == paging.sort || (paging.sort.empty() && name == columns.begin()->first)) {
            return fmt::format(" ORDER BY {}{}, {}{}", column, dir, id_column, dir);
        }
    }
    return MakeError("cannot sort by '" + paging.sort + "'");
}

// Runs `body` (returning Outcome<T>) in a BEGIN IMMEDIATE transaction: committed when it returns a
// value, rolled back when it refuses or fails.
template <typename T, typename F>
Outcome<T> InTransaction(AccountStore::Impl& db, F&& body) {
    if (auto r = db.Exec("BEGIN IMMEDIATE"); !r) return r.error();
    Outcome<T> out = body();
    if (!out) {
        db.Rollback();
        return out;
    }
    if (auto r = db.Exec("COMMIT"); !r) {
        db.Rollback();
        return r.error();
    }
    return out;
}

// Runs a statement that changes rows; kConflict (with `conflict`) on a UNIQUE violation.
inline Outcome<Done> Change(AccountStore::Impl& db, const Sql& sql, std::string_view what,
                            std::string_view conflict = "") {
    Query q(db.db, sql.text.c_str());
    if (!q.ok()) return q.error(what);
    sql.BindTo(q);
    int rc = q.Step();
    if (rc == SQLITE_CONSTRAINT && !conflict.empty()) return Refused{Refusal::kConflict, std::string(conflict)};
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return db.DbError(what);
    return Done{};
}

// The count of rows of a SELECT count(*).
inline Result<int64_t> Count(AccountStore::Impl& db, const Sql& sql, std::string_view what) {
    Query q(db.db, sql.text.c_str());
    if (!q.ok()) return q.error(what);
    sql.BindTo(q);
    if (q.Step() != SQLITE_ROW) return db.DbError(what);
    return sqlite3_column_int64(q.get(), 0);
}

// Reads every row of `sql` with `read(stmt)`.
template <typename T, typename Read>
Result<std::vector<T>> Rows(AccountStore::Impl& db, const Sql& sql, std::string_view what, Read&& read) {
    Query q(db.db, sql.text.c_str());
    if (!q.ok()) return q.error(what);
    sql.BindTo(q);
    std::vector<T> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(read(q.get()));
    if (rc != SQLITE_DONE) return db.DbError(what);
    return out;
}

inline std::optional<std::string> ColOptText(sqlite3_stmt* s, int i) {
    if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
    return std::string(Col(s, i));
}

// Text for one line (see core::SingleLineText), not blank when `required`; kInvalid naming `field` else.
std::optional<Refused> CheckLine(std::string_view field, const std::string& text, bool required);

// "{"name":"x"}" from (key, value) pairs, for audit details.
std::string DetailJson(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

// Appends an audit entry (AccountStore::Impl::AppendAudit); call inside the change's transaction.
Outcome<Done> Audit(AccountStore::Impl& db, const Actor& actor, core::TimePoint now, std::optional<int64_t> tenant_id,
                    std::string action, std::string target, std::string detail = "{}");

}  // namespace fleet::store::detail
