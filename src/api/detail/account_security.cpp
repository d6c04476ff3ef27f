#include "api/detail/account_security.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json.hpp"
#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

std::string Reason(std::string_view reason) {
    std::string d = "{\"reason\":";
    core::AppendJsonString(d, reason);
    d += "}";
    return d;
}

store::AuditEntry UserEntry(const store::User& u, core::TimePoint now, const std::string& ip,
                            std::string action, std::string detail = "{}") {
    store::AuditEntry e;
    e.at = now;
    e.tenant_id = u.tenant_id;
    e.actor_user_id = u.id;
    e.actor = fmt::format("user:{}", u.id);
    e.ip = ip;
    e.action = std::move(action);
    e.target = fmt::format("user:{}", u.id);
    e.detail_json = std::move(detail);
    return e;
}

void Audit(store::AccountStore& store, const store::AuditEntry& e) {
    if (auto r = store.Audit(e); !r) spdlog::error("audit {}: {}", e.action, r.error().message);
}

// "2026-03-01 08:00 UTC": readable in a mail.
std::string MailTime(core::TimePoint t) {
    std::string iso = core::FormatIso(t);  // 2026-03-01T08:00:00.000Z or similar
    return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

AccountResult Status(AccountStatus s, std::string detail = {}) {
    AccountResult r;
    r.status = s;
    r.detail = std::move(detail);
    return r;
}

}  // namespace

store::OutgoingMail LockoutMail(const store::User& user, int64_t failures, const std::string& ip,
                                core::TimePoint now, core::TimePoint until) {
    store::OutgoingMail m;
    m.created_at = now;
    m.kind = "lockout";
    m.recipient = user.email;
    m.subject = "Your fleetd account was locked";
    m.body = fmt::format(
        "Hello,\n\n"
        "your fleetd account {} was locked at {} after {} failed attempts to use its password;\n"
        "the last one came from the address {}. It unlocks by itself at {}.\n\n"
        "If it was you: wait until then, or choose a new password with \"Forgot your password?\"\n"
        "(POST /api/v1/auth/password-reset).\n\n"
        "If it was not you: someone may be trying to guess your password. Choose a new password\n"
        "as above and tell your administrator.\n\n"
        "-- fleetd (this e-mail is automatic; replies are not read)\n",
        user.email, MailTime(now), failures, ip, MailTime(until));
    return m;
}

store::OutgoingMail ResetMail(const store::User& user, const std::string& token,
                              const std::string& ip, core::TimePoint now) {
    store::OutgoingMail m;
    m.created_at = now;
    m.kind = "password-reset";
    m.recipient = user.email;
    m.subject = "Reset your fleetd password";
    m.body = fmt::format(
        "Hello,\n\n"
        "someone, hopefully you, asked at {} from the address {} to reset the password\n"
        "of the fleetd account {}.\n\n"
        "Your reset code, valid for {} minutes and usable once:\n\n"
        "    {}\n\n"
        "Enter it with your new password on the password-reset page, or send both to\n"
        "POST /api/v1/auth/password-reset/confirm as {{\"token\": ..., \"new_password\": ...}}.\n"
        "Setting the new password signs out every session of the account.\n\n"
        "If you did not ask for this, ignore this e-mail: your password stays as it is.\n\n"
        "-- fleetd (this e-mail is automatic; replies are not read)\n",
        MailTime(now), ip, user.email, kResetTokenLifetime.count(), token);
    return m;
}

void EnqueueLockoutMail(store::AccountStore& store, const store::User& user, int64_t failures,
                        const std::string& ip, core::TimePoint now, core::TimePoint until) {
    if (auto r = store.EnqueueMail(LockoutMail(user, failures, ip, now, until)); !r) {
        spdlog::error("lockout mail to user {}: {}", user.id, r.error().message);
    }
}

