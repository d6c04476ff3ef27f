// Two-factor authentication (RFC 6238 TOTP) for the signed-in user:
//   POST /api/v1/auth/totp/enroll          a new secret, pending until confirmed
//   POST /api/v1/auth/totp/confirm         {"code"}: activates it, returns ten recovery codes
//   POST /api/v1/auth/totp/recovery-codes  {"code"}: ten new recovery codes (the old ones stop working)
//   POST /api/v1/auth/totp/disable         {"password","code"}: only where TOTP is not mandatory
// Session only (an API token cannot change how its user signs in). Secrets are sealed with the
// server's SecretBox; recovery codes are stored as argon2id hashes (they are short, so a fast
// hash would be brute-forced from a stolen database).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/detail/service.hpp"
#include "core/json.hpp"

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kIssuer = "fleetd";

bool TotpMandatoryFor(const store::User& u) {
    return u.role == store::Role::kOperatorAdmin || u.role == store::Role::kTenantAdmin || u.tenant_requires_totp;
}

store::AuditEntry UserAudit(const Ctx& ctx, std::string action, std::string detail = "{}") {
    const store::User& u = ctx.caller->user;
    store::AuditEntry e;
    e.at = ctx.now;
    e.tenant_id = u.tenant_id;
    e.actor_user_id = u.id;
    e.actor = fmt::format("user:{}", u.id);
    e.action = std::move(action);
    e.target = fmt::format("user:{}", u.id);
    e.ip = ctx.ip;
    e.detail_json = std::move(detail);
    return e;
}

std::optional<http::Response> SessionOnly(const Ctx& ctx) {
    if (ctx.caller->session) return std::nullopt;
    return http::Problem(403, "session-required", "Session required",
                         "two-factor settings change only from a signed-in session, not with an API token");
}

// An empty body or {} (clients differ in what they send with a POST that takes nothing).
std::optional<http::Response> EmptyBody(const http::Request& req) {
    if (req.body.empty()) return std::nullopt;
    auto parsed = ParseBody(req, {});
    if (auto* problem = std::get_if<http::Response>(&parsed)) return std::move(*problem);
    return std::nullopt;
}

// New recovery codes: the codes to show once, and their hashes to store.
Result<std::pair<std::vector<std::string>, std::vector<std::string>>> NewCodes(const auth::HashCost& cost) {
    auto codes = auth::NewRecoveryCodes(10);
    std::vector<std::string> hashes;
    for (const auto& c : codes) {
        auto h = auth::HashPassword(c, cost);
        if (!h) return h.error();
        hashes.push_back(std::move(*h));
    }
    return std::make_pair(std::move(codes), std::move(hashes));
}

std::string CodesJson(const std::vector<std::string>& codes) {
    std::string out = "{\"recovery_codes\":[";
    for (size_t i = 0; i < codes.size(); ++i) out += fmt::format("{}\"{}\"", i ? "," : "", codes[i]);
    return out + "]}";
}

// The user's active TOTP key, checked against `code`: the matched step, or the problem.
std::variant<int64_t, http::Response> CheckActiveCode(const Service& s, const store::Credentials& c,
                                                      const std::string& code, core::TimePoint now) {
    if (!c.totp_secret_sealed) {
        return http::Problem(409, "totp-not-enabled", "Two-factor authentication is not enabled", "enrol first");
    }
    auto secret = s.box->Open(*c.totp_secret_sealed);
    if (!secret) {
        spdlog::error("totp: secret of user {}: {}", c.user.id, secret.error().message);
        return Internal();
    }
    std::vector<uint8_t> key(secret->begin(), secret->end());
    auto step = auth::VerifyTotp(key, code, now, c.totp_last_step);
    if (!step) return http::Problem(400, "totp-invalid", "Wrong second factor", "the authenticator code is wrong or used");
    return *step;
}

