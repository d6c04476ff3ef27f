// AccountStore: reading the audit log by page, and support grants (a tenant lets the operator's
// staff read its vehicle data for a while).
#include <fmt/format.h>
#include <sqlite3.h>

#include "core/json.hpp"
#include "store/accounts.hpp"
#include "store/detail/fleet_impl.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;
using namespace detail;

constexpr const char* kGrantColumns =
    "g.id, g.tenant_id, t.name, g.granted_by, g.reason, g.created_at, g.expires_at, g.revoked_at";

SupportGrant ReadGrant(sqlite3_stmt* s) {
    SupportGrant g;
    g.id = sqlite3_column_int64(s, 0);
    g.tenant_id = sqlite3_column_int64(s, 1);
    g.tenant = Col(s, 2);
    g.granted_by = sqlite3_column_int64(s, 3);
    g.reason = Col(s, 4);
    g.created_at = FromMs(sqlite3_column_int64(s, 5));
    g.expires_at = FromMs(sqlite3_column_int64(s, 6));
    if (auto r = ColOptInt(s, 7)) g.revoked_at = FromMs(*r);
    return g;
}

// The first grant of `where` (" WHERE ..." on g.*) in `order`.
Result<std::optional<SupportGrant>> FindGrant(AccountStore::Impl& db, const Sql& where,
                                              const char* order) {
    Sql sql = where;
    sql.text = fmt::format(
        "SELECT {} FROM support_grants g JOIN tenants t ON t.id = g.tenant_id{} ORDER BY {} LIMIT "
        "1",
        kGrantColumns, where.text, order);
    auto rows = Rows<SupportGrant>(db, sql, "find support grant", ReadGrant);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<SupportGrant>();
    return std::optional<SupportGrant>(std::move(rows->front()));
}

// Appends " AND <the grant is active at now>" (or ended, when !active).
void ActiveAt(Sql& sql, bool active, TimePoint now) {
    sql << (active ? " AND g.revoked_at IS NULL AND g.expires_at > ?"
                   : " AND (g.revoked_at IS NOT NULL OR g.expires_at <= ?)");
    sql.Arg(ToMs(now));
}

}  // namespace

// --- audit
// -----------------------------------------------------------------------------------------

Result<std::vector<AuditEntry>> AccountStore::ListAudit(const AuditQuery& query) {
    Sql sql;
    sql << fmt::format("SELECT {} FROM audit_log WHERE 1", kAuditColumns);
    if (query.scope) {
        sql << " AND tenant_id = ?";
        sql.Arg(query.scope->tenant_id());
    }
    if (query.action) {
        sql << " AND action = ?";
        sql.Arg(*query.action);
    }
    if (query.actor_user_id) {
        sql << " AND actor_user_id = ?";
        sql.Arg(*query.actor_user_id);
    }
    if (query.from) {
        sql << " AND at >= ?";
        sql.Arg(ToMs(*query.from));
    }
    if (query.to) {
        sql << " AND at < ?";
        sql.Arg(ToMs(*query.to));
    }
    if (query.before_id) {
        sql << " AND id < ?";
        sql.Arg(*query.before_id);
    }
    sql << " ORDER BY id DESC LIMIT ?";
    sql.Arg(query.limit);
    return Rows<AuditEntry>(*impl_, sql, "list audit log", ReadAudit);
}

// --- support grants
// --------------------------------------------------------------------------------