AccountResult AccountSecurity::Failure(store::AccountStore& store, const store::User& user,
                                       AccountStatus status, std::string action,
                                       std::string_view reason, const std::string& ip,
                                       core::TimePoint now) {
    auto locked = store.NoteLoginFailure(user.id, now, settings_.lockout);
    if (!locked) {
        spdlog::error("account: {}", locked.error().message);
        return Status(AccountStatus::kError);
    }
    Audit(store, UserEntry(user, now, ip, std::move(action), Reason(reason)));
    if (locked->has_value()) {
        Audit(store, UserEntry(user, now, ip, "auth.locked",
                               fmt::format("{{\"until\":\"{}\"}}", core::FormatIso(**locked))));
        EnqueueLockoutMail(store, user, settings_.lockout.max_failures, ip, now, **locked);
    }
    return Status(status);
}

std::optional<std::string> AccountSecurity::PolicyProblem(const std::string& password,
                                                          const store::User& user) const {
    static const auth::CommonPasswords kNone = auth::CommonPasswords::FromList({});
    auto r = auth::CheckNewPassword(password, user.email, user.tenant, common_ ? *common_ : kNone);
    if (!r) return r.error().message;
    return std::nullopt;
}

AccountResult AccountSecurity::ChangePassword(store::AccountStore& store, const store::User& user,
                                              const std::string& session_hash,
                                              const std::string& current, const std::string& next,
                                              const std::string& ip, core::TimePoint now) {
    auto found = store.FindCredentialsById(user.id);
    if (!found || !found->has_value()) {
        spdlog::error("password change: {}", found ? "user vanished" : found.error().message);
        return Status(AccountStatus::kError);
    }
    const store::Credentials& c = **found;
    if (c.locked_until > now) {
        AccountResult r = Status(AccountStatus::kLocked);
        r.locked_until = c.locked_until;
        return r;
    }
    if (!auth::VerifyPassword(c.password_hash, current)) {
        return Failure(store, c.user, AccountStatus::kWrongPassword, "user.password_change_failed",
                       "password", ip, now);
    }
    if (next == current)
        return Status(AccountStatus::kWeakPassword,
                      "the new password must differ from the current one");
    if (auto problem = PolicyProblem(next, c.user))
        return Status(AccountStatus::kWeakPassword, *problem);
    auto hash = auth::HashPassword(next, settings_.hash_cost);
    if (!hash) {
        spdlog::error("password change: {}", hash.error().message);
        return Status(AccountStatus::kError);
    }
    auto revoked = store.SetPassword(c.user.id, *hash, session_hash, now,
                                     UserEntry(c.user, now, ip, "user.password_changed"));
    if (!revoked) {
        spdlog::error("password change: {}", revoked.error().message);
        return Status(AccountStatus::kError);
    }
    AccountResult r = Status(AccountStatus::kOk);
    r.sessions_revoked = *revoked;
    return r;
}

void AccountSecurity::RequestReset(store::AccountStore& store, const std::string& email,
                                   const std::string& ip, core::TimePoint now) {
    auto found = store.FindCredentials(email);
    if (!found) {
        spdlog::error("password reset: {}", found.error().message);
        return;
    }
    auto anonymous = [&](std::string target, std::string_view reason) {
        store::AuditEntry e;
        e.at = now;
        e.actor = "anonymous";
        e.ip = ip;
        e.action = "auth.password_reset_refused";
        e.target = std::move(target);
        e.detail_json = Reason(reason);
        return e;
    };
    if (!found->has_value()) {
        auto normal = store::NormaliseEmail(email);
        Audit(store, anonymous(normal ? *normal : email.substr(0, 254), "unknown e-mail"));
        return;
    }
    const store::Credentials& c = **found;
    if (c.user.disabled || c.tenant_status != store::TenantStatus::kActive) {
        store::AuditEntry e = anonymous(fmt::format("user:{}", c.user.id),
                                        c.user.disabled ? "disabled" : "tenant suspended");
        e.tenant_id = c.user.tenant_id;
        Audit(store, e);
        return;
    }
    std::string token = auth::RandomToken(32);
    store::AuditEntry e = UserEntry(c.user, now, ip, "auth.password_reset_requested");
    e.actor = "anonymous";  // whoever asked has not proved to be the user
    e.actor_user_id.reset();
    auto added =
        store.AddPasswordReset(c.user.id, auth::HashToken(token), now, now + kResetTokenLifetime,
                               kMaxLiveResetTokens, ResetMail(c.user, token, ip, now), e);
    if (!added) {
        spdlog::error("password reset: {}", added.error().message);
    } else if (!*added) {
        store::AuditEntry refused =
            anonymous(fmt::format("user:{}", c.user.id), "too many live reset tokens");
        refused.tenant_id = c.user.tenant_id;
        Audit(store, refused);
    }
}

