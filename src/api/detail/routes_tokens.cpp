// The caller's API tokens: POST/GET /api/v1/me/tokens, DELETE /api/v1/me/tokens/{id}. Managed only
// from a signed-in session (a token cannot mint or list tokens), so an administrator's token always
// comes from a sign-in that passed the second factor.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "api/detail/fleet_common.hpp"
#include "api/detail/service.hpp"
#include "api/detail/tokens.hpp"
#include "core/json.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

// In the order tokens list them.
constexpr std::array<std::string_view, 3> kScopes = {"read", "write", "commands"};
constexpr int64_t kDefaultDays = 90;
constexpr int64_t kMaxDays = 365;

std::string TokenJson(const store::ApiToken& t, const std::string* secret) {
    std::string out = fmt::format("{{\"id\":{},\"name\":", t.id);
    core::AppendJsonString(out, t.name);
    out += ",\"scopes\":[";
    for (size_t i = 0; i < t.scopes.size(); ++i) {
        if (i) out += ',';
        core::AppendJsonString(out, t.scopes[i]);
    }
    out += fmt::format("],\"created_at\":{},\"expires_at\":{},\"last_used_at\":{}",
                       JsonTime(t.created_at), JsonTime(t.expires_at), JsonTime(t.last_used_at));
    if (secret) {
        out += ",\"token\":";
        core::AppendJsonString(out, *secret);
    }
    return out + "}";
}

asio::awaitable<void> Create(Service& s, Ctx& ctx, http::Response& res) {
    auto parsed = ParseBody(ctx.req, {{"name", FieldType::kString, true, false, 64},
                                      {"scopes", FieldType::kStringArray, true, false, 16},
                                      {"expires_in_days", FieldType::kInt, false, false}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& body = std::get<0>(parsed);
    store::NewApiToken token;
    token.name = *GetString(body, "name");
    std::vector<std::string> asked;
    for (const auto& scope : body.at("scopes").as_array()) asked.emplace_back(scope.as_string());
    for (const auto& scope : asked) {
        if (std::find(kScopes.begin(), kScopes.end(), scope) == kScopes.end()) {
            res = InvalidBody("'scopes' holds only \"read\", \"write\" and \"commands\"");
            co_return;
        }
    }
    for (auto scope : kScopes) {
        if (std::find(asked.begin(), asked.end(), scope) != asked.end())
            token.scopes.emplace_back(scope);
    }
    if (token.scopes.empty()) {
        res = InvalidBody("'scopes' must name at least one scope");
        co_return;
    }
    int64_t days = GetInt(body, "expires_in_days").value_or(kDefaultDays);
    if (days < 1 || days > kMaxDays) {
        res = InvalidBody(fmt::format("'expires_in_days' must be from 1 to {}", kMaxDays));
        co_return;
    }
    std::string secret = NewApiTokenText();
    token.token_hash = auth::HashToken(secret);
    token.expires_at =
        ctx.now + std::chrono::duration_cast<core::Millis>(std::chrono::hours(24 * days));
    store::Actor actor = ActorOf(ctx);
    const store::User& owner = ctx.caller->user;
    core::TimePoint now = ctx.now;
    store::Outcome<store::ApiToken> made;
    Database::Task fn = [&](Conn& c) { made = c.accounts.AddApiToken(owner, token, actor, now); };
    co_await s.Run(fn);
    Answer(res, made, 201, [&](const store::ApiToken& t) { return TokenJson(t, &secret); });
}

asio::awaitable<void> List(Service& s, Ctx& ctx, http::Response& res) {
    int64_t user_id = ctx.caller->user.id;
    core::TimePoint now = ctx.now;
    Result<std::vector<store::ApiToken>> tokens = std::vector<store::ApiToken>();
    Database::Task fn = [&](Conn& c) { tokens = c.accounts.ListApiTokens(user_id, now); };
    co_await s.Run(fn);
    if (!tokens) {
        res = ProblemOf(nullptr, &tokens.error());
        co_return;
    }
    std::string out = "{\"items\":[";
    for (size_t i = 0; i < tokens->size(); ++i) {
        if (i) out += ',';
        out += TokenJson((*tokens)[i], nullptr);
    }
    res = Json(200, out + "]}");
}

asio::awaitable<void> Revoke(Service& s, Ctx& ctx, http::Response& res) {
    auto id = PathId(ctx);
    if (!id) {
        res = NotFound("API token");
        co_return;
    }
    store::Actor actor = ActorOf(ctx);
    const store::User& owner = ctx.caller->user;
    core::TimePoint now = ctx.now;
    Result<bool> revoked = false;
    Database::Task fn = [&](Conn& c) {
        revoked = c.accounts.RevokeApiToken(owner, *id, actor, now);
    };
    co_await s.Run(fn);
    if (!revoked) {
        res = ProblemOf(nullptr, &revoked.error());
        co_return;
    }
    if (!*revoked) {
        res = NotFound("API token");
        co_return;
    }
    res.status = 204;
    res.content_type.clear();
}

}  // namespace

void AddTokenRoutes(Service& s) {
    Route create{"POST", "/api/v1/me/tokens", Access::kSignedIn, std::nullopt, false,
                 [&s](Ctx& ctx, http::Response& res) { return Create(s, ctx, res); }, true};
    create.step_up = true;  // a token is a new credential
    s.router.Add(std::move(create));
    s.router.Add({"GET", "/api/v1/me/tokens", Access::kSignedIn, std::nullopt, false,
                  [&s](Ctx& ctx, http::Response& res) { return List(s, ctx, res); }, true});
    s.router.Add({"DELETE", "/api/v1/me/tokens/{id}", Access::kSignedIn, std::nullopt, false,
                  [&s](Ctx& ctx, http::Response& res) { return Revoke(s, ctx, res); }, true});
}

}  // namespace fleet::api::detail
