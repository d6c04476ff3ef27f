// Tenants (the operator's: GET/POST /api/v1/tenants, GET/PATCH /api/v1/tenants/{id}) and users
// (GET/POST /api/v1/users, GET/PATCH /api/v1/users/{id}) of the caller's tenant, or for the
// operator of the tenant named by ?tenant= (POST: "tenant"). The role rules are in user_rules.hpp.
#include <fmt/format.h>

#include "api/detail/fleet_common.hpp"
#include "api/detail/service.hpp"
#include "api/detail/tenant_target.hpp"
#include "api/detail/time_zone.hpp"
#include "api/detail/user_rules.hpp"
#include "core/json.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

// --- tenants
// ---------------------------------------------------------------------------------------

std::string TenantJson(const store::TenantDetail& d) {
    std::string out = fmt::format("{{\"id\":{},\"name\":", d.tenant.id);
    core::AppendJsonString(out, d.tenant.name);
    out += fmt::format(",\"status\":\"{}\",\"require_totp\":{},\"time_zone\":",
                       store::ToString(d.tenant.status), d.tenant.require_totp);
    core::AppendJsonString(out, d.time_zone);
    return out + fmt::format(",\"created_at\":{}}}", JsonTime(d.tenant.created_at));
}

std::optional<store::TenantStatus> ParseStatus(std::string_view text) {
    if (text == "active") return store::TenantStatus::kActive;
    if (text == "suspended") return store::TenantStatus::kSuspended;
    return std::nullopt;
}

// The time zone of a body, checked; sets `res` and returns false when it is not a zone.
bool CheckTimeZone(const std::optional<std::string>& zone, http::Response& res) {
    if (!zone || IsTimeZone(*zone)) return true;
    res = InvalidBody("'time_zone' is not an IANA time-zone name (like \"Europe/Paris\")");
    return false;
}

asio::awaitable<void> ListTenants(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"id", "name", "created_at"}, {"status", "q"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& q = std::get<ListQuery>(parsed);
    std::optional<store::TenantStatus> status;
    if (auto it = q.filters.find("status"); it != q.filters.end()) {
        status = ParseStatus(it->second);
        if (!status) {
            res = InvalidQuery("'status' is \"active\" or \"suspended\"");
            co_return;
        }
    }
    store::Paging paging = PagingOf(q);
    Result<store::Page<store::TenantDetail>> tenants = store::Page<store::TenantDetail>();
    std::string text = q.filters.count("q") ? q.filters.at("q") : "";
    Database::Task fn = [&](Conn& c) { tenants = c.accounts.ListTenantDetails(status, text, paging); };
    co_await s.Run(fn);
    AnswerPage(res, tenants, q, TenantJson);
}

asio::awaitable<void> CreateTenant(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {{"name", FieldType::kString, true, false, 64},
                                      {"time_zone", FieldType::kString, false, false, 64},
                                      {"require_totp", FieldType::kBool, false, false}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& body = std::get<0>(parsed);
    store::NewTenant tenant;
    tenant.name = *GetString(body, "name");
    auto zone = GetString(body, "time_zone");
    if (!CheckTimeZone(zone, res)) co_return;
    if (zone) tenant.time_zone = *zone;
    tenant.require_totp = GetBool(body, "require_totp").value_or(false);
    store::Actor actor = ActorOf(ctx);
    core::TimePoint now = ctx.now;
    store::Outcome<store::TenantDetail> made;
    Database::Task fn = [&](Conn& c) { made = c.accounts.CreateTenant(tenant, actor, now); };
    co_await s.Run(fn);
    Answer(res, made, 201, TenantJson);
}

asio::awaitable<void> GetTenant(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("tenant");
        co_return;
    }
    Result<std::optional<store::TenantDetail>> tenant = std::optional<store::TenantDetail>();
    Database::Task fn = [&](Conn& c) { tenant = c.accounts.GetTenant(*id); };
    co_await s.Run(fn);
    AnswerFound(res, tenant, "tenant", TenantJson);
}

asio::awaitable<void> PatchTenant(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("tenant");
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"status", FieldType::kString, false, false, 16},
                                      {"require_totp", FieldType::kBool, false, false},
                                      {"time_zone", FieldType::kString, false, false, 64}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& body = std::get<0>(parsed);
    store::TenantChange change;
    if (auto status = GetString(body, "status")) {
        change.status = ParseStatus(*status);
        if (!change.status) {
            res = InvalidBody("'status' is \"active\" or \"suspended\"");
            co_return;
        }
    }
    change.require_totp = GetBool(body, "require_totp");
    change.time_zone = GetString(body, "time_zone");
    if (!CheckTimeZone(change.time_zone, res)) co_return;
    store::Actor actor = ActorOf(ctx);
    core::TimePoint now = ctx.now;
    store::Outcome<store::TenantDetail> updated;
    Database::Task fn = [&](Conn& c) {
        updated = c.accounts.UpdateTenant(*id, change, actor, now);
    };
    co_await s.Run(fn);
    Answer(res, updated, 200, TenantJson);
}

// --- users
// -----------------------------------------------------------------------------------------