AccountResult AccountSecurity::ConfirmReset(store::AccountStore& store, const std::string& token,
                                            const std::string& next, const std::string& ip,
                                            core::TimePoint now) {
    std::string token_hash = auth::HashToken(token);
    auto found = store.FindPasswordReset(token_hash, now);
    if (!found) {
        spdlog::error("password reset: {}", found.error().message);
        return Status(AccountStatus::kError);
    }
    if (!found->has_value()) return Status(AccountStatus::kInvalidToken);
    const store::Credentials& c = **found;
    if (c.user.disabled || c.tenant_status != store::TenantStatus::kActive)
        return Status(AccountStatus::kInvalidToken);
    if (auto problem = PolicyProblem(next, c.user))
        return Status(AccountStatus::kWeakPassword, *problem);
    auto hash = auth::HashPassword(next, settings_.hash_cost);
    if (!hash) {
        spdlog::error("password reset: {}", hash.error().message);
        return Status(AccountStatus::kError);
    }
    store::AuditEntry e = UserEntry(c.user, now, ip, "user.password_reset");
    auto used = store.UsePasswordReset(token_hash, *hash, now, e);
    if (!used) {
        spdlog::error("password reset: {}", used.error().message);
        return Status(AccountStatus::kError);
    }
    if (!used->has_value()) return Status(AccountStatus::kInvalidToken);  // used meanwhile
    return Status(AccountStatus::kOk);
}

AccountResult AccountSecurity::StepUp(store::AccountStore& store, const store::User& user,
                                      const std::string& session_hash, const std::string& password,
                                      const std::optional<std::string>& totp, const std::string& ip,
                                      core::TimePoint now) {
    auto found = store.FindCredentialsById(user.id);
    if (!found || !found->has_value()) {
        spdlog::error("step-up: {}", found ? "user vanished" : found.error().message);
        return Status(AccountStatus::kError);
    }
    const store::Credentials& c = **found;
    if (c.locked_until > now) {
        AccountResult r = Status(AccountStatus::kLocked);
        r.locked_until = c.locked_until;
        return r;
    }
    if (!auth::VerifyPassword(c.password_hash, password)) {
        return Failure(store, c.user, AccountStatus::kWrongPassword, "auth.step_up_failed",
                       "password", ip, now);
    }
    std::optional<int64_t> step;
    if (c.totp_secret_sealed) {
        if (!totp || totp->empty()) return Status(AccountStatus::kTotpRequired);
        if (!box_) {
            spdlog::error("step-up: no secret box to open the TOTP secret of user {}", c.user.id);
            return Status(AccountStatus::kError);
        }
        auto secret = box_->Open(*c.totp_secret_sealed);
        if (!secret) {
            spdlog::error("step-up: TOTP secret of user {}: {}", c.user.id, secret.error().message);
            return Status(AccountStatus::kError);
        }
        std::vector<uint8_t> key(secret->begin(), secret->end());
        step = auth::VerifyTotp(key, *totp, now, c.totp_last_step);
        if (!step)
            return Failure(store, c.user, AccountStatus::kTotpInvalid, "auth.step_up_failed",
                           "totp", ip, now);
    }
    auto r = store.NoteStepUp(
        session_hash, c.user.id, step, now,
        UserEntry(c.user, now, ip, "auth.step_up", step ? "{\"totp\":true}" : "{\"totp\":false}"));
    if (!r) {
        spdlog::error("step-up: {}", r.error().message);
        return Status(AccountStatus::kError);
    }
    return Status(AccountStatus::kOk);
}

}  // namespace fleet::api::detail
