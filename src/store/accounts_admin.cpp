// AccountStore: what the administration routes manage — tenants with their settings, and users
// with their names and vehicle-group narrowing. Every change is audited in its transaction.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>

#include "core/json.hpp"
#include "store/accounts.hpp"
#include "store/detail/fleet_impl.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;
using namespace detail;

// --- tenants
// ---------------------------------------------------------------------------------------

constexpr const char* kTenantDetailColumns =
    "id, name, status, require_totp, created_at, time_zone";

TenantDetail ReadTenantDetail(sqlite3_stmt* s) {
    TenantDetail d;
    d.tenant = ReadTenant(s);
    d.time_zone = Col(s, 5);
    return d;
}

Result<std::optional<TenantDetail>> FindTenantDetail(AccountStore::Impl& db, int64_t id) {
    Sql sql;
    sql << fmt::format("SELECT {} FROM tenants WHERE id = ?", kTenantDetailColumns);
    sql.Arg(id);
    auto rows = Rows<TenantDetail>(db, sql, "find tenant", ReadTenantDetail);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<TenantDetail>();
    return std::optional<TenantDetail>(std::move(rows->front()));
}

// The tenant as it is now, inside a change's transaction.
Outcome<TenantDetail> Reread(AccountStore::Impl& db, int64_t id) {
    auto found = FindTenantDetail(db, id);
    if (!found) return found.error();
    if (!found->has_value()) return Refused{Refusal::kNotFound, "no such tenant"};
    return **found;
}

// Sets the settings that differ from `current` and audits them (tenant.update); nothing when
// none differs.
Outcome<Done> ApplyTenantSettings(AccountStore::Impl& db, const TenantDetail& current,
                                  std::optional<bool> require_totp,
                                  const std::optional<std::string>& time_zone, const Actor& actor,
                                  TimePoint now) {
    std::string detail;
    if (require_totp && *require_totp != current.tenant.require_totp) {
        Sql update;
        update << "UPDATE tenants SET require_totp = ? WHERE id = ?";
        update.Arg(int64_t{*require_totp ? 1 : 0}).Arg(current.tenant.id);
        if (auto r = Change(db, update, "set require_totp"); !r) return r;
        detail += fmt::format(",\"require_totp\":{}", *require_totp);
    }
    if (time_zone && *time_zone != current.time_zone) {
        Sql update;
        update << "UPDATE tenants SET time_zone = ? WHERE id = ?";
        update.Arg(*time_zone).Arg(current.tenant.id);
        if (auto r = Change(db, update, "set time zone"); !r) return r;
        detail += ",\"time_zone\":";
        core::AppendJsonString(detail, *time_zone);
    }
    if (detail.empty()) return Done{};
    detail[0] = '{';
    detail += '}';
    return Audit(db, actor, now, current.tenant.id, "tenant.update",
                 "tenant:" + current.tenant.name, detail);
}

// --- users
// -----------------------------------------------------------------------------------------

