#include "api/detail/sign_in.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/detail/account_security.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

constexpr size_t kMaxUnknownTracked = 10000;

std::string Detail(std::string_view reason) {
    std::string d = "{\"reason\":";
    core::AppendJsonString(d, reason);
    d += "}";
    return d;
}

store::AuditEntry Entry(core::TimePoint now, const std::string& ip, std::string action, std::string target,
                        std::string detail = "{}") {
    store::AuditEntry e;
    e.at = now;
    e.actor = "anonymous";
    e.ip = ip;
    e.action = std::move(action);
    e.target = std::move(target);
    e.detail_json = std::move(detail);
    return e;
}

store::AuditEntry UserEntry(const store::User& u, core::TimePoint now, const std::string& ip, std::string action,
                            std::string detail = "{}") {
    store::AuditEntry e = Entry(now, ip, std::move(action), fmt::format("user:{}", u.id), std::move(detail));
    e.tenant_id = u.tenant_id;
    e.actor_user_id = u.id;
    e.actor = fmt::format("user:{}", u.id);
    return e;
}

}  // namespace

Result<std::unique_ptr<SignIn>> SignIn::Make(const SignInSettings& settings, const auth::SecretBox* box) {
    auto dummy = auth::HashPassword(auth::RandomToken(16), settings.hash_cost);
    if (!dummy) return dummy.error();
    return std::unique_ptr<SignIn>(new SignIn(settings, box, std::move(*dummy)));
}

void SignIn::Audit(store::AccountStore& store, const store::AuditEntry& entry) {
    if (auto r = store.Audit(entry); !r) spdlog::error("audit {}: {}", entry.action, r.error().message);
}

std::optional<core::TimePoint> SignIn::UnknownLockedUntil(const std::string& email, core::TimePoint now) {
    std::lock_guard lock(mu_);
    auto it = unknown_.find(email);
    if (it == unknown_.end() || it->second.locked_until <= now) return std::nullopt;
    return it->second.locked_until;
}

std::optional<core::TimePoint> SignIn::NoteUnknownFailure(const std::string& email, core::TimePoint now) {
    std::lock_guard lock(mu_);
    if (unknown_.size() >= kMaxUnknownTracked && !unknown_.count(email)) unknown_.clear();
    auto& u = unknown_[email];
    if (++u.failures < settings_.lockout.max_failures) return std::nullopt;
    u.failures = 0;
    u.locked_until = now + std::chrono::duration_cast<core::Millis>(settings_.lockout.duration);
    return u.locked_until;
}

bool SignIn::IsRecoveryCode(std::string_view code) {
    return code.size() == 11 && code[5] == '-';
}

Result<bool> SignIn::UseRecoveryCode(store::AccountStore& store, int64_t user_id, const std::string& code,
                                     core::TimePoint now) {
    auto hashes = store.UnusedRecoveryCodes(user_id);
    if (!hashes) {
        spdlog::error("sign-in: {}", hashes.error().message);
        return hashes.error();
    }
    for (const auto& h : *hashes) {
        if (auth::VerifyPassword(h, code)) return store.UseRecoveryCode(user_id, h, now);
    }
    return false;
}

