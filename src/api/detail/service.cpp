#include "api/detail/service.hpp"
#include "api/detail/step_up.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/detail/tokens.hpp"
#include "auth/auth.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {

namespace asio = boost::asio;

core::TimePoint Service::Now() const {
    if (options.clock) return options.clock();
    return std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now());
}

std::string IpOf(const std::string& remote) {
    auto colon = remote.rfind(':');
    return colon == std::string::npos ? remote : remote.substr(0, colon);
}

std::string UserJson(const store::User& u) {
    std::string out = fmt::format("{{\"id\":{},\"email\":", u.id);
    core::AppendJsonString(out, u.email);
    out += fmt::format(",\"role\":\"{}\",\"tenant\":", store::ToString(u.role));
    core::AppendJsonString(out, u.tenant);
    out += fmt::format(",\"must_change_password\":{},\"totp_enabled\":{},\"disabled\":{}", u.must_change_password,
                       u.totp_enabled, u.disabled);
    if (!u.tenant_time_zone.empty()) {
        out += ",\"time_zone\":";
        core::AppendJsonString(out, u.tenant_time_zone);
    }
    out += "}";
    return out;
}

std::string SetCookie(std::string_view name, std::string_view value, bool http_only, bool clear) {
    return fmt::format("{}={}; Path=/; Secure;{} SameSite=Strict{}", name, value, http_only ? " HttpOnly;" : "",
                       clear ? "; Max-Age=0" : "");
}

void SetSessionCookies(http::Response& res, const SessionSecrets& secrets) {
    res.headers.emplace_back("Set-Cookie", SetCookie(kSessionCookie, secrets.token, true, false));
    res.headers.emplace_back("Set-Cookie", SetCookie(kCsrfCookie, secrets.csrf, false, false));
}

std::optional<SessionSecrets> RotateSession(store::AccountStore& accounts, const std::string& token_hash,
                                            core::TimePoint now) {
    SessionSecrets fresh{auth::RandomToken(32), auth::RandomToken(32)};
    auto r = accounts.RotateSession(token_hash, auth::HashToken(fresh.token), auth::HashToken(fresh.csrf), now);
    if (!r) {
        spdlog::error("rotate session: {}", r.error().message);
        return std::nullopt;
    }
    if (!*r) return std::nullopt;
    return fresh;
}

http::Response Unauthenticated() {
    return http::Problem(401, "unauthenticated", "Not signed in", "sign in first (POST /api/v1/auth/login)");
}

http::Response InvalidToken() {
    auto res = http::Problem(401, "invalid-token", "Invalid API token",
                             "the token is malformed, unknown, expired or revoked, or its account cannot sign in");
    res.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    return res;
}

std::string JsonTime(std::optional<core::TimePoint> t) {
    return t ? "\"" + core::FormatIso(*t) + "\"" : "null";
}

namespace {

// For a state-changing request made with the session cookie: the CSRF problem, if any.
std::optional<http::Response> CheckCsrf(const http::Request& req, const store::Session& session) {
    std::string_view origin = req.Header("Origin");
    if (!origin.empty() && !SameOrigin(origin, req.Header("Host"))) {
        return http::Problem(403, "csrf", "Cross-site request refused", "the Origin is not this site");
    }
    std::string_view header = req.Header(kCsrfHeader);
    std::string_view cookie = CookieValue(req.Header("Cookie"), kCsrfCookie);
    if (header.empty() || header != cookie || !SignIn::CsrfMatches(session, header)) {
        return http::Problem(403, "csrf", "Cross-site request refused",
                             "send the CSRF token of the sign-in in the X-CSRF-Token header");
    }
    return std::nullopt;
}

bool Changes(std::string_view method) { return method != "GET" && method != "HEAD"; }

// Users who must use a second factor before they may do anything else: administrators, and
// everyone in a tenant that requires it.
bool TotpMandatory(const store::User& u) {
    return u.role == store::Role::kOperatorAdmin || u.role == store::Role::kTenantAdmin || u.tenant_requires_totp;
}

}  // namespace

asio::awaitable<std::optional<http::Response>> Service::Authenticate(const http::Request& req, core::TimePoint now,
                                                                    Caller& caller) {
    std::optional<http::Response> problem;
    std::string_view authorization = req.Header("Authorization");
    if (!authorization.empty()) {
        auto token = BearerToken(authorization);
        if (!token) {
            problem = InvalidToken();
            co_return problem;
        }
        std::string hash = auth::HashToken(*token);
        Result<std::optional<store::TokenUser>> found = std::optional<store::TokenUser>();
        Database::Task fn = [&](Conn& c) { found = c.accounts.UseApiToken(hash, now); };
        co_await Run(fn);
        if (!found) {
            spdlog::error("api: token check: {}", found.error().message);
            problem = Internal();
            co_return problem;
        }
        // Disabling a user or suspending a tenant revokes its tokens; checked here as well.
        const auto& tu = *found;
        if (!tu || tu->user.disabled || tu->tenant.status != store::TenantStatus::kActive) {
            problem = InvalidToken();
            co_return problem;
        }
        caller.user = tu->user;
        caller.token_id = tu->token.id;
        caller.token_hash = hash;
        caller.token_scopes = tu->token.scopes;
        co_return problem;
    }
    std::string token(CookieValue(req.Header("Cookie"), kSessionCookie));
    if (token.empty()) {
        problem = Unauthenticated();
        co_return problem;
    }
    Result<std::optional<store::SessionUser>> session = std::optional<store::SessionUser>();
    Database::Task fn = [&](Conn& c) { session = sign_in->Authenticate(c.accounts, token, now); };
    co_await Run(fn);
    if (!session) {
        spdlog::error("api: session check: {}", session.error().message);
        problem = Internal();
    } else if (!*session) {
        problem = Unauthenticated();
    } else {
        caller.user = (*session)->user;
        caller.session = (*session)->session;
    }
    co_return problem;
}