asio::awaitable<void> Enroll(Service& s, Ctx& ctx, http::Response& res) {
    if (auto p = SessionOnly(ctx)) {
        res = std::move(*p);
        co_return;
    }
    if (auto p = EmptyBody(ctx.req)) {
        res = std::move(*p);
        co_return;
    }
    if (ctx.caller->user.totp_enabled) {
        res = http::Problem(409, "totp-already-enabled", "Two-factor authentication is already enabled",
                            "disable it first, or renew the recovery codes");
        co_return;
    }
    std::vector<uint8_t> key = auth::NewTotpKey();
    std::string sealed = s.box->Seal(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    Result<void> done;
    const int64_t user_id = ctx.caller->user.id;
    store::AuditEntry audit = UserAudit(ctx, "totp.enroll");
    Database::Task fn = [&](Conn& c) {
        done = c.accounts.SetPendingTotp(user_id, sealed);
        if (done) {
            if (auto a = c.accounts.Audit(audit); !a) done = a.error();
        }
    };
    co_await s.Run(fn);
    if (!done) {
        spdlog::error("totp enrol: {}", done.error().message);
        res = Internal();
        co_return;
    }
    std::string body = "{\"secret\":";
    core::AppendJsonString(body, auth::Base32(key));
    body += ",\"otpauth_uri\":";
    core::AppendJsonString(body, auth::OtpauthUri(kIssuer, ctx.caller->user.email, key));
    body += "}";
    res = Json(200, std::move(body));
}

asio::awaitable<void> Confirm(Service& s, Ctx& ctx, http::Response& res) {
    if (auto p = SessionOnly(ctx)) {
        res = std::move(*p);
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"code", FieldType::kString, true, false, 16}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    std::string code = *GetString(std::get<0>(parsed), "code");
    const int64_t user_id = ctx.caller->user.id;
    store::AuditEntry audit = UserAudit(ctx, "totp.enabled");
    const auth::HashCost cost = s.options.hash_cost;
    Database::Task fn = [&](Conn& c) {
        auto pending = c.accounts.PendingTotp(user_id);
        if (!pending) {
            spdlog::error("totp confirm: {}", pending.error().message);
            res = Internal();
            return;
        }
        if (!pending->has_value()) {
            res = http::Problem(409, "totp-not-enrolled", "No enrolment to confirm",
                                "start with POST /api/v1/auth/totp/enroll");
            return;
        }
        auto secret = s.box->Open(**pending);
        if (!secret) {
            spdlog::error("totp confirm: pending secret of user {}: {}", user_id, secret.error().message);
            res = Internal();
            return;
        }
        std::vector<uint8_t> key(secret->begin(), secret->end());
        auto step = auth::VerifyTotp(key, code, ctx.now, 0);
        if (!step) {
            res = http::Problem(400, "totp-invalid", "Wrong second factor",
                                "the code does not match the enrolled secret; check the device's clock");
            return;
        }
        auto codes = NewCodes(cost);
        if (!codes) {
            res = Internal();
            return;
        }
        if (auto r = c.accounts.ActivateTotp(user_id, *step, codes->second, audit); !r) {
            spdlog::error("totp confirm: {}", r.error().message);
            res = Internal();
            return;
        }
        res = Json(200, CodesJson(codes->first));
        // The session now passes the enrolment gate: give it new secrets.
        if (auto rotated = RotateSession(c.accounts, ctx.caller->session->token_hash, ctx.now)) {
            SetSessionCookies(res, *rotated);
        }
    };
    co_await s.Run(fn);
}

// Loads the caller's credentials on a database worker and runs `then` with them.
template <typename F>
void WithCredentials(Conn& c, const Ctx& ctx, http::Response& res, F&& then) {
    auto found = c.accounts.FindCredentials(ctx.caller->user.email);
    if (!found || !found->has_value()) {
        if (!found) spdlog::error("totp: {}", found.error().message);
        res = Internal();
        return;
    }
    then(**found);
}

asio::awaitable<void> RecoveryCodes(Service& s, Ctx& ctx, http::Response& res) {
    if (auto p = SessionOnly(ctx)) {
        res = std::move(*p);
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"code", FieldType::kString, true, false, 16}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    std::string code = *GetString(std::get<0>(parsed), "code");
    store::AuditEntry audit = UserAudit(ctx, "totp.recovery_codes_renewed");
    const auth::HashCost cost = s.options.hash_cost;
    Database::Task fn = [&](Conn& c) {
        WithCredentials(c, ctx, res, [&](const store::Credentials& cred) {
            auto step = CheckActiveCode(s, cred, code, ctx.now);
            if (auto* problem = std::get_if<http::Response>(&step)) {
                res = std::move(*problem);
                return;
            }
            auto codes = NewCodes(cost);
            if (!codes) {
                res = Internal();
                return;
            }
            auto noted = c.accounts.NoteLoginSuccess(cred.user.id, std::get<int64_t>(step), std::nullopt);
            auto r = noted ? c.accounts.ReplaceRecoveryCodes(cred.user.id, codes->second, audit) : noted;
            if (!r) {
                spdlog::error("totp recovery codes: {}", r.error().message);
                res = Internal();
                return;
            }
            res = Json(200, CodesJson(codes->first));
        });
    };
    co_await s.Run(fn);
}

asio::awaitable<void> Disable(Service& s, Ctx& ctx, http::Response& res) {
    if (auto p = SessionOnly(ctx)) {
        res = std::move(*p);
        co_return;
    }
    auto parsed = ParseBody(ctx.req, {{"password", FieldType::kString, true, false, 1024},
                                      {"code", FieldType::kString, true, false, 16}});
    if (auto* problem = std::get_if<http::Response>(&parsed)) {
        res = std::move(*problem);
        co_return;
    }
    if (TotpMandatoryFor(ctx.caller->user)) {
        res = http::Problem(403, "totp-mandatory", "Two-factor authentication is mandatory",
                            "your role or organisation requires two-factor authentication");
        co_return;
    }
    std::string password = *GetString(std::get<0>(parsed), "password");
    std::string code = *GetString(std::get<0>(parsed), "code");
    store::AuditEntry audit = UserAudit(ctx, "totp.disabled");
    Database::Task fn = [&](Conn& c) {
        WithCredentials(c, ctx, res, [&](const store::Credentials& cred) {
            if (!auth::VerifyPassword(cred.password_hash, password)) {
                res = http::Problem(400, "invalid-credentials", "Invalid credentials", "the password is wrong");
                return;
            }
            auto step = CheckActiveCode(s, cred, code, ctx.now);
            if (auto* problem = std::get_if<http::Response>(&step)) {
                res = std::move(*problem);
                return;
            }
            if (auto r = c.accounts.DisableTotp(cred.user.id, audit); !r) {
                spdlog::error("totp disable: {}", r.error().message);
                res = Internal();
                return;
            }
            res.status = 204;
            res.content_type.clear();
        });
    };
    co_await s.Run(fn);
}

}  // namespace

void AddTotpRoutes(Service& s) {
    auto add = [&s](std::string pattern, asio::awaitable<void> (*fn)(Service&, Ctx&, http::Response&), bool before) {
        s.router.Add({"POST", std::move(pattern), Access::kSignedIn, std::nullopt, before,
                      [&s, fn](Ctx& ctx, http::Response& res) { return fn(s, ctx, res); }});
    };
    add("/api/v1/auth/totp/enroll", Enroll, true);
    add("/api/v1/auth/totp/confirm", Confirm, true);
    add("/api/v1/auth/totp/recovery-codes", RecoveryCodes, false);
    add("/api/v1/auth/totp/disable", Disable, false);
}

}  // namespace fleet::api::detail