std::string UserDetailJson(const store::UserDetail& d) {
    const store::User& u = d.user;
    std::string out = fmt::format("{{\"id\":{},\"email\":", u.id);
    core::AppendJsonString(out, u.email);
    out += ",\"name\":";
    core::AppendJsonString(out, d.name);
    out += fmt::format(",\"role\":\"{}\",\"tenant\":", store::ToString(u.role));
    core::AppendJsonString(out, u.tenant);
    out += fmt::format(
        ",\"must_change_password\":{},\"totp_enabled\":{},\"disabled\":{},\"created_at\":{},"
        "\"group_ids\":[",
        u.must_change_password, u.totp_enabled, u.disabled, JsonTime(u.created_at));
    for (size_t i = 0; i < d.group_ids.size(); ++i)
        out += fmt::format("{}{}", i ? "," : "", d.group_ids[i]);
    return out + "]}";
}

store::Refused NoSuchTenant() {
    return store::Refused{store::Refusal::kNotFound, "no such tenant"};
}

// Audits the operator's read of a customer's users (personal data) in the same worker task.
Result<void> AuditForeignRead(store::AccountStore& accounts, const Ctx& ctx,
                              store::TenantScope scope, const std::string& target) {
    store::AuditEntry entry;
    entry.at = ctx.now;
    entry.tenant_id = scope.tenant_id();
    entry.actor_user_id = ctx.caller->user.id;
    entry.actor = ActorOf(ctx).name;
    entry.action = "user.read";
    entry.target = target;
    entry.ip = ctx.ip;
    auto r = accounts.Audit(entry);
    if (!r) return r.error();
    return {};
}

asio::awaitable<void> ListUsers(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"id", "email", "role", "created_at"},
                                                     {"role", "disabled", "q", "tenant"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& q = std::get<ListQuery>(parsed);
    auto target = TargetOf(ctx, QueryValue(ctx, "tenant"), res);
    if (!target) co_return;
    store::UserFilter filter;
    if (auto it = q.filters.find("role"); it != q.filters.end()) {
        filter.role = store::ParseRole(it->second);
        if (!filter.role) {
            res = InvalidQuery("'role' is not a role");
            co_return;
        }
    }
    if (auto problem = BoolFilter(q, "disabled", filter.disabled)) {
        res = std::move(*problem);
        co_return;
    }
    if (auto it = q.filters.find("q"); it != q.filters.end()) filter.text = it->second;
    store::Paging paging = PagingOf(q);
    const Caller& caller = *ctx.caller;
    Result<std::optional<store::Page<store::UserDetail>>> users =
        std::optional<store::Page<store::UserDetail>>();
    Database::Task fn = [&](Conn& c) {
        auto scope = target->Scope(c.accounts, caller);
        if (!scope || !*scope) {
            if (!scope) users = scope.error();
            return;
        }
        auto list = c.accounts.ListUserDetails(**scope, filter, paging);
        if (!list) {
            users = list.error();
            return;
        }
        if (target->Foreign(caller)) {
            if (auto r = AuditForeignRead(c.accounts, ctx, **scope, "users"); !r) {
                users = r.error();
                return;
            }
        }
        users = std::optional<store::Page<store::UserDetail>>(std::move(*list));
    };
    co_await s.Run(fn);
    if (users && !*users) {
        res = NotFound("tenant");
        co_return;
    }
    AnswerPage(res, users ? Result<store::Page<store::UserDetail>>(**users) : users.error(), q,
               UserDetailJson);
}

// A one-time password for a new user: 18 random bytes (24 characters), checked against the
// password policy like any other; the policy can, rarely, refuse a random one (it contains the
// e-mail's local part): draw again.
std::optional<std::string> OneTimePassword(const std::string& email, const std::string& tenant,
                                           const auth::CommonPasswords& common) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        std::string password = auth::RandomToken(18);
        if (auth::CheckNewPassword(password, email, tenant, common)) return password;
    }
    return std::nullopt;
}