Outcome<SupportGrant> AccountStore::GrantSupport(const User& granter, const std::string& reason,
                                                 std::chrono::hours duration, const Actor& actor,
                                                 TimePoint now) {
    if (auto bad = CheckLine("reason", reason, true)) return *bad;
    return InTransaction<SupportGrant>(*impl_, [&]() -> Outcome<SupportGrant> {
        Sql active;
        active << "SELECT count(*) FROM support_grants g WHERE g.tenant_id = ?";
        active.Arg(granter.tenant_id);
        ActiveAt(active, true, now);
        auto n = Count(*impl_, active, "count support grants");
        if (!n) return n.error();
        if (*n >= kMaxActiveSupportGrants) {
            return Refused{
                Refusal::kConflict,
                fmt::format("{} support grants are active, the most allowed: revoke one first",
                            kMaxActiveSupportGrants)};
        }
        SupportGrant g;
        g.tenant_id = granter.tenant_id;
        g.tenant = granter.tenant;
        g.granted_by = granter.id;
        g.reason = reason;
        g.created_at = now;
        g.expires_at = now + std::chrono::duration_cast<core::Millis>(duration);
        Sql insert;
        insert << "INSERT INTO support_grants (tenant_id, granted_by, reason, created_at, "
                  "expires_at) VALUES (?, ?, ?, ?, ?)";
        insert.Arg(g.tenant_id)
            .Arg(g.granted_by)
            .Arg(reason)
            .Arg(ToMs(now))
            .Arg(ToMs(g.expires_at));
        if (auto r = Change(*impl_, insert, "add support grant"); !r)
            return r.Failure<SupportGrant>();
        g.id = sqlite3_last_insert_rowid(impl_->db);
        std::string detail = "{\"reason\":";
        core::AppendJsonString(detail, reason);
        detail +=
            fmt::format(",\"hours\":{},\"expires_at\":{}}}", duration.count(), ToMs(g.expires_at));
        if (auto a = detail::Audit(*impl_, actor, now, g.tenant_id, "support.grant",
                                   fmt::format("support_grant:{}", g.id), detail);
            !a) {
            return a.Failure<SupportGrant>();
        }
        return g;
    });
}

Result<Page<SupportGrant>> AccountStore::ListSupportGrants(std::optional<TenantScope> scope,
                                                           std::optional<bool> active,
                                                           TimePoint now, const Paging& paging) {
    Sql where;
    where << " FROM support_grants g JOIN tenants t ON t.id = g.tenant_id WHERE 1";
    if (scope) {
        where << " AND g.tenant_id = ?";
        where.Arg(scope->tenant_id());
    }
    if (active) ActiveAt(where, *active, now);
    Sql count = where;
    count.text = "SELECT count(*)" + where.text;
    auto total = Count(*impl_, count, "count support grants");
    if (!total) return total.error();
    Sql rows = where;
    rows.text =
        fmt::format("SELECT {}{} ORDER BY g.id DESC LIMIT ? OFFSET ?", kGrantColumns, where.text);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<SupportGrant>(*impl_, rows, "list support grants", ReadGrant);
    if (!items) return items.error();
    return Page<SupportGrant>{std::move(*items), *total};
}

Outcome<SupportGrant> AccountStore::RevokeSupportGrant(TenantScope scope, int64_t grant_id,
                                                       const Actor& actor, TimePoint now) {
    return InTransaction<SupportGrant>(*impl_, [&]() -> Outcome<SupportGrant> {
        Sql where;
        where << " WHERE g.id = ? AND g.tenant_id = ?";
        where.Arg(grant_id).Arg(scope.tenant_id());
        auto found = FindGrant(*impl_, where, "g.id");
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such support grant"};
        SupportGrant g = **found;
        if (!g.ActiveAt(now))
            return Refused{Refusal::kConflict, "this support grant has already ended"};
        Sql update;
        update << "UPDATE support_grants SET revoked_at = ? WHERE id = ?";
        update.Arg(ToMs(now)).Arg(grant_id);
        if (auto r = Change(*impl_, update, "revoke support grant"); !r)
            return r.Failure<SupportGrant>();
        g.revoked_at = now;
        if (auto a = detail::Audit(*impl_, actor, now, g.tenant_id, "support.revoke",
                                   fmt::format("support_grant:{}", g.id));
            !a) {
            return a.Failure<SupportGrant>();
        }
        return g;
    });
}

Result<std::optional<SupportGrant>> AccountStore::ActiveSupportGrant(TenantScope tenant,
                                                                     TimePoint now) {
    Sql where;
    where << " WHERE g.tenant_id = ?";
    where.Arg(tenant.tenant_id());
    ActiveAt(where, true, now);
    return FindGrant(*impl_, where, "g.expires_at DESC");
}

}  // namespace fleet::store
