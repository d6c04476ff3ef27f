// AccountStore: what the administration routes manage — tenants with their settings, and users
// with their names and vehicle-group narrowing. Every change is audited in its transaction.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>

#include "core/json.hpp"
#include "store/accounts.hpp"
#include "store/detail/accounts_impl.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;

// --- tenants ---------------------------------------------------------------------------------------

constexpr const char* kTenantDetailColumns = "id, name, status, require_totp, created_at, time_zone";

TenantDetail ReadTenantDetail(sqlite3_stmt* s) {
    TenantDetail d;
    d.tenant = ReadTenant(s);
    d.time_zone = Col(s, 5);
    return d;
}

Result<std::optional<TenantDetail>> FindTenantDetail(AccountStore::Impl& impl, int64_t id) {
    std::string sql = fmt::format("SELECT {} FROM tenants WHERE id = ?", kTenantDetailColumns);
    Query q(impl.db, sql.c_str());
    if (!q.ok()) return q.error("find tenant");
    q.Bind(1, id);
    int rc = q.Step();
    if (rc == SQLITE_ROW) return std::optional<TenantDetail>(ReadTenantDetail(q.get()));
    if (rc != SQLITE_DONE) return impl.DbError("find tenant");
    return std::optional<TenantDetail>();
}

// Sets the settings that differ from `current` and audits them (tenant.update); nothing when
// none differs.
Result<void> ApplyTenantSettings(AccountStore::Impl& impl, const TenantDetail& current, std::optional<bool> require_totp,
                                 const std::optional<std::string>& time_zone, const Actor& actor, TimePoint now) {
    std::string detail;
    if (require_totp && *require_totp != current.tenant.require_totp) {
        Query q(impl.db, "UPDATE tenants SET require_totp = ? WHERE id = ?");
        if (!q.ok()) return q.error("set require_totp");
        q.Bind(1, int64_t{*require_totp ? 1 : 0}).Bind(2, current.tenant.id);
        if (q.Step() != SQLITE_DONE) return impl.DbError("set require_totp");
        detail += fmt::format(",\"require_totp\":{}", *require_totp);
    }
    if (time_zone && *time_zone != current.time_zone) {
        Query q(impl.db, "UPDATE tenants SET time_zone = ? WHERE id = ?");
        if (!q.ok()) return q.error("set time zone");
        q.Bind(1, *time_zone).Bind(2, current.tenant.id);
        if (q.Step() != SQLITE_DONE) return impl.DbError("set time zone");
        detail += ",\"time_zone\":";
        core::AppendJsonString(detail, *time_zone);
    }
    if (detail.empty()) return {};
    detail[0] = '{';
    detail += '}';
    auto a = impl.AppendAudit(
        AccountStore::Impl::Entry(actor, now, current.tenant.id, "tenant.update", "tenant:" + current.tenant.name, detail));
    if (!a) return a.error();
    return {};
}

// --- users -----------------------------------------------------------------------------------------

// kUserColumns, then the name and the user's groups ("3,7").
std::string UserDetailColumns() {
    return fmt::format("{}, u.name, (SELECT group_concat(g.group_id) FROM user_groups g WHERE g.user_id = u.id)",
                       kUserColumns);
}

UserDetail ReadUserDetail(sqlite3_stmt* s) {
    UserDetail d;
    d.user = ReadUser(s);
    d.name = Col(s, kUserColumnCount);
    std::string_view groups = Col(s, kUserColumnCount + 1);
    while (!groups.empty()) {
        int64_t id = 0;
        auto [end, ec] = std::from_chars(groups.data(), groups.data() + groups.size(), id);
        if (ec == std::errc()) d.group_ids.push_back(id);
        groups.remove_prefix(static_cast<size_t>(end - groups.data()));
        if (!groups.empty()) groups.remove_prefix(1);  // the comma
    }
    std::sort(d.group_ids.begin(), d.group_ids.end());
    return d;
}

Result<std::optional<UserDetail>> FindUserDetail(AccountStore::Impl& impl, int64_t tenant_id, int64_t user_id) {
    std::string sql = fmt::format("SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id "
                                  "WHERE u.id = ? AND u.tenant_id = ?",
                                  UserDetailColumns());
    Query q(impl.db, sql.c_str());
    if (!q.ok()) return q.error("find user");
    q.Bind(1, user_id).Bind(2, tenant_id);
    int rc = q.Step();
    if (rc == SQLITE_ROW) return std::optional<UserDetail>(ReadUserDetail(q.get()));
    if (rc != SQLITE_DONE) return impl.DbError("find user");
    return std::optional<UserDetail>();
}