asio::awaitable<void> CreateUser(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {{"email", FieldType::kString, true, false, 254},
                                      {"role", FieldType::kString, true, false, 32},
                                      {"name", FieldType::kString, false, false, 128},
                                      {"group_ids", FieldType::kIntArray, false, false},
                                      {"tenant", FieldType::kString, false, false, 64}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& body = std::get<0>(parsed);
    auto target = TargetOf(ctx, GetString(body, "tenant"), res);
    if (!target) co_return;
    auto role = store::ParseRole(*GetString(body, "role"));
    if (!role) {
        res = InvalidBody(
            "'role' is one of operator-admin, tenant-admin, fleet-manager, viewer, driver");
        co_return;
    }
    store::UserDraft draft;
    draft.user.email = *GetString(body, "email");
    draft.user.role = *role;
    draft.user.must_change_password = true;
    draft.name = GetString(body, "name").value_or("");
    draft.group_ids = GetIntArray(body, "group_ids").value_or(std::vector<int64_t>());
    const Caller& caller = *ctx.caller;
    if (auto refused =
            RefuseRole(caller.user, *role, draft.group_ids.size(), target->operator_tenant)) {
        res = ProblemOf(&*refused, nullptr);
        co_return;
    }
    auto password = OneTimePassword(draft.user.email, target->name.value_or(caller.user.tenant),
                                    *s.common_passwords);
    if (!password) {
        res = InvalidBody("no password can be made for this e-mail address and tenant");
        co_return;
    }
    store::Actor actor = ActorOf(ctx);
    core::TimePoint now = ctx.now;
    const auth::HashCost& cost = s.options.hash_cost;
    store::Outcome<store::UserDetail> made;
    Database::Task fn = [&](Conn& c) {
        auto scope = target->Scope(c.accounts, caller);
        if (!scope || !*scope) {
            made = scope ? store::Outcome<store::UserDetail>(NoSuchTenant()) : scope.error();
            return;
        }
        auto hash = auth::HashPassword(*password, cost);
        if (!hash) {
            made = hash.error();
            return;
        }
        draft.user.password_hash = std::move(*hash);
        made = c.accounts.CreateUser(**scope, draft, actor, now);
    };
    co_await s.Run(fn);
    Answer(res, made, 201, [&](const store::UserDetail& u) {
        std::string out = "{\"user\":" + UserDetailJson(u) + ",\"password\":";
        core::AppendJsonString(out, *password);
        return out + "}";
    });
}

asio::awaitable<void> GetUser(Service& s, Ctx& ctx, http::Response& res) {
    auto target = TargetOf(ctx, QueryValue(ctx, "tenant"), res);
    if (!target) co_return;
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("user");
        co_return;
    }
    const Caller& caller = *ctx.caller;
    Result<std::optional<store::UserDetail>> user = std::optional<store::UserDetail>();
    Database::Task fn = [&](Conn& c) {
        auto scope = target->Scope(c.accounts, caller);
        if (!scope || !*scope) {
            if (!scope) user = scope.error();
            return;
        }
        user = c.accounts.GetUser(**scope, *id);
        if (user && *user && target->Foreign(caller)) {
            if (auto r = AuditForeignRead(c.accounts, ctx, **scope, fmt::format("user:{}", *id));
                !r)
                user = r.error();
        }
    };
    co_await s.Run(fn);
    AnswerFound(res, user, "user", UserDetailJson);
}

asio::awaitable<void> PatchUser(Service& s, Ctx& ctx, http::Response& res) {
    auto target = TargetOf(ctx, QueryValue(ctx, "tenant"), res);
    if (!target) co_return;
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("user");
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"role", FieldType::kString, false, false, 32},
                                      {"name", FieldType::kString, false, false, 128},
                                      {"disabled", FieldType::kBool, false, false},
                                      {"group_ids", FieldType::kIntArray, false, false}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& body = std::get<0>(parsed);
    store::UserChange change;
    if (auto role = GetString(body, "role")) {
        change.role = store::ParseRole(*role);
        if (!change.role) {
            res = InvalidBody(
                "'role' is one of operator-admin, tenant-admin, fleet-manager, viewer, driver");
            co_return;
        }
    }
    change.name = GetString(body, "name");
    change.disabled = GetBool(body, "disabled");
    change.group_ids = GetIntArray(body, "group_ids");
    const Caller& caller = *ctx.caller;
    bool operator_tenant = target->operator_tenant;
    store::UserCheck check = [&](const store::UserDetail& current) {
        return RefuseUserChange(caller.user, current, change, operator_tenant);
    };
    store::Actor actor = ActorOf(ctx);
    core::TimePoint now = ctx.now;
    store::Outcome<store::UserDetail> updated;
    Database::Task fn = [&](Conn& c) {
        auto scope = target->Scope(c.accounts, caller);
        if (!scope || !*scope) {
            updated = scope ? store::Outcome<store::UserDetail>(NoSuchTenant()) : scope.error();
            return;
        }
        updated = c.accounts.UpdateUser(**scope, *id, change, check, actor, now);
    };
    co_await s.Run(fn);
    Answer(res, updated, 200, UserDetailJson);
}

}  // namespace

void AddAdminRoutes(Service& s) {
    AddRoute(s, "GET", "/api/v1/tenants", Permission::kTenantsRead, ListTenants);
    AddRoute(s, "POST", "/api/v1/tenants", Permission::kTenantsWrite, CreateTenant);
    AddRoute(s, "GET", "/api/v1/tenants/{id}", Permission::kTenantsRead, GetTenant);
    AddRoute(s, "PATCH", "/api/v1/tenants/{id}", Permission::kTenantsWrite, PatchTenant);
    AddRoute(s, "GET", "/api/v1/users", Permission::kUsersRead, ListUsers);
    AddRoute(s, "POST", "/api/v1/users", Permission::kUsersWrite, CreateUser, /*step_up=*/true);
    AddRoute(s, "GET", "/api/v1/users/{id}", Permission::kUsersRead, GetUser);
    AddRoute(s, "PATCH", "/api/v1/users/{id}", Permission::kUsersWrite, PatchUser, /*step_up=*/true);
}

}  // namespace fleet::api::detail