LoginResult SignIn::Login(store::AccountStore& store, const LoginInput& in, core::TimePoint now) {
    LoginResult result;
    auto found = store.FindCredentials(in.email);
    if (!found) {
        spdlog::error("sign-in: {}", found.error().message);
        return result;
    }
    std::string email = store::NormaliseEmail(in.email).ok() ? *store::NormaliseEmail(in.email) : in.email.substr(0, 254);

    if (!found->has_value()) {
        // Same work and same answers as for an account: verify a hash, count, lock.
        (void)auth::VerifyPassword(dummy_hash_, in.password);
        if (auto until = UnknownLockedUntil(email, now)) {
            result.status = LoginStatus::kLocked;
            result.locked_until = *until;
            Audit(store, Entry(now, in.ip, "auth.login_refused", email, Detail("locked")));
            return result;
        }
        NoteUnknownFailure(email, now);
        Audit(store, Entry(now, in.ip, "auth.login_failed", email, Detail("unknown e-mail")));
        result.status = LoginStatus::kInvalidCredentials;
        return result;
    }

    store::Credentials& c = **found;
    if (c.locked_until > now) {
        (void)auth::VerifyPassword(dummy_hash_, in.password);
        result.status = LoginStatus::kLocked;
        result.locked_until = c.locked_until;
        Audit(store, UserEntry(c.user, now, in.ip, "auth.login_refused", Detail("locked")));
        return result;
    }

    auto fail = [&](LoginStatus status, std::string_view reason) {
        auto locked = store.NoteLoginFailure(c.user.id, now, settings_.lockout);
        if (!locked) spdlog::error("sign-in: {}", locked.error().message);
        Audit(store, UserEntry(c.user, now, in.ip, "auth.login_failed", Detail(reason)));
        if (locked && locked->has_value()) {
            Audit(store, UserEntry(c.user, now, in.ip, "auth.locked",
                                   fmt::format("{{\"until\":\"{}\"}}", core::FormatIso(**locked))));
            EnqueueLockoutMail(store, c.user, settings_.lockout.max_failures, in.ip, now, **locked);
        }
        result.status = status;
        return result;
    };

    if (!auth::VerifyPassword(c.password_hash, in.password)) return fail(LoginStatus::kInvalidCredentials, "password");

    // The password is right: from here the caller may learn about the account's state.
    if (c.user.disabled) {
        Audit(store, UserEntry(c.user, now, in.ip, "auth.login_refused", Detail("disabled")));
        result.status = LoginStatus::kDisabled;
        return result;
    }
    if (c.tenant_status != store::TenantStatus::kActive) {
        Audit(store, UserEntry(c.user, now, in.ip, "auth.login_refused", Detail("tenant suspended")));
        result.status = LoginStatus::kTenantSuspended;
        return result;
    }
    std::optional<int64_t> totp_step;
    bool recovery_code = false;
    if (c.totp_secret_sealed) {
        if (!in.totp || in.totp->empty()) {
            result.status = LoginStatus::kTotpRequired;
            return result;
        }
        if (!box_) {
            spdlog::error("sign-in: no secret box to open the TOTP secret of user {}", c.user.id);
            return result;
        }
        auto secret = box_->Open(*c.totp_secret_sealed);
        if (!secret) {
            spdlog::error("sign-in: TOTP secret of user {}: {}", c.user.id, secret.error().message);
            return result;
        }
        if (IsRecoveryCode(*in.totp)) {
            auto used = UseRecoveryCode(store, c.user.id, *in.totp, now);
            if (!used) return result;
            if (!*used) return fail(LoginStatus::kTotpInvalid, "recovery code");
            recovery_code = true;
        } else {
            std::vector<uint8_t> key(secret->begin(), secret->end());
            totp_step = auth::VerifyTotp(key, *in.totp, now, c.totp_last_step);
            if (!totp_step) return fail(LoginStatus::kTotpInvalid, "totp");
        }
    }

    std::optional<std::string> rehash;
    if (auth::NeedsRehash(c.password_hash, settings_.hash_cost)) {
        auto h = auth::HashPassword(in.password, settings_.hash_cost);
        if (h) rehash = std::move(*h);
    }
    if (auto r = store.NoteLoginSuccess(c.user.id, totp_step, rehash); !r) {
        spdlog::error("sign-in: {}", r.error().message);
        return result;
    }
    store::Session s;
    result.session_token = auth::RandomToken(32);
    result.csrf_token = auth::RandomToken(32);
    s.token_hash = auth::HashToken(result.session_token);
    s.csrf_hash = auth::HashToken(result.csrf_token);
    s.user_id = c.user.id;
    s.created_at = s.last_seen = now;
    s.expires_at = now + std::chrono::duration_cast<core::Millis>(settings_.session.absolute);
    s.ip = in.ip;
    s.user_agent = in.user_agent.substr(0, 512);
    s.step_up_at = now;  // the password (and code) were just checked: counts as a step-up
    if (auto r = store.CreateSession(s); !r) {
        spdlog::error("sign-in: {}", r.error().message);
        return result;
    }
    Audit(store, UserEntry(c.user, now, in.ip, "auth.login",
                           recovery_code ? "{\"totp\":true,\"recovery_code\":true}"
                                         : (totp_step ? "{\"totp\":true}" : "{\"totp\":false}")));
    result.status = LoginStatus::kOk;
    result.user = c.user;
    return result;
}

Result<std::optional<store::SessionUser>> SignIn::Authenticate(store::AccountStore& store, const std::string& token,
                                                               core::TimePoint now) {
    if (token.empty() || token.size() > 128) return std::optional<store::SessionUser>();
    return store.TouchSession(auth::HashToken(token), now, settings_.session);
}

Result<void> SignIn::Logout(store::AccountStore& store, const store::SessionUser& su, const std::string& ip,
                            core::TimePoint now) {
    auto r = store.RevokeSession(su.session.token_hash, now);
    if (!r) return r.error();
    Audit(store, UserEntry(su.user, now, ip, "auth.logout"));
    return {};
}

bool SignIn::CsrfMatches(const store::Session& session, std::string_view csrf_token) {
    return !csrf_token.empty() && auth::ConstantTimeEquals(auth::HashToken(csrf_token), session.csrf_hash);
}

}  // namespace fleet::api::detail