// Refused when a group id is not one of the tenant's vehicle groups (another tenant's included,
// with the same words: no existence leak).
Result<std::optional<Refused>> CheckGroups(AccountStore::Impl& impl, int64_t tenant_id,
                                           const std::vector<int64_t>& group_ids) {
    Query q(impl.db, "SELECT 1 FROM vehicle_groups WHERE id = ? AND tenant_id = ?");
    if (!q.ok()) return q.error("check group");
    for (int64_t id : group_ids) {
        q.Bind(1, id).Bind(2, tenant_id);
        int rc = q.Step();
        sqlite3_reset(q.get());
        if (rc == SQLITE_DONE) {
            return std::optional<Refused>(Refused{Refusal::kInvalid, fmt::format("no vehicle group {}", id)});
        }
        if (rc != SQLITE_ROW) return impl.DbError("check group");
    }
    return std::optional<Refused>();
}

// Replaces the user's groups (none: no narrowing).
Result<void> SetGroups(AccountStore::Impl& impl, int64_t user_id, const std::vector<int64_t>& group_ids) {
    {
        Query q(impl.db, "DELETE FROM user_groups WHERE user_id = ?");
        if (!q.ok()) return q.error("clear groups");
        q.Bind(1, user_id);
        if (q.Step() != SQLITE_DONE) return impl.DbError("clear groups");
    }
    Query q(impl.db, "INSERT OR IGNORE INTO user_groups (user_id, group_id) VALUES (?, ?)");
    if (!q.ok()) return q.error("set groups");
    for (int64_t id : group_ids) {
        q.Bind(1, user_id).Bind(2, id);
        int rc = q.Step();
        sqlite3_reset(q.get());
        if (rc != SQLITE_DONE) return impl.DbError("set groups");
    }
    return {};
}

std::string GroupsJson(std::vector<int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) out += fmt::format("{}{}", i ? "," : "", ids[i]);
    return out + "]";
}

}  // namespace

// --- tenants ---------------------------------------------------------------------------------------

Result<Outcome<TenantDetail>> AccountStore::CreateTenant(const NewTenant& in, const Actor& actor, TimePoint now) {
    if (!ValidTenantName(in.name)) {
        return Outcome<TenantDetail>(
            Refused{Refusal::kInvalid, "a tenant name is 1 to 64 lower-case letters, digits or '-' (not first)"});
    }
    return impl_->Transaction<Outcome<TenantDetail>>([&]() -> Result<Outcome<TenantDetail>> {
        auto found = impl_->FindTenant(in.name);
        if (!found) return found.error();
        if (found->has_value()) {
            return Outcome<TenantDetail>(Refused{Refusal::kConflict, "a tenant named '" + in.name + "' exists"});
        }
        auto t = impl_->InsertTenant(in.name, actor, now);
        if (!t) return t.error();
        auto made = FindTenantDetail(*impl_, t->id);
        if (!made) return made.error();
        if (!made->has_value()) return MakeError("tenant vanished");
        if (auto r = ApplyTenantSettings(*impl_, **made, in.require_totp, in.time_zone, actor, now); !r) {
            return r.error();
        }
        auto detail = FindTenantDetail(*impl_, t->id);
        if (!detail) return detail.error();
        return Outcome<TenantDetail>(**detail);
    });
}

Result<Page<TenantDetail>> AccountStore::ListTenantDetails(std::optional<TenantStatus> status,
                                                          const PageRequest& page) {
    auto column = SortColumn(page.sort, {{"id", "id"}, {"name", "name"}, {"created_at", "created_at"}});
    if (!column) return MakeError("cannot sort tenants by '" + page.sort + "'");
    Where where;
    if (status) where.Add("status = ?", std::string(ToString(*status)));
    Page<TenantDetail> out;
    {
        std::string sql = "SELECT count(*) FROM tenants" + where.sql();
        Query q(impl_->db, sql.c_str());
        if (!q.ok()) return q.error("count tenants");
        where.BindTo(q);
        if (q.Step() != SQLITE_ROW) return impl_->DbError("count tenants");
        out.total = sqlite3_column_int64(q.get(), 0);
    }
    std::string sql = fmt::format("SELECT {} FROM tenants{} ORDER BY {} {}, id LIMIT ? OFFSET ?", kTenantDetailColumns,
                                  where.sql(), *column, page.descending ? "DESC" : "ASC");
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("list tenants");
    int i = where.BindTo(q);
    q.Bind(i, page.limit).Bind(i + 1, page.offset);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.items.push_back(ReadTenantDetail(q.get()));
    if (rc != SQLITE_DONE) return impl_->DbError("list tenants");
    return out;
}

