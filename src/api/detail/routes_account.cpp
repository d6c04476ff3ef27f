// Account security: POST /api/v1/me/password, POST /api/v1/auth/password-reset and
// /password-reset/confirm, GET and DELETE /api/v1/me/sessions, DELETE /api/v1/me/sessions/{id},
// POST /api/v1/auth/step-up. The rules are in account_security.*; this file is their HTTP face.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/detail/service.hpp"
#include "api/detail/step_up.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

// Sessions are shown by a public id derived from the stored token hash (which is the look-up key
// of a live session and never leaves the server): 16 hex digits of its SHA-256.
std::string PublicSessionId(const std::string& token_hash) {
    return auth::HashToken(token_hash).substr(0, 16);
}

std::optional<http::Response> NeedSession(const Ctx& ctx) {
    if (ctx.caller->session) return std::nullopt;
    return http::Problem(403, "session-required", "Session required",
                         "this route needs a signed-in session: API tokens cannot use it");
}

std::optional<http::Response> CrossOrigin(const Ctx& ctx) {
    std::string_view origin = ctx.req.Header("Origin");
    if (origin.empty() || SameOrigin(origin, ctx.req.Header("Host"))) return std::nullopt;
    return http::Problem(403, "csrf", "Cross-site request refused", "the Origin is not this site");
}

http::Response Locked(core::TimePoint until, core::TimePoint now) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(until - now).count();
    http::Response res =
        http::Problem(429, "account-locked", "Too many failed attempts",
                      "the account is locked for a while after repeated failures; try again later");
    res.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, seconds)));
    return res;
}

// The problem for a failed AccountResult (never for kOk).
http::Response Failed(const AccountResult& r, core::TimePoint now) {
    switch (r.status) {
        case AccountStatus::kWrongPassword:
            return http::Problem(403, "wrong-password", "Wrong password", "the password is wrong");
        case AccountStatus::kLocked:
            return Locked(r.locked_until, now);
        case AccountStatus::kWeakPassword:
            return http::Problem(400, "weak-password", "Password refused", r.detail);
        case AccountStatus::kTotpRequired:
            return http::Problem(403, "totp-required", "Second factor required",
                                 "send the 6-digit code of your authenticator app as \"totp\"");
        case AccountStatus::kTotpInvalid:
            return http::Problem(403, "totp-invalid", "Wrong second factor",
                                 "the authenticator code is wrong or used");
        case AccountStatus::kInvalidToken:
            return http::Problem(400, "invalid-reset-token", "Invalid reset code",
                                 "the reset code is unknown, used or expired: ask for a new one");
        case AccountStatus::kOk:
        case AccountStatus::kError:
            break;
    }
    return Internal();
}

asio::awaitable<void> ChangePassword(Service& s, Ctx& ctx, http::Response& res) {
    if (auto problem = NeedSession(ctx)) {
        res = std::move(*problem);
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"current_password", FieldType::kString, true, false, 1024},
                                      {"new_password", FieldType::kString, true, false, 1024}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const auto& body = std::get<0>(parsed);
    std::string current = *GetString(body, "current_password");
    std::string next = *GetString(body, "new_password");
    const store::User& user = ctx.caller->user;
    const std::string& session_hash = ctx.caller->session->token_hash;
    AccountResult result;
    std::optional<SessionSecrets> rotated;
    Database::Task fn = [&](Conn& c) {
        result = s.account->ChangePassword(c.accounts, user, session_hash, current, next, ctx.ip,
                                           ctx.now);
        if (result.status == AccountStatus::kOk) rotated = RotateSession(c.accounts, session_hash, ctx.now);
    };
    co_await s.Run(fn);
    if (result.status != AccountStatus::kOk) {
        if (s.mailer)
            s.mailer->Notify();  // a failure may have locked the account and queued a mail
        res = Failed(result, ctx.now);
        co_return;
    }
    store::User changed = user;
    changed.must_change_password = false;
    res = Json(200, fmt::format("{{\"user\":{},\"sessions_revoked\":{}}}", UserJson(changed),
                                result.sessions_revoked));
    if (rotated) SetSessionCookies(res, *rotated);
}

asio::awaitable<void> RequestReset(Service& s, Ctx& ctx, http::Response& res) {
    if (auto wait = TooManyRequests(*s.throttle, ctx.ip, ctx.now)) {
        res = std::move(*wait);
        co_return;
    }
    if (auto problem = CrossOrigin(ctx)) {
        res = std::move(*problem);
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"email", FieldType::kString, true, false, 254}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    // Answered before the look-up, the same way whatever the address: neither the answer nor its
    // time says whether an account exists.
    Database::Task task = [&s, email = *GetString(std::get<0>(parsed), "email"), ip = ctx.ip,
                           now = ctx.now](Conn& c) {
        s.account->RequestReset(c.accounts, email, ip, now);
        if (s.mailer) s.mailer->Notify();
    };
    s.db->Post(std::move(task));
    res = Json(202,
               "{\"detail\":\"if an account with this e-mail address exists and may sign in, a "
               "reset code is on its "
               "way to it; it is valid for 30 minutes\"}");
    co_return;
}