// kUserColumns, then the name and the user's groups ("3,7").
std::string UserDetailColumns() {
    return fmt::format(
        "{}, u.name, (SELECT group_concat(g.group_id) FROM user_groups g WHERE g.user_id = u.id)",
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

Result<std::optional<UserDetail>> FindUserDetail(AccountStore::Impl& db, int64_t tenant_id,
                                                 int64_t user_id) {
    Sql sql;
    sql << fmt::format(
        "SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = ? AND "
        "u.tenant_id = ?",
        UserDetailColumns());
    sql.Arg(user_id).Arg(tenant_id);
    auto rows = Rows<UserDetail>(db, sql, "find user", ReadUserDetail);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<UserDetail>();
    return std::optional<UserDetail>(std::move(rows->front()));
}

// kNotFound when a group id is not one of the tenant's vehicle groups (another tenant's group is
// answered in the same words: no existence leak).
Outcome<Done> CheckGroups(AccountStore::Impl& db, int64_t tenant_id,
                          const std::vector<int64_t>& group_ids) {
    for (int64_t id : group_ids) {
        Sql sql;
        sql << "SELECT count(*) FROM vehicle_groups WHERE id = ? AND tenant_id = ?";
        sql.Arg(id).Arg(tenant_id);
        auto n = Count(db, sql, "check group");
        if (!n) return n.error();
        if (*n == 0) return Refused{Refusal::kNotFound, fmt::format("no such group {}", id)};
    }
    return Done{};
}

// Replaces the user's groups (none: no narrowing).
Outcome<Done> SetGroups(AccountStore::Impl& db, int64_t user_id,
                        const std::vector<int64_t>& group_ids) {
    Sql clear;
    clear << "DELETE FROM user_groups WHERE user_id = ?";
    clear.Arg(user_id);
    if (auto r = Change(db, clear, "clear groups"); !r) return r;
    for (int64_t id : group_ids) {
        Sql insert;
        insert << "INSERT OR IGNORE INTO user_groups (user_id, group_id) VALUES (?, ?)";
        insert.Arg(user_id).Arg(id);
        if (auto r = Change(db, insert, "set groups"); !r) return r;
    }
    return Done{};
}

std::string GroupsJson(std::vector<int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) out += fmt::format("{}{}", i ? "," : "", ids[i]);
    return out + "]";
}

// Sets one column of a user (an admin change).
template <typename T>
Outcome<Done> SetUserColumn(AccountStore::Impl& db, const char* column, T value, int64_t user_id) {
    Sql update;
    update << fmt::format("UPDATE users SET {} = ? WHERE id = ?", column);
    update.Arg(std::move(value)).Arg(user_id);
    return Change(db, update, "change user");
}

}  // namespace

// --- tenants
// ---------------------------------------------------------------------------------------

Outcome<TenantDetail> AccountStore::CreateTenant(const NewTenant& in, const Actor& actor,
                                                 TimePoint now) {
    if (!ValidTenantName(in.name)) {
        return Refused{Refusal::kInvalid,
                       "a tenant name is 1 to 64 lower-case letters, digits or '-' (not first)"};
    }
    return InTransaction<TenantDetail>(*impl_, [&]() -> Outcome<TenantDetail> {
        auto found = impl_->FindTenant(in.name);
        if (!found) return found.error();
        if (found->has_value())
            return Refused{Refusal::kConflict, "a tenant named '" + in.name + "' exists"};
        auto t = impl_->InsertTenant(in.name, actor, now);
        if (!t) return t.error();
        auto made = Reread(*impl_, t->id);
        if (!made) return made;
        if (auto r = ApplyTenantSettings(*impl_, *made, in.require_totp, in.time_zone, actor, now);
            !r) {
            return r.Failure<TenantDetail>();
        }
        return Reread(*impl_, t->id);
    });
}