Result<std::optional<TenantDetail>> AccountStore::GetTenant(int64_t tenant_id) {
    return FindTenantDetail(*impl_, tenant_id);
}

Result<Outcome<TenantDetail>> AccountStore::UpdateTenant(int64_t tenant_id, const TenantChange& change,
                                                         const Actor& actor, TimePoint now) {
    return impl_->Transaction<Outcome<TenantDetail>>([&]() -> Result<Outcome<TenantDetail>> {
        auto found = FindTenantDetail(*impl_, tenant_id);
        if (!found) return found.error();
        if (!found->has_value()) return Outcome<TenantDetail>(Refused{Refusal::kNotFound, "no such tenant"});
        const TenantDetail& current = **found;
        if (change.status && *change.status != current.tenant.status) {
            bool suspend = *change.status == TenantStatus::kSuspended;
            if (suspend && current.tenant.name == kOperatorTenant) {
                return Outcome<TenantDetail>(
                    Refused{Refusal::kForbidden, "the operator's tenant cannot be suspended"});
            }
            {
                Query q(impl_->db, "UPDATE tenants SET status = ? WHERE id = ?");
                if (!q.ok()) return q.error("set tenant status");
                q.Bind(1, ToString(*change.status)).Bind(2, tenant_id);
                if (q.Step() != SQLITE_DONE) return impl_->DbError("set tenant status");
            }
            if (suspend) {
                if (auto r = impl_->RevokeCredentials("tenant_id = ?", tenant_id, now); !r) return r.error();
            }
            auto a = impl_->AppendAudit(Impl::Entry(actor, now, tenant_id, suspend ? "tenant.suspend" : "tenant.activate",
                                                    "tenant:" + current.tenant.name));
            if (!a) return a.error();
        }
        if (auto r = ApplyTenantSettings(*impl_, current, change.require_totp, change.time_zone, actor, now); !r) {
            return r.error();
        }
        auto updated = FindTenantDetail(*impl_, tenant_id);
        if (!updated) return updated.error();
        return Outcome<TenantDetail>(**updated);
    });
}

// --- users -----------------------------------------------------------------------------------------

Result<Outcome<UserDetail>> AccountStore::CreateUser(TenantScope scope, const UserDraft& draft, const Actor& actor,
                                                     TimePoint now) {
    auto email = NormaliseEmail(draft.user.email);
    if (!email) return Outcome<UserDetail>(Refused{Refusal::kInvalid, "'email' is not an e-mail address"});
    return impl_->Transaction<Outcome<UserDetail>>([&]() -> Result<Outcome<UserDetail>> {
        auto bad_group = CheckGroups(*impl_, scope.tenant_id(), draft.group_ids);
        if (!bad_group) return bad_group.error();
        if (bad_group->has_value()) return Outcome<UserDetail>(**bad_group);
        auto inserted = impl_->InsertUser(scope.tenant_id(), *email, draft.user, draft.name, now);
        if (!inserted) return inserted.error();
        if (!inserted->has_value()) {
            return Outcome<UserDetail>(Refused{Refusal::kConflict, "a user with this e-mail address exists"});
        }
        int64_t id = **inserted;
        if (auto r = SetGroups(*impl_, id, draft.group_ids); !r) return r.error();
        std::string detail = "{\"email\":";
        core::AppendJsonString(detail, *email);
        detail += fmt::format(",\"role\":\"{}\",\"name\":", ToString(draft.user.role));
        core::AppendJsonString(detail, draft.name);
        detail += fmt::format(",\"group_ids\":{}}}", GroupsJson(draft.group_ids));
        auto a = impl_->AppendAudit(
            Impl::Entry(actor, now, scope.tenant_id(), "user.add", fmt::format("user:{}", id), detail));
        if (!a) return a.error();
        auto made = FindUserDetail(*impl_, scope.tenant_id(), id);
        if (!made) return made.error();
        if (!made->has_value()) return MakeError("user vanished");
        return Outcome<UserDetail>(**made);
    });
}