asio::awaitable<void> ConfirmReset(Service& s, Ctx& ctx, http::Response& res) {
    if (auto wait = TooManyRequests(*s.throttle, ctx.ip, ctx.now)) {
        res = std::move(*wait);
        co_return;
    }
    if (auto problem = CrossOrigin(ctx)) {
        res = std::move(*problem);
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"token", FieldType::kString, true, false, 128},
                                      {"new_password", FieldType::kString, true, false, 1024}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const auto& body = std::get<0>(parsed);
    std::string token = *GetString(body, "token");
    std::string next = *GetString(body, "new_password");
    AccountResult result;
    Database::Task fn = [&](Conn& c) {
        result = s.account->ConfirmReset(c.accounts, token, next, ctx.ip, ctx.now);
    };
    co_await s.Run(fn);
    if (result.status != AccountStatus::kOk) {
        res = Failed(result, ctx.now);
        co_return;
    }
    res.status = 204;
    res.content_type.clear();
}

asio::awaitable<void> StepUp(Service& s, Ctx& ctx, http::Response& res) {
    if (auto problem = NeedSession(ctx)) {
        res = std::move(*problem);
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"password", FieldType::kString, true, false, 1024},
                                      {"totp", FieldType::kString, false, false, 32}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    const auto& body = std::get<0>(parsed);
    std::string password = *GetString(body, "password");
    std::optional<std::string> totp = GetString(body, "totp");
    const store::User& user = ctx.caller->user;
    const std::string& session_hash = ctx.caller->session->token_hash;
    AccountResult result;
    std::optional<SessionSecrets> rotated;
    Database::Task fn = [&](Conn& c) {
        result = s.account->StepUp(c.accounts, user, session_hash, password, totp, ctx.ip, ctx.now);
        if (result.status == AccountStatus::kOk) rotated = RotateSession(c.accounts, session_hash, ctx.now);
    };
    co_await s.Run(fn);
    if (result.status != AccountStatus::kOk) {
        if (s.mailer)
            s.mailer->Notify();  // a failure may have locked the account and queued a mail
        res = Failed(result, ctx.now);
        co_return;
    }
    res = Json(200, fmt::format("{{\"step_up_until\":\"{}\"}}",
                                core::FormatIso(ctx.now + std::chrono::duration_cast<core::Millis>(
                                                              kStepUpLifetime))));
    if (rotated) SetSessionCookies(res, *rotated);
}

std::string SessionJson(const store::Session& x, const std::string& current_hash) {
    std::string out = "{\"id\":\"" + PublicSessionId(x.token_hash) + "\"";
    out += fmt::format(",\"created_at\":\"{}\",\"last_seen\":\"{}\",\"expires_at\":\"{}\",\"ip\":",
                       core::FormatIso(x.created_at), core::FormatIso(x.last_seen),
                       core::FormatIso(x.expires_at));
    core::AppendJsonString(out, x.ip);
    out += ",\"user_agent\":";
    core::AppendJsonString(out, x.user_agent);
    out += fmt::format(",\"current\":{}}}", x.token_hash == current_hash);
    return out;
}

