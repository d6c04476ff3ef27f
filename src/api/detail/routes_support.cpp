// The audit log (GET /api/v1/audit: a tenant admin reads its tenant's entries, the operator every
// tenant's or the one of ?tenant=) and support grants (POST/GET /api/v1/support-grants, DELETE
// /api/v1/support-grants/{id}: a tenant admin lets the operator's staff read its vehicle data for
// 1 to 72 hours; see AccountStore::ActiveSupportGrant for how later routes check it).
#include <fmt/format.h>

#include <charconv>

#include "api/detail/fleet_common.hpp"
#include "api/detail/service.hpp"
#include "api/detail/tenant_target.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

constexpr int64_t kAuditDefaultLimit = 100;
constexpr int64_t kAuditMaxLimit = 1000;
constexpr int64_t kMaxGrantHours = 72;

std::optional<int64_t> PositiveInt(std::string_view text) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < 1) return std::nullopt;
    return v;
}

// ?action=&actor_user_id=&from=&to=&before_id=&limit= (and tenant=, read by TargetOf); sets `res`
// when the query is not one of these.
std::optional<store::AuditQuery> ParseAuditQuery(const Ctx& ctx, http::Response& res) {
    store::AuditQuery q;
    q.limit = kAuditDefaultLimit;
    for (const auto& [key, value] : ctx.query) {
        if (key == "limit") {
            auto v = PositiveInt(value);
            if (!v || *v > kAuditMaxLimit) {
                res = InvalidQuery(
                    fmt::format("'limit' must be an integer from 1 to {}", kAuditMaxLimit));
                return std::nullopt;
            }
            q.limit = *v;
        } else if (key == "before_id" || key == "actor_user_id") {
            auto v = PositiveInt(value);
            if (!v) {
                res = InvalidQuery(fmt::format("'{}' must be a positive integer", key));
                return std::nullopt;
            }
            (key == "before_id" ? q.before_id : q.actor_user_id) = *v;
        } else if (key == "from" || key == "to") {
            auto t = core::ParseIso(value);
            if (!t) {
                res = InvalidQuery(
                    fmt::format("'{}' must be an ISO 8601 time like 2026-03-01T08:00:00Z", key));
                return std::nullopt;
            }
            (key == "from" ? q.from : q.to) = *t;
        } else if (key == "action") {
            if (value.size() > 64) {
                res = InvalidQuery("'action' is longer than 64 bytes");
                return std::nullopt;
            }
            q.action = value;
        } else if (key != "tenant") {
            res = InvalidQuery(
                fmt::format("unknown query parameter '{}'", std::string_view(key).substr(0, 64)));
            return std::nullopt;
        }
    }
    return q;
}

// The scope of the audit and grant lists: the operator reads every tenant's unless it names one.
Result<std::optional<std::optional<store::TenantScope>>> ListScope(store::AccountStore& accounts,
                                                                   const TenantTarget& target,
                                                                   const Caller& caller) {
    using Scope = std::optional<store::TenantScope>;
    if (caller.IsOperator() && !target.name) return std::optional<Scope>(Scope());
    auto scope = target.Scope(accounts, caller);
    if (!scope) return scope.error();
    if (!*scope) return std::optional<Scope>();  // no such tenant
    return std::optional<Scope>(*scope);
}

