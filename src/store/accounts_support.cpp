// AccountStore: reading the audit log by page, and support grants (a tenant lets the operator's
// staff read its vehicle data for a while).
#include <fmt/format.h>
#include <sqlite3.h>

#include "core/json.hpp"
#include "store/accounts.hpp"
#include "store/detail/accounts_impl.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;

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

// The first grant matching `where` (its conditions on g.*), in `order`.
Result<std::optional<SupportGrant>> FindGrant(AccountStore::Impl& impl, const Where& where, const char* order) {
    std::string sql = fmt::format("SELECT {} FROM support_grants g JOIN tenants t ON t.id = g.tenant_id{} ORDER BY {} "
                                  "LIMIT 1",
                                  kGrantColumns, where.sql(), order);
    Query q(impl.db, sql.c_str());
    if (!q.ok()) return q.error("find support grant");
    where.BindTo(q);
    int rc = q.Step();
    if (rc == SQLITE_ROW) return std::optional<SupportGrant>(ReadGrant(q.get()));
    if (rc != SQLITE_DONE) return impl.DbError("find support grant");
    return std::optional<SupportGrant>();
}

}  // namespace

// --- audit -----------------------------------------------------------------------------------------

Result<std::vector<AuditEntry>> AccountStore::ListAudit(const AuditQuery& query) {
    Where where;
    if (query.scope) where.Add("tenant_id = ?", query.scope->tenant_id());
    if (query.action) where.Add("action = ?", *query.action);
    if (query.actor_user_id) where.Add("actor_user_id = ?", *query.actor_user_id);
    if (query.from) where.Add("at >= ?", ToMs(*query.from));
    if (query.to) where.Add("at < ?", ToMs(*query.to));
    if (query.before_id) where.Add("id < ?", *query.before_id);
    std::string sql = fmt::format("SELECT {} FROM audit_log{} ORDER BY id DESC LIMIT ?", kAuditColumns, where.sql());
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("list audit log");
    q.Bind(where.BindTo(q), query.limit);
    std::vector<AuditEntry> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadAudit(q.get()));
    if (rc != SQLITE_DONE) return impl_->DbError("list audit log");
    return out;
}

// --- support grants --------------------------------------------------------------------------------

Result<Outcome<SupportGrant>> AccountStore::GrantSupport(const User& granter, const std::string& reason,
                                                         std::chrono::hours duration, const Actor& actor,
                                                         TimePoint now) {
    return impl_->Transaction<Outcome<SupportGrant>>([&]() -> Result<Outcome<SupportGrant>> {
        {
            Query q(impl_->db,
                    "SELECT count(*) FROM support_grants WHERE tenant_id = ? AND revoked_at IS NULL AND expires_at > ?");
            if (!q.ok()) return q.error("count support grants");
            q.Bind(1, granter.tenant_id).Bind(2, ToMs(now));
            if (q.Step() != SQLITE_ROW) return impl_->DbError("count support grants");
            if (sqlite3_column_int64(q.get(), 0) >= kMaxActiveSupportGrants) {
                return Outcome<SupportGrant>(Refused{
                    Refusal::kConflict,
                    fmt::format("{} support grants are active, the most allowed: revoke one first", kMaxActiveSupportGrants)});
            }
        }
        SupportGrant g;
        g.tenant_id = granter.tenant_id;
        g.tenant = granter.tenant;
        g.granted_by = granter.id;
        g.reason = reason;
        g.created_at = now;
        g.expires_at = now + std::chrono::duration_cast<core::Millis>(duration);
        {
            Query q(impl_->db,
                    "INSERT INTO support_grants (tenant_id, granted_by, reason, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?)");
            if (!q.ok()) return q.error("add support grant");
            q.Bind(1, g.tenant_id).Bind(2, g.granted_by).Bind(3, reason).Bind(4, ToMs(now)).Bind(5, ToMs(g.expires_at));
            if (q.Step() != SQLITE_DONE) return impl_->DbError("add support grant");
            g.id = sqlite3_last_insert_rowid(impl_->db);
        }
        std::string detail = "{\"reason\":";
        core::AppendJsonString(detail, reason);
        detail += fmt::format(",\"hours\":{},\"expires_at\":{}}}", duration.count(), ToMs(g.expires_at));
        auto a = impl_->AppendAudit(
            Impl::Entry(actor, now, g.tenant_id, "support.grant", fmt::format("support_grant:{}", g.id), detail));
        if (!a) return a.error();
        return Outcome<SupportGrant>(std::move(g));
    });
}