asio::awaitable<std::optional<http::Response>> Service::EnterSupport(const Route& route, Ctx& ctx, Caller& caller) {
    std::string tenant = ctx.query["support_tenant"];
    ctx.query.erase("support_tenant");
    bool reads_vehicle_data = route.permission && (*route.permission == Permission::kFleetRead ||
                                                   *route.permission == Permission::kPositionsRead ||
                                                   *route.permission == Permission::kReportsRead);
    if (!caller.IsOperator() || caller.token_id || ctx.req.method != "GET" || !reads_vehicle_data) {
        co_return Forbidden("support_tenant is for the operator's staff reading a customer's vehicle data "
                            "(GET, signed in with a session) under that customer's support grant");
    }
    std::optional<http::Response> problem;
    store::AuditEntry audit;
    audit.at = ctx.now;
    audit.actor_user_id = caller.user.id;
    audit.actor = fmt::format("user:{}", caller.user.id);
    audit.action = "support.read";
    audit.target = "tenant:" + tenant;
    audit.ip = ctx.ip;
    audit.detail_json = "{\"method\":\"GET\",\"path\":";
    core::AppendJsonString(audit.detail_json, ctx.path.substr(0, 200));
    Database::Task fn = [&](Conn& c) {
        auto scope = c.accounts.OperatorScope(tenant);
        if (!scope) {
            problem = NotFound("tenant");
            return;
        }
        auto grant = c.accounts.ActiveSupportGrant(*scope, ctx.now);
        if (!grant) {
            spdlog::error("api: support grant: {}", grant.error().message);
            problem = Internal();
            return;
        }
        if (!grant->has_value()) {
            problem = http::Problem(403, "support-grant-required", "No support access",
                                    "this customer has not granted support access, or it has ended");
            return;
        }
        audit.tenant_id = scope->tenant_id();  // the customer sees it in its own log
        audit.detail_json += fmt::format(",\"grant_id\":{}}}", (*grant)->id);
        if (auto a = c.accounts.Audit(audit); !a) {
            spdlog::error("api: support read audit: {}", a.error().message);
            problem = Internal();
            return;
        }
        caller.support_scope = *scope;
        caller.support_grant_id = (*grant)->id;
    };
    co_await Run(fn);
    co_return problem;
}

asio::awaitable<void> Service::Dispatch(const http::Request& req, http::Response& res, http::Upgrade* upgrade) {
    auto qmark = req.target.find('?');
    std::string path = req.target.substr(0, qmark);
    auto match = router.Find(req.method, path);
    if (!match.route) {
        if (match.allowed.empty()) {
            res = http::Problem(404, "not-found", "Not found", "no resource at " + path.substr(0, 200));
        } else {
            std::string allow;
            for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
            res = http::Problem(405, "method-not-allowed", "Method not allowed",
                                fmt::format("{} takes {}", path.substr(0, 200), allow));
            res.headers.emplace_back("Allow", allow);
        }
        co_return;
    }
    const Route& route = *match.route;
    auto query = ParseQuery(qmark == std::string::npos ? std::string_view() : std::string_view(req.target).substr(qmark + 1));
    if (!query) {
        res = InvalidQuery("the query string is not well-formed");
        co_return;
    }
    Ctx ctx{req, path, std::move(match.params), std::move(*query), nullptr, IpOf(req.remote), Now(), upgrade};
    Caller caller;
    if (route.access == Access::kSignedIn) {
        auto problem = co_await Authenticate(req, ctx.now, caller);
        if (problem) {
            res = std::move(*problem);
            co_return;
        }
        if (route.session_only && !caller.session) {
            res = http::Problem(403, "session-required", "Session required",
                                "API tokens cannot use this route: sign in with a password (and second factor)");
            co_return;
        }
        if (caller.session && Changes(req.method)) {
            if (auto problem = CheckCsrf(req, *caller.session)) {
                res = std::move(*problem);
                co_return;
            }
        }
        if (!route.allowed_before_setup) {
            if (caller.user.must_change_password) {
                res = http::Problem(403, "password-change-required", "Password change required",
                                    "change your password first (POST /api/v1/me/password)");
                co_return;
            }
            if (TotpMandatory(caller.user) && !caller.user.totp_enabled) {
                res = http::Problem(403, "totp-enrolment-required", "Two-factor authentication required",
                                    "your role requires two-factor authentication: enrol first "
                                    "(POST /api/v1/auth/totp/enroll)");
                co_return;
            }
        }
        if (ctx.query.count("support_tenant")) {
            if (auto problem = co_await EnterSupport(route, ctx, caller)) {
                res = std::move(*problem);
                co_return;
            }
        }
        if (route.permission && !caller.Can(*route.permission)) {
            res = Forbidden(fmt::format("your role{} does not allow {}", caller.token_id ? " or token" : "",
                                        ToString(*route.permission)));
            co_return;
        }
        if (caller.user.role == store::Role::kDriver && route.permission && !route.drivers) {
            res = Forbidden(fmt::format("the driver role reads only its own vehicle and driver record; it does not "
                                        "have {} on this route",
                                        ToString(*route.permission)));
            co_return;
        }
        if (route.step_up && !RecentStepUp(caller, ctx.now)) {
            res = StepUpRequired();
            co_return;
        }
        ctx.caller = &caller;
    }
    co_await route.fn(ctx, res);
}

}  // namespace fleet::api::detail
