// AccountSecurity: the rules of the account-security routes without HTTP — password change,
// password reset by e-mail, step-up re-authentication — and the e-mails they and the lockout send
// (queued in the store's outbox; the Mailer delivers them). Runs on a database worker (blocking:
// argon2id, SQLite); the AccountStore passed in is the calling worker's own. Thread-safe (no
// mutable state). See docs/api.md (Passwords, Password reset, Step-up).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "auth/auth.hpp"
#include "store/accounts.hpp"

namespace fleet::api::detail {

// A reset token is valid this long and works once. A constant rather than a setting: shorter is
// safer, and 30 minutes leaves time for a slow mail.
inline constexpr std::chrono::minutes kResetTokenLifetime{30};
// At most this many unused, unexpired reset tokens per user: further requests send nothing.
inline constexpr int64_t kMaxLiveResetTokens = 3;
// A step-up (re-authentication) counts for this long in its session.
inline constexpr std::chrono::minutes kStepUpLifetime{5};

struct AccountSettings {
    store::LockoutPolicy lockout;
    auth::HashCost hash_cost;
};

enum class AccountStatus {
    kOk,
    kWrongPassword,  // the current password is wrong (counts toward lockout)
    kLocked,         // the account is locked; locked_until says until when
    kWeakPassword,   // the new password breaks the policy; detail says which rule
    kTotpRequired,   // step-up of a user with TOTP: code missing
    kTotpInvalid,    // step-up: code wrong or used (counts toward lockout)
    kInvalidToken,   // reset token unknown, used, expired, or its account disabled
    kError,          // database failure (logged)
};

struct AccountResult {
    AccountStatus status = AccountStatus::kError;
    std::string detail;
    core::TimePoint locked_until{};
    int64_t sessions_revoked = 0;
};

class AccountSecurity {
public:
    // `common` and `box` must outlive this object; `common` may be empty, `box` null (no TOTP).
    AccountSecurity(const AccountSettings& settings, const auth::CommonPasswords* common,
                    const auth::SecretBox* box)
        : settings_(settings), common_(common), box_(box) {}

    // The signed-in `user` (in the session whose token hash is `session_hash`) changes their
    // password: checks `current` (a failure counts toward lockout; refused while locked), applies
    // the policy to `next` (which must differ from `current`), then sets it, clearing
    // must_change_password, and revokes the user's other sessions. Audits user.password_changed.
    AccountResult ChangePassword(store::AccountStore& store, const store::User& user,
                                 const std::string& session_hash, const std::string& current,
                                 const std::string& next, const std::string& ip,
                                 core::TimePoint now);
    // A reset asked for `email`: for an enabled user of an active tenant, stores a new single-use
    // token (hashed) and queues the e-mail carrying it; otherwise nothing but the audit entry. The
    // caller answers the same whatever happens here (no enumeration).
    void RequestReset(store::AccountStore& store, const std::string& email, const std::string& ip,
                      core::TimePoint now);
    // Sets a new password with a reset token: the policy applies (a weak password does not use the
    // token up); the token is used, the lockout cleared and every session of the user revoked.
    AccountResult ConfirmReset(store::AccountStore& store, const std::string& token,
                               const std::string& next, const std::string& ip, core::TimePoint now);
    // Re-authentication in a session: the password, and the TOTP code when the user has TOTP.
    // Failures count toward lockout. Notes step_up_at in the session. Audits auth.step_up.
    AccountResult StepUp(store::AccountStore& store, const store::User& user,
                         const std::string& session_hash, const std::string& password,
                         const std::optional<std::string>& totp, const std::string& ip,
                         core::TimePoint now);

private:
    // Counts a failure like a failed sign-in; on the failure that locks, audits and mails the user.
    AccountResult Failure(store::AccountStore& store, const store::User& user, AccountStatus status,
                          std::string action, std::string_view reason, const std::string& ip,
                          core::TimePoint now);
    std::optional<std::string> PolicyProblem(const std::string& password,
                                             const store::User& user) const;

    AccountSettings settings_;
    const auth::CommonPasswords* common_;
    const auth::SecretBox* box_;
};

// Queues the e-mail telling `user` that their account was locked at `now` until `until` after
// `failures` failed attempts, the last from `ip`. Errors are logged (the lockout stands anyway).
void EnqueueLockoutMail(store::AccountStore& store, const store::User& user, int64_t failures,
                        const std::string& ip, core::TimePoint now, core::TimePoint until);

// The e-mail texts (exposed for tests).
store::OutgoingMail LockoutMail(const store::User& user, int64_t failures, const std::string& ip,
                                core::TimePoint now, core::TimePoint until);
store::OutgoingMail ResetMail(const store::User& user, const std::string& token,
                              const std::string& ip, core::TimePoint now);

}  // namespace fleet::api::detail