Result<Page<UserDetail>> AccountStore::ListUserDetails(TenantScope scope, const UserFilter& filter,
                                                      const PageRequest& page) {
    auto column = SortColumn(page.sort,
                             {{"id", "u.id"}, {"email", "u.email"}, {"role", "u.role"}, {"created_at", "u.created_at"}});
    if (!column) return MakeError("cannot sort users by '" + page.sort + "'");
    Where where;
    where.Add("u.tenant_id = ?", scope.tenant_id());
    if (filter.role) where.Add("u.role = ?", std::string(ToString(*filter.role)));
    if (filter.disabled) where.Add("u.disabled = ?", int64_t{*filter.disabled ? 1 : 0});
    if (!filter.text.empty()) {
        std::string pattern = ContainsPattern(filter.text);
        where.Add("(u.email LIKE ? ESCAPE '\\' OR u.name LIKE ? ESCAPE '\\')", pattern, pattern);
    }
    Page<UserDetail> out;
    {
        std::string sql = "SELECT count(*) FROM users u" + where.sql();
        Query q(impl_->db, sql.c_str());
        if (!q.ok()) return q.error("count users");
        where.BindTo(q);
        if (q.Step() != SQLITE_ROW) return impl_->DbError("count users");
        out.total = sqlite3_column_int64(q.get(), 0);
    }
    std::string sql = fmt::format("SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id{} ORDER BY {} {}, u.id "
                                  "LIMIT ? OFFSET ?",
                                  UserDetailColumns(), where.sql(), *column, page.descending ? "DESC" : "ASC");
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("list users");
    int i = where.BindTo(q);
    q.Bind(i, page.limit).Bind(i + 1, page.offset);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.items.push_back(ReadUserDetail(q.get()));
    if (rc != SQLITE_DONE) return impl_->DbError("list users");
    return out;
}

Result<std::optional<UserDetail>> AccountStore::GetUser(TenantScope scope, int64_t user_id) {
    return FindUserDetail(*impl_, scope.tenant_id(), user_id);
}

Result<Outcome<UserDetail>> AccountStore::UpdateUser(TenantScope scope, int64_t user_id, const UserChange& change,
                                                     const UserCheck& check, const Actor& actor, TimePoint now) {
    return impl_->Transaction<Outcome<UserDetail>>([&]() -> Result<Outcome<UserDetail>> {
        auto found = FindUserDetail(*impl_, scope.tenant_id(), user_id);
        if (!found) return found.error();
        if (!found->has_value()) return Outcome<UserDetail>(Refused{Refusal::kNotFound, "no such user"});
        const UserDetail& current = **found;
        if (check) {
            if (auto refused = check(current)) return Outcome<UserDetail>(*refused);
        }
        std::string detail;
        if (change.role && *change.role != current.user.role) {
            Query q(impl_->db, "UPDATE users SET role = ? WHERE id = ?");
            if (!q.ok()) return q.error("set role");
            q.Bind(1, ToString(*change.role)).Bind(2, user_id);
            if (q.Step() != SQLITE_DONE) return impl_->DbError("set role");
            detail += fmt::format(",\"role\":\"{}\"", ToString(*change.role));
        }
        if (change.name && *change.name != current.name) {
            Query q(impl_->db, "UPDATE users SET name = ? WHERE id = ?");
            if (!q.ok()) return q.error("set name");
            q.Bind(1, *change.name).Bind(2, user_id);
            if (q.Step() != SQLITE_DONE) return impl_->DbError("set name");
            detail += ",\"name\":";
            core::AppendJsonString(detail, *change.name);
        }
        if (change.disabled && *change.disabled != current.user.disabled) {
            Query q(impl_->db, "UPDATE users SET disabled = ? WHERE id = ?");
            if (!q.ok()) return q.error("set disabled");
            q.Bind(1, int64_t{*change.disabled ? 1 : 0}).Bind(2, user_id);
            if (q.Step() != SQLITE_DONE) return impl_->DbError("set disabled");
            if (*change.disabled) {
                if (auto r = impl_->RevokeCredentials("id = ?", user_id, now); !r) return r.error();
            }
            detail += fmt::format(",\"disabled\":{}", *change.disabled);
        }
        if (change.group_ids && GroupsJson(*change.group_ids) != GroupsJson(current.group_ids)) {
            auto bad_group = CheckGroups(*impl_, scope.tenant_id(), *change.group_ids);
            if (!bad_group) return bad_group.error();
            if (bad_group->has_value()) return Outcome<UserDetail>(**bad_group);
            if (auto r = SetGroups(*impl_, user_id, *change.group_ids); !r) return r.error();
            detail += ",\"group_ids\":" + GroupsJson(*change.group_ids);
        }
        if (detail.empty()) return Outcome<UserDetail>(current);
        detail[0] = '{';
        detail += '}';
        auto a = impl_->AppendAudit(
            Impl::Entry(actor, now, scope.tenant_id(), "user.update", fmt::format("user:{}", user_id), detail));
        if (!a) return a.error();
        auto updated = FindUserDetail(*impl_, scope.tenant_id(), user_id);
        if (!updated) return updated.error();
        return Outcome<UserDetail>(**updated);
    });
}

}  // namespace fleet::store
