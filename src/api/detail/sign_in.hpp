// SignIn: the sign-in, session and sign-out rules over an AccountStore, without HTTP: lockout,
// the same answer for an unknown e-mail and a wrong password (a dummy hash is verified so both take
// about the same time), TOTP, suspended tenants, session creation and checks, and their audit.
// Runs on a database worker (blocking: argon2id, SQLite). Thread-safe (the unknown-address
// throttle is behind a mutex); the AccountStore passed in is the calling worker's own.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "auth/auth.hpp"
#include "store/accounts.hpp"

namespace fleet::api::detail {

struct SignInSettings {
    store::LockoutPolicy lockout;
    store::SessionPolicy session;
    auth::HashCost hash_cost;
};

struct LoginInput {
    std::string email;
    std::string password;
    std::optional<std::string> totp;
    std::string ip;
    std::string user_agent;
};

enum class LoginStatus {
    kOk,
    kInvalidCredentials,  // unknown e-mail or wrong password: one answer
    kLocked,              // too many failures; retry_after says until when
    kTotpRequired,        // password right, TOTP code missing
    kTotpInvalid,         // password right, TOTP code wrong or replayed
    kTenantSuspended,     // password right, tenant suspended
    kDisabled,            // password right, account disabled
    kError,               // database or configuration failure (logged)
};

struct LoginResult {
    LoginStatus status = LoginStatus::kError;
    store::User user;
    std::string session_token;  // kOk: the cookie value (stored only hashed)
    std::string csrf_token;     // kOk: the double-submit token (stored only hashed)
    core::TimePoint locked_until{};
};

class SignIn {
public:
    // `box` opens TOTP secrets; it must outlive this object.
    static Result<std::unique_ptr<SignIn>> Make(const SignInSettings& settings, const auth::SecretBox* box);

    LoginResult Login(store::AccountStore& store, const LoginInput& in, core::TimePoint now);
    // The session of `token` and its user, when valid at `now` (and notes its use).
    Result<std::optional<store::SessionUser>> Authenticate(store::AccountStore& store, const std::string& token,
                                                           core::TimePoint now);
    // Revokes the session and audits the sign-out.
    Result<void> Logout(store::AccountStore& store, const store::SessionUser& su, const std::string& ip,
                        core::TimePoint now);
    // True when `csrf_token` is the session's CSRF token (constant time).
    static bool CsrfMatches(const store::Session& session, std::string_view csrf_token);
    // A recovery code ("xxxxx-xxxxx") rather than a 6-digit TOTP code.
    static bool IsRecoveryCode(std::string_view code);

    const SignInSettings& settings() const { return settings_; }

private:
    SignIn(const SignInSettings& settings, const auth::SecretBox* box, std::string dummy_hash)
        : settings_(settings), box_(box), dummy_hash_(std::move(dummy_hash)) {}
    // Failures on e-mails that have no account, so that they lock like real ones (no enumeration).
    std::optional<core::TimePoint> NoteUnknownFailure(const std::string& email, core::TimePoint now);
    std::optional<core::TimePoint> UnknownLockedUntil(const std::string& email, core::TimePoint now);
    void Audit(store::AccountStore& store, const store::AuditEntry& entry);
    // Marks the user's unused recovery code matching `code` used; false when none matches.
    Result<bool> UseRecoveryCode(store::AccountStore& store, int64_t user_id, const std::string& code,
                                 core::TimePoint now);

    SignInSettings settings_;
    const auth::SecretBox* box_;
    std::string dummy_hash_;
    struct Unknown {
        int64_t failures = 0;
        core::TimePoint locked_until{};
    };
    std::mutex mu_;
    std::map<std::string, Unknown> unknown_;
};

}  // namespace fleet::api::detail