asio::awaitable<void> ListAudit(Service& s, Ctx& ctx, http::Response& res) {
    auto target = TargetOf(ctx, QueryValue(ctx, "tenant"), res);
    if (!target) co_return;
    auto query = ParseAuditQuery(ctx, res);
    if (!query) co_return;
    const Caller& caller = *ctx.caller;
    Result<std::optional<std::vector<store::AuditEntry>>> entries =
        std::optional<std::vector<store::AuditEntry>>();
    Database::Task fn = [&](Conn& c) {
        auto scope = ListScope(c.accounts, *target, caller);
        if (!scope || !*scope) {
            if (!scope) entries = scope.error();
            return;
        }
        query->scope = **scope;
        auto list = c.accounts.ListAudit(*query);
        if (!list) {
            entries = list.error();
            return;
        }
        entries = std::optional<std::vector<store::AuditEntry>>(std::move(*list));
    };
    co_await s.Run(fn);
    if (!entries) {
        res = ProblemOf(nullptr, &entries.error());
        co_return;
    }
    if (!*entries) {
        res = NotFound("tenant");
        co_return;
    }
    const auto& list = **entries;
    std::string out = "{\"items\":[";
    for (size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + store::AuditJson(list[i]);
    // A full page may have more behind it; a short one is the end.
    bool more = static_cast<int64_t>(list.size()) == query->limit;
    out += fmt::format("],\"limit\":{},\"next_before_id\":{}}}", query->limit,
                       more ? std::to_string(list.back().id) : "null");
    res = Json(200, std::move(out));
}

// --- support grants
// --------------------------------------------------------------------------------

std::string GrantJson(const store::SupportGrant& g, core::TimePoint now) {
    std::string out = fmt::format("{{\"id\":{},\"tenant\":", g.id);
    core::AppendJsonString(out, g.tenant);
    out += fmt::format(",\"granted_by\":{},\"reason\":", g.granted_by);
    core::AppendJsonString(out, g.reason);
    return out +
           fmt::format(",\"created_at\":{},\"expires_at\":{},\"revoked_at\":{},\"active\":{}}}",
                       JsonTime(g.created_at), JsonTime(g.expires_at), JsonTime(g.revoked_at),
                       g.ActiveAt(now));
}

asio::awaitable<void> CreateGrant(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {{"reason", FieldType::kString, true, false, 500},
                                      {"hours", FieldType::kInt, true, false}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& body = std::get<0>(parsed);
    const store::User& granter = ctx.caller->user;
    if (granter.tenant == store::kOperatorTenant) {
        res = Forbidden("the operator's own tenant needs no support grant");
        co_return;
    }
    std::string reason = *GetString(body, "reason");
    int64_t hours = *GetInt(body, "hours");
    if (hours < 1 || hours > kMaxGrantHours) {
        res = InvalidBody(fmt::format("'hours' must be from 1 to {}", kMaxGrantHours));
        co_return;
    }
    store::Actor actor = ActorOf(ctx);
    core::TimePoint now = ctx.now;
    store::Outcome<store::SupportGrant> made;
    Database::Task fn = [&](Conn& c) {
        made = c.accounts.GrantSupport(granter, reason, std::chrono::hours(hours), actor, now);
    };
    co_await s.Run(fn);
    Answer(res, made, 201, [&](const store::SupportGrant& g) { return GrantJson(g, now); });
}

asio::awaitable<void> ListGrants(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseListQuery(ctx.query, ListSpec{{}, {"active", "tenant"}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& q = std::get<ListQuery>(parsed);
    auto target = TargetOf(ctx, QueryValue(ctx, "tenant"), res);
    if (!target) co_return;
    std::optional<bool> active;
    if (auto problem = BoolFilter(q, "active", active)) {
        res = std::move(*problem);
        co_return;
    }
    store::Paging paging = PagingOf(q);
    const Caller& caller = *ctx.caller;
    core::TimePoint now = ctx.now;
    Result<std::optional<store::Page<store::SupportGrant>>> grants =
        std::optional<store::Page<store::SupportGrant>>();
    Database::Task fn = [&](Conn& c) {
        auto scope = ListScope(c.accounts, *target, caller);
        if (!scope || !*scope) {
            if (!scope) grants = scope.error();
            return;
        }
        auto list = c.accounts.ListSupportGrants(**scope, active, now, paging);
        if (!list) {
            grants = list.error();
            return;
        }
        grants = std::optional<store::Page<store::SupportGrant>>(std::move(*list));
    };
    co_await s.Run(fn);
    if (grants && !*grants) {
        res = NotFound("tenant");
        co_return;
    }
    AnswerPage(res, grants ? Result<store::Page<store::SupportGrant>>(**grants) : grants.error(), q,
               [&](const store::SupportGrant& g) { return GrantJson(g, now); });
}

asio::awaitable<void> RevokeGrant(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("support grant");
        co_return;
    }
    store::TenantScope scope = ctx.caller->scope();
    store::Actor actor = ActorOf(ctx);
    core::TimePoint now = ctx.now;
    store::Outcome<store::SupportGrant> revoked;
    Database::Task fn = [&](Conn& c) {
        revoked = c.accounts.RevokeSupportGrant(scope, *id, actor, now);
    };
    co_await s.Run(fn);
    if (!revoked) {
        res = ProblemOf(revoked.refused(), revoked.error());
        co_return;
    }
    res.status = 204;
    res.content_type.clear();
}

}  // namespace

void AddSupportRoutes(Service& s) {
    s.router.Add({"GET", "/api/v1/audit", Access::kSignedIn, Permission::kAuditRead, false,
                  [&s](Ctx& ctx, http::Response& res) { return ListAudit(s, ctx, res); }});
    // Granting access is a person's decision: from a signed-in session, not an API token.
    s.router.Add({"POST", "/api/v1/support-grants", Access::kSignedIn, Permission::kSupportGrant,
                  false, [&s](Ctx& ctx, http::Response& res) { return CreateGrant(s, ctx, res); },
                  true});
    s.router.Add({"GET", "/api/v1/support-grants", Access::kSignedIn, Permission::kAuditRead, false,
                  [&s](Ctx& ctx, http::Response& res) { return ListGrants(s, ctx, res); }});
    s.router.Add({"DELETE", "/api/v1/support-grants/{id}", Access::kSignedIn,
                  Permission::kSupportGrant, false,
                  [&s](Ctx& ctx, http::Response& res) { return RevokeGrant(s, ctx, res); }});
}

}  // namespace fleet::api::detail
