// Sign-in, sign-out and the caller: POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/me.
#include <spdlog/spdlog.h>

#include "api/detail/service.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

asio::awaitable<void> Login(Service& s, Ctx& ctx, http::Response& res) {
    if (auto wait = TooManyRequests(*s.throttle, ctx.ip, ctx.now)) {
        res = std::move(*wait);
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"email", FieldType::kString, true, false, 254},
                                      {"password", FieldType::kString, true, false, 1024},
                                      {"totp", FieldType::kString, false, false, 32}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    auto& body = std::get<0>(parsed);
    std::string_view origin = ctx.req.Header("Origin");
    if (!origin.empty() && !SameOrigin(origin, ctx.req.Header("Host"))) {
        res = http::Problem(403, "csrf", "Cross-site request refused", "the Origin is not this site");
        co_return;
    }
    LoginInput in;
    in.email = *GetString(body, "email");
    in.password = *GetString(body, "password");
    in.totp = GetString(body, "totp");
    in.ip = ctx.ip;
    in.user_agent = std::string(ctx.req.Header("User-Agent"));
    core::TimePoint now = ctx.now;
    LoginResult result;
    Database::Task fn = [&](Conn& c) { result = s.sign_in->Login(c.accounts, in, now); };
    co_await s.Run(fn);
    switch (result.status) {
        case LoginStatus::kOk:
            res = Json(200, "{\"user\":" + UserJson(result.user) + ",\"csrf_token\":\"" + result.csrf_token + "\"}");
            SetSessionCookies(res, {result.session_token, result.csrf_token});
            break;
        case LoginStatus::kInvalidCredentials:
            res = http::Problem(401, "invalid-credentials", "Invalid credentials",
                                "the e-mail address or the password is wrong");
            break;
        case LoginStatus::kLocked: {
            auto seconds = std::chrono::duration_cast<std::chrono::seconds>(result.locked_until - now).count();
            res = http::Problem(429, "account-locked", "Too many failed sign-ins",
                                "sign-in is locked for a while after repeated failures; try again later");
            res.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, seconds)));
            break;
        }
        case LoginStatus::kTotpRequired:
            res = http::Problem(401, "totp-required", "Second factor required",
                                "send the 6-digit code of your authenticator app as \"totp\"");
            break;
        case LoginStatus::kTotpInvalid:
            res = http::Problem(401, "totp-invalid", "Wrong second factor", "the authenticator code is wrong or used");
            break;
        case LoginStatus::kTenantSuspended:
            res = http::Problem(403, "tenant-suspended", "Organisation suspended",
                                "your organisation's access is suspended; contact your provider");
            break;
        case LoginStatus::kDisabled:
            res = http::Problem(403, "account-disabled", "Account disabled", "this account is disabled");
            break;
        case LoginStatus::kError:
            res = Internal();
            break;
    }
}

asio::awaitable<void> Logout(Service& s, Ctx& ctx, http::Response& res) {
    core::TimePoint now = ctx.now;
    Result<void> done;
    const Caller& caller = *ctx.caller;
    if (!caller.session) {
        res = http::Problem(400, "not-a-session", "Not a session", "API tokens are revoked, not signed out");
        co_return;
    }
    store::SessionUser su{*caller.session, caller.user, store::TenantStatus::kActive};
    Database::Task fn = [&](Conn& c) { done = s.sign_in->Logout(c.accounts, su, ctx.ip, now); };
    co_await s.Run(fn);
    if (!done) {
        spdlog::error("sign-out: {}", done.error().message);
        res = Internal();
        co_return;
    }
    res.status = 204;
    res.content_type.clear();
    res.headers.emplace_back("Set-Cookie", SetCookie(kSessionCookie, "", true, true));
    res.headers.emplace_back("Set-Cookie", SetCookie(kCsrfCookie, "", false, true));
}

}  // namespace

void AddAuthRoutes(Service& s) {
    s.router.Add({"POST", "/api/v1/auth/login", Access::kPublic, std::nullopt, true,
                  [&s](Ctx& ctx, http::Response& res) { return Login(s, ctx, res); }});
    s.router.Add({"POST", "/api/v1/auth/logout", Access::kSignedIn, std::nullopt, true,
                  [&s](Ctx& ctx, http::Response& res) { return Logout(s, ctx, res); }});
    s.router.Add({"GET", "/api/v1/me", Access::kSignedIn, std::nullopt, true,
                  [](Ctx& ctx, http::Response& res) -> asio::awaitable<void> {
                      res = Json(200, UserJson(ctx.caller->user));
                      co_return;
                  }});
}

}  // namespace fleet::api::detail