asio::awaitable<void> ListSessions(Service& s, Ctx& ctx, http::Response& res) {
    if (auto problem = NeedSession(ctx)) {
        res = std::move(*problem);
        co_return;
    }
    auto parsed = ParseListQuery(ctx.query, ListSpec{{"last_seen", "created_at"}, {}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    ListQuery q = std::get<0>(parsed);
    if (q.sort.empty()) {  // the default: most recently used first
        q.sort = "last_seen";
        q.descending = true;
    }
    int64_t user_id = ctx.caller->user.id;
    store::SessionPolicy policy = s.options.session;
    Result<store::SessionPage> page = store::SessionPage{};
    Database::Task fn = [&](Conn& c) {
        page = c.accounts.ListLiveSessions(user_id, ctx.now, policy, q.sort, q.descending, q.limit,
                                           q.offset);
    };
    co_await s.Run(fn);
    if (!page) {
        spdlog::error("sessions: {}", page.error().message);
        res = Internal();
        co_return;
    }
    std::vector<std::string> items;
    for (const auto& x : page->items)
        items.push_back(SessionJson(x, ctx.caller->session->token_hash));
    res = Json(200, PageJson(items, page->total, q));
}

store::AuditEntry SessionAudit(const Ctx& ctx, std::string action, std::string detail) {
    const store::User& u = ctx.caller->user;
    store::AuditEntry e;
    e.at = ctx.now;
    e.tenant_id = u.tenant_id;
    e.actor_user_id = u.id;
    e.actor = fmt::format("user:{}", u.id);
    e.ip = ctx.ip;
    e.action = std::move(action);
    e.target = fmt::format("user:{}", u.id);
    e.detail_json = std::move(detail);
    return e;
}

asio::awaitable<void> RevokeSession(Service& s, Ctx& ctx, http::Response& res) {
    if (auto problem = NeedSession(ctx)) {
        res = std::move(*problem);
        co_return;
    }
    std::string id = ctx.params["id"];
    if (id.size() != 16 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
        res = NotFound("session");
        co_return;
    }
    int64_t user_id = ctx.caller->user.id;
    store::SessionPolicy policy = s.options.session;
    store::AuditEntry audit = SessionAudit(ctx, "session.revoked", "{\"session\":\"" + id + "\"}");
    Result<bool> revoked = false;
    std::string revoked_hash;
    Database::Task fn = [&](Conn& c) {
        // A user has few live sessions; a thousand is far past any real one.
        auto page =
            c.accounts.ListLiveSessions(user_id, ctx.now, policy, "created_at", false, 1000, 0);
        if (!page) {
            revoked = page.error();
            return;
        }
        for (const auto& x : page->items) {
            if (PublicSessionId(x.token_hash) != id) continue;
            revoked_hash = x.token_hash;
            revoked = c.accounts.RevokeUserSession(user_id, x.token_hash, ctx.now, audit);
            return;
        }
    };
    co_await s.Run(fn);
    if (!revoked) {
        spdlog::error("sessions: {}", revoked.error().message);
        res = Internal();
        co_return;
    }
    if (!*revoked) {
        res = NotFound("session");
        co_return;
    }
    res.status = 204;
    res.content_type.clear();
    if (revoked_hash == ctx.caller->session->token_hash) {  // signed itself out
        res.headers.emplace_back("Set-Cookie", SetCookie(kSessionCookie, "", true, true));
        res.headers.emplace_back("Set-Cookie", SetCookie(kCsrfCookie, "", false, true));
    }
}

asio::awaitable<void> RevokeOtherSessions(Service& s, Ctx& ctx, http::Response& res) {
    if (auto problem = NeedSession(ctx)) {
        res = std::move(*problem);
        co_return;
    }
    int64_t user_id = ctx.caller->user.id;
    std::optional<std::string> keep = ctx.caller->session->token_hash;
    store::AuditEntry audit = SessionAudit(ctx, "session.revoked_others", "{}");
    Result<int64_t> revoked = int64_t{0};
    Database::Task fn = [&](Conn& c) {
        revoked = c.accounts.RevokeUserSessions(user_id, keep, ctx.now, audit);
    };
    co_await s.Run(fn);
    if (!revoked) {
        spdlog::error("sessions: {}", revoked.error().message);
        res = Internal();
        co_return;
    }
    res = Json(200, fmt::format("{{\"sessions_revoked\":{}}}", *revoked));
}

}  // namespace

void AddAccountRoutes(Service& s) {
    s.router.Add({"POST", "/api/v1/me/password", Access::kSignedIn, std::nullopt, true,
                  [&s](Ctx& ctx, http::Response& res) { return ChangePassword(s, ctx, res); }});
    s.router.Add({"POST", "/api/v1/auth/password-reset", Access::kPublic, std::nullopt, true,
                  [&s](Ctx& ctx, http::Response& res) { return RequestReset(s, ctx, res); }});
    s.router.Add({"POST", "/api/v1/auth/password-reset/confirm", Access::kPublic, std::nullopt,
                  true, [&s](Ctx& ctx, http::Response& res) { return ConfirmReset(s, ctx, res); }});
    s.router.Add({"POST", "/api/v1/auth/step-up", Access::kSignedIn, std::nullopt, false,
                  [&s](Ctx& ctx, http::Response& res) { return StepUp(s, ctx, res); }});
    s.router.Add({"GET", "/api/v1/me/sessions", Access::kSignedIn, std::nullopt, false,
                  [&s](Ctx& ctx, http::Response& res) { return ListSessions(s, ctx, res); }});
    s.router.Add(
        {"DELETE", "/api/v1/me/sessions", Access::kSignedIn, std::nullopt, false,
         [&s](Ctx& ctx, http::Response& res) { return RevokeOtherSessions(s, ctx, res); }});
    s.router.Add({"DELETE", "/api/v1/me/sessions/{id}", Access::kSignedIn, std::nullopt, false,
                  [&s](Ctx& ctx, http::Response& res) { return RevokeSession(s, ctx, res); }});
}

}  // namespace fleet::api::detail