Result<Page<SupportGrant>> AccountStore::ListSupportGrants(std::optional<TenantScope> scope, std::optional<bool> active,
                                                          TimePoint now, const PageRequest& page) {
    Where where;
    if (scope) where.Add("g.tenant_id = ?", scope->tenant_id());
    if (active) {
        where.Add(*active ? "g.revoked_at IS NULL AND g.expires_at > ?" : "(g.revoked_at IS NOT NULL OR g.expires_at <= ?)",
                  ToMs(now));
    }
    Page<SupportGrant> out;
    {
        std::string sql = "SELECT count(*) FROM support_grants g" + where.sql();
        Query q(impl_->db, sql.c_str());
        if (!q.ok()) return q.error("count support grants");
        where.BindTo(q);
        if (q.Step() != SQLITE_ROW) return impl_->DbError("count support grants");
        out.total = sqlite3_column_int64(q.get(), 0);
    }
    std::string sql = fmt::format("SELECT {} FROM support_grants g JOIN tenants t ON t.id = g.tenant_id{} "
                                  "ORDER BY g.id DESC LIMIT ? OFFSET ?",
                                  kGrantColumns, where.sql());
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("list support grants");
    int i = where.BindTo(q);
    q.Bind(i, page.limit).Bind(i + 1, page.offset);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.items.push_back(ReadGrant(q.get()));
    if (rc != SQLITE_DONE) return impl_->DbError("list support grants");
    return out;
}

Result<Outcome<SupportGrant>> AccountStore::RevokeSupportGrant(TenantScope scope, int64_t grant_id, const Actor& actor,
                                                               TimePoint now) {
    return impl_->Transaction<Outcome<SupportGrant>>([&]() -> Result<Outcome<SupportGrant>> {
        Where where;
        where.Add("g.id = ?", grant_id);
        where.Add("g.tenant_id = ?", scope.tenant_id());
        auto found = FindGrant(*impl_, where, "g.id");
        if (!found) return found.error();
        if (!found->has_value()) return Outcome<SupportGrant>(Refused{Refusal::kNotFound, "no such support grant"});
        SupportGrant g = **found;
        if (!g.ActiveAt(now)) {
            return Outcome<SupportGrant>(Refused{Refusal::kConflict, "this support grant has already ended"});
        }
        {
            Query q(impl_->db, "UPDATE support_grants SET revoked_at = ? WHERE id = ?");
            if (!q.ok()) return q.error("revoke support grant");
            q.Bind(1, ToMs(now)).Bind(2, grant_id);
            if (q.Step() != SQLITE_DONE) return impl_->DbError("revoke support grant");
        }
        g.revoked_at = now;
        auto a = impl_->AppendAudit(
            Impl::Entry(actor, now, g.tenant_id, "support.revoke", fmt::format("support_grant:{}", g.id)));
        if (!a) return a.error();
        return Outcome<SupportGrant>(std::move(g));
    });
}

Result<std::optional<SupportGrant>> AccountStore::ActiveSupportGrant(TenantScope tenant, TimePoint now) {
    Where where;
    where.Add("g.tenant_id = ?", tenant.tenant_id());
    where.Add("g.revoked_at IS NULL AND g.expires_at > ?", ToMs(now));
    return FindGrant(*impl_, where, "g.expires_at DESC");
}

}  // namespace fleet::store