Result<Page<TenantDetail>> AccountStore::ListTenantDetails(std::optional<TenantStatus> status, const std::string& q,
                                                          const Paging& paging) {
    auto order = OrderBy(paging, {{"id", "id"}, {"name", "name"}, {"created_at", "created_at"}}, "id");
    if (!order) return order.error();
    Sql where;
    where << " FROM tenants WHERE 1";
    if (status) {
        where << " AND status = ?";
        where.Arg(std::string(ToString(*status)));
    }
    if (!q.empty()) {
        where << " AND name LIKE ? ESCAPE '\\'";
        where.Arg(Contains(q));
    }
    Sql count = where;
    count.text = "SELECT count(*)" + where.text;
    auto total = Count(*impl_, count, "count tenants");
    if (!total) return total.error();
    Sql rows = where;
    rows.text =
        fmt::format("SELECT {}{}{} LIMIT ? OFFSET ?", kTenantDetailColumns, where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<TenantDetail>(*impl_, rows, "list tenants", ReadTenantDetail);
    if (!items) return items.error();
    return Page<TenantDetail>{std::move(*items), *total};
}

Result<std::optional<TenantDetail>> AccountStore::GetTenant(int64_t tenant_id) {
    return FindTenantDetail(*impl_, tenant_id);
}

Outcome<TenantDetail> AccountStore::UpdateTenant(int64_t tenant_id, const TenantChange& change,
                                                 const Actor& actor, TimePoint now) {
    return InTransaction<TenantDetail>(*impl_, [&]() -> Outcome<TenantDetail> {
        auto current = Reread(*impl_, tenant_id);
        if (!current) return current;
        const Tenant& t = current->tenant;
        if (change.status && *change.status != t.status) {
            bool suspend = *change.status == TenantStatus::kSuspended;
            if (suspend && t.name == kOperatorTenant) {
                return Refused{Refusal::kForbidden, "the operator's tenant cannot be suspended"};
            }
            Sql update;
            update << "UPDATE tenants SET status = ? WHERE id = ?";
            update.Arg(std::string(ToString(*change.status))).Arg(tenant_id);
            if (auto r = Change(*impl_, update, "set tenant status"); !r)
                return r.Failure<TenantDetail>();
            if (suspend) {
                if (auto r = impl_->RevokeCredentials("tenant_id = ?", tenant_id, now); !r)
                    return r.error();
            }
            if (auto a = detail::Audit(*impl_, actor, now, tenant_id,
                                       suspend ? "tenant.suspend" : "tenant.activate",
                                       "tenant:" + t.name);
                !a) {
                return a.Failure<TenantDetail>();
            }
        }
        if (auto r = ApplyTenantSettings(*impl_, *current, change.require_totp, change.time_zone,
                                         actor, now);
            !r) {
            return r.Failure<TenantDetail>();
        }
        return Reread(*impl_, tenant_id);
    });
}

// --- users
// -----------------------------------------------------------------------------------------

Outcome<UserDetail> AccountStore::CreateUser(TenantScope scope, const UserDraft& draft,
                                             const Actor& actor, TimePoint now) {
    auto email = NormaliseEmail(draft.user.email);
    if (!email) return Refused{Refusal::kInvalid, "'email' is not an e-mail address"};
    if (auto bad = CheckLine("name", draft.name, false)) return *bad;
    return InTransaction<UserDetail>(*impl_, [&]() -> Outcome<UserDetail> {
        if (auto r = CheckGroups(*impl_, scope.tenant_id(), draft.group_ids); !r)
            return r.Failure<UserDetail>();
        auto inserted = impl_->InsertUser(scope.tenant_id(), *email, draft.user, draft.name, now);
        if (!inserted) return inserted.error();
        if (!inserted->has_value())
            return Refused{Refusal::kConflict, "a user with this e-mail address exists"};
        int64_t id = **inserted;
        if (auto r = SetGroups(*impl_, id, draft.group_ids); !r) return r.Failure<UserDetail>();
        std::string detail = "{\"email\":";
        core::AppendJsonString(detail, *email);
        detail += fmt::format(",\"role\":\"{}\",\"name\":", ToString(draft.user.role));
        core::AppendJsonString(detail, draft.name);
        detail += fmt::format(",\"group_ids\":{}}}", GroupsJson(draft.group_ids));
        if (auto a = detail::Audit(*impl_, actor, now, scope.tenant_id(), "user.add",
                                   fmt::format("user:{}", id), detail);
            !a) {
            return a.Failure<UserDetail>();
        }
        auto made = FindUserDetail(*impl_, scope.tenant_id(), id);
        if (!made) return made.error();
        if (!made->has_value()) return Error{"user vanished"};
        return **made;
    });
}

Result<Page<UserDetail>> AccountStore::ListUserDetails(TenantScope scope, const UserFilter& filter,
                                                       const Paging& paging) {
    auto order = OrderBy(
        paging,
        {{"id", "u.id"}, {"email", "u.email"}, {"role", "u.role"}, {"created_at", "u.created_at"}},
        "u.id");
    if (!order) return order.error();
    Sql where;
    where << " FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = ?";
    where.Arg(scope.tenant_id());
    if (filter.role) {
        where << " AND u.role = ?";
        where.Arg(std::string(ToString(*filter.role)));
    }
    if (filter.disabled) {
        where << " AND u.disabled = ?";
        where.Arg(int64_t{*filter.disabled ? 1 : 0});
    }
    if (!filter.text.empty()) {
        where << " AND (u.email LIKE ? ESCAPE '\\' OR u.name LIKE ? ESCAPE '\\')";
        where.Arg(Contains(filter.text)).Arg(Contains(filter.text));
    }
    Sql count = where;
    count.text = "SELECT count(*)" + where.text;
    auto total = Count(*impl_, count, "count users");
    if (!total) return total.error();
    Sql rows = where;
    rows.text =
        fmt::format("SELECT {}{}{} LIMIT ? OFFSET ?", UserDetailColumns(), where.text, *order);
    rows.Arg(paging.limit).Arg(paging.offset);
    auto items = Rows<UserDetail>(*impl_, rows, "list users", ReadUserDetail);
    if (!items) return items.error();
    return Page<UserDetail>{std::move(*items), *total};
}

Result<std::optional<UserDetail>> AccountStore::GetUser(TenantScope scope, int64_t user_id) {
    return FindUserDetail(*impl_, scope.tenant_id(), user_id);
}

Outcome<UserDetail> AccountStore::UpdateUser(TenantScope scope, int64_t user_id,
                                             const UserChange& change, const UserCheck& check,
                                             const Actor& actor, TimePoint now) {
    if (change.name) {
        if (auto bad = CheckLine("name", *change.name, false)) return *bad;
    }
    return InTransaction<UserDetail>(*impl_, [&]() -> Outcome<UserDetail> {
        auto found = FindUserDetail(*impl_, scope.tenant_id(), user_id);
        if (!found) return found.error();
        if (!found->has_value()) return Refused{Refusal::kNotFound, "no such user"};
        const UserDetail& current = **found;
        if (check) {
            if (auto refused = check(current)) return *refused;
        }
        std::string detail;
        if (change.role && *change.role != current.user.role) {
            auto r = SetUserColumn(*impl_, "role", std::string(ToString(*change.role)), user_id);
            if (!r) return r.Failure<UserDetail>();
            // A privilege change: the user signs in again and gets new session tokens.
            if (auto revoked = impl_->RevokeCredentials("id = ?", user_id, now); !revoked) return revoked.error();
            detail += fmt::format(",\"role\":\"{}\"", ToString(*change.role));
        }
        if (change.name && *change.name != current.name) {
            if (auto r = SetUserColumn(*impl_, "name", *change.name, user_id); !r)
                return r.Failure<UserDetail>();
            detail += ",\"name\":";
            core::AppendJsonString(detail, *change.name);
        }
        if (change.disabled && *change.disabled != current.user.disabled) {
            auto r = SetUserColumn(*impl_, "disabled", int64_t{*change.disabled ? 1 : 0}, user_id);
            if (!r) return r.Failure<UserDetail>();
            if (*change.disabled) {
                if (auto revoked = impl_->RevokeCredentials("id = ?", user_id, now); !revoked)
                    return revoked.error();
            }
            detail += fmt::format(",\"disabled\":{}", *change.disabled);
        }
        if (change.group_ids && GroupsJson(*change.group_ids) != GroupsJson(current.group_ids)) {
            if (auto r = CheckGroups(*impl_, scope.tenant_id(), *change.group_ids); !r)
                return r.Failure<UserDetail>();
            if (auto r = SetGroups(*impl_, user_id, *change.group_ids); !r)
                return r.Failure<UserDetail>();
            detail += ",\"group_ids\":" + GroupsJson(*change.group_ids);
        }
        if (detail.empty()) return current;
        detail[0] = '{';
        detail += '}';
        if (auto a = detail::Audit(*impl_, actor, now, scope.tenant_id(), "user.update",
                                   fmt::format("user:{}", user_id), detail);
            !a) {
            return a.Failure<UserDetail>();
        }
        auto updated = FindUserDetail(*impl_, scope.tenant_id(), user_id);
        if (!updated) return updated.error();
        if (!updated->has_value()) return Error{"user vanished"};
        return **updated;
    });
}

}  // namespace fleet::store
