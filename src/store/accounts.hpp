// AccountStore: tenants, users, sessions and the hash-chained audit log, on a SQLite connection of
// its own (the schema is created by OpenSqliteStore's migrations, which must have run first).
//
// Tenancy is in the type system: every read of a tenant's data takes a TenantScope, which only
// AccountStore can make — from a signed-in user (ScopeOf) or, for the operator's own tools, from a
// tenant's name (OperatorScope). Sign-in and session checks are by e-mail or token and return the
// user with its tenant, from which the caller then takes the scope.
//
// Times are passed in (`now`), never read from the clock here, so tests control lockout and expiry.
// Thread-safety: one AccountStore is one connection and is NOT thread-safe; give each thread its own.
// Several processes may use the database at once (the admin CLI beside the server): changes that
// must be atomic (a change and its audit entry, the audit chain) run in BEGIN IMMEDIATE transactions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.hpp"
#include "core/result.hpp"
#include "store/outcome.hpp"

struct sqlite3;

namespace fleet::store {

enum class Role { kOperatorAdmin, kTenantAdmin, kFleetManager, kViewer, kDriver };
std::string_view ToString(Role role);  // "operator-admin", "tenant-admin", ...
std::optional<Role> ParseRole(std::string_view text);

enum class TenantStatus { kActive, kSuspended };
std::string_view ToString(TenantStatus status);  // "active", "suspended"

// The operator's own tenant, created on first use (its users are the operator's staff).
inline constexpr std::string_view kOperatorTenant = "operator";

struct Tenant {
    int64_t id = 0;
    std::string name;
    TenantStatus status = TenantStatus::kActive;
    bool require_totp = false;
    core::TimePoint created_at{};
};

// The tenant whose data a query may read. A value type; made only by AccountStore.
class TenantScope {
public:
    int64_t tenant_id() const { return tenant_id_; }
    bool operator==(const TenantScope&) const = default;

private:
    friend class AccountStore;
    explicit TenantScope(int64_t tenant_id) : tenant_id_(tenant_id) {}
    int64_t tenant_id_;
};

// A user as the API shows it: no secrets.
struct User {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string tenant;  // the tenant's name
    std::string email;   // lower-case
    Role role = Role::kViewer;
    bool must_change_password = false;
    bool totp_enabled = false;
    bool disabled = false;
    core::TimePoint created_at{};
    bool tenant_requires_totp = false;  // the tenant makes TOTP mandatory for all its users
    std::string tenant_time_zone;       // the tenant's IANA zone (reports and dates are shown in it)
};

// What sign-in needs: the user, its tenant's status, its secrets and its lockout state.
struct Credentials {
    User user;
    TenantStatus tenant_status = TenantStatus::kActive;
    std::string password_hash;
    std::optional<std::string> totp_secret_sealed;
    int64_t totp_last_step = 0;
    int64_t failed_logins = 0;        // consecutive failures since the last success or lockout
    core::TimePoint locked_until{};   // epoch when not locked
};

struct NewUser {
    std::string email;  // lower-cased by AddUser
    std::string password_hash;
    Role role = Role::kViewer;
    bool must_change_password = false;
};

// Who did something, for the audit log: "cli", "user:42", "anonymous"; the user id when signed in.
struct Actor {
    std::string name;
    std::optional<int64_t> user_id;
    std::string ip;
};

struct AuditEntry {
    int64_t id = 0;
    core::TimePoint at{};
    std::optional<int64_t> tenant_id;
    std::optional<int64_t> actor_user_id;
    std::string actor;
    std::string action;  // "tenant.add", "auth.login", "auth.login_failed", ...
    std::string target;  // what it was done to ("tenant:acme", "user:7", an e-mail)
    std::string ip;
    std::string detail_json = "{}";  // a JSON object
    std::string prev_hash;
    std::string hash;
};

// The hash of an entry: lower-case hex SHA-256 of prev_hash, a newline, and the canonical form of
// the entry (a JSON array of id, at in ms, tenant_id, actor_user_id, actor, action, target, ip and
// detail as a string). The first entry's prev_hash is 64 zeros.
std::string AuditHash(const AuditEntry& entry);
// An entry as one JSON object (the API's and the admin command's form): id, at (ISO 8601),
// tenant_id, actor_user_id, actor, action, target, ip, detail (the stored object) and hash.
std::string AuditJson(const AuditEntry& entry);
inline const std::string kAuditGenesis(64, '0');

struct AuditCheck {
    bool ok = true;
    int64_t entries = 0;
    std::optional<int64_t> first_broken_id;  // set when !ok
    std::string reason;                      // why that entry is broken
    std::string head_hash;                   // the last entry's hash (record it elsewhere to detect truncation)
};

// === API tokens and administration: types (accounts_{tokens,admin,support}.cpp) =========

// An API token as its owner sees it. The token itself is shown once at creation and never stored:
// only its hash is.
struct ApiToken {
    int64_t id = 0;
    int64_t user_id = 0;
    std::string name;
    std::vector<std::string> scopes;  // of "read", "write", "commands"
    core::TimePoint created_at{};
    core::TimePoint expires_at{};
    std::optional<core::TimePoint> last_used_at;
};

struct NewApiToken {
    std::string name;
    std::string token_hash;  // auth::HashToken of the token
    std::vector<std::string> scopes;
    core::TimePoint expires_at{};
};

// A live token with its owner and the owner's tenant.
struct TokenUser {
    ApiToken token;
    User user;
    Tenant tenant;
};

// Live (unrevoked, unexpired) tokens a user may hold at once.
inline constexpr int64_t kMaxApiTokensPerUser = 20;
// A token's last use is noted at most this often (each note is a write).
inline constexpr std::chrono::minutes kTokenUseResolution{1};
// A session's use is noted at most this often: a busy browser costs one write per 30 s, not one per
// request (each write competes with ingestion for SQLite's single writer). The idle timeout counts
// from the last noted use, so it may end a session up to this much early, never late.
inline constexpr std::chrono::seconds kSessionUseResolution{30};

// A tenant with the settings the operator manages.
struct TenantDetail {
    Tenant tenant;
    std::string time_zone;  // an IANA zone name (checked by the API)
};

struct NewTenant {
    std::string name;
    std::string time_zone = "Europe/Paris";
    bool require_totp = false;
};

struct TenantChange {
    std::optional<TenantStatus> status;
    std::optional<bool> require_totp;
    std::optional<std::string> time_zone;
};

// A user with what its administrators manage: the display name and the vehicle groups it is
// narrowed to (none: every vehicle of the tenant).
struct UserDetail {
    User user;
    std::string name;
    std::vector<int64_t> group_ids;  // ascending
};

struct UserDraft {
    NewUser user;
    std::string name;
    std::vector<int64_t> group_ids;
};

struct UserChange {
    std::optional<Role> role;
    std::optional<std::string> name;
    std::optional<bool> disabled;
    std::optional<std::vector<int64_t>> group_ids;  // replaces the narrowing; empty: no narrowing
};

struct UserFilter {
    std::optional<Role> role;
    std::optional<bool> disabled;
    std::string text;  // e-mail or name contains it (case-insensitive for ASCII); "" = any
};

// A rule that may refuse a change to a user, given the user as it stands (run inside the change's
// transaction, so the user cannot change between the check and the write).
using UserCheck = std::function<std::optional<Refused>(const UserDetail& current)>;

// Audit entries to list: newest first, at most `limit`, with ids below `before_id` (keyset paging).
struct AuditQuery {
    std::optional<TenantScope> scope;  // nullopt: every tenant's entries and those of none (operator)
    std::optional<std::string> action;
    std::optional<int64_t> actor_user_id;
    std::optional<core::TimePoint> from;  // at >= from
    std::optional<core::TimePoint> to;    // at < to
    std::optional<int64_t> before_id;
    int64_t limit = 100;
};

// A tenant's permission for the operator's staff to read its vehicle data until expires_at.
struct SupportGrant {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string tenant;
    int64_t granted_by = 0;  // a user of the tenant
    std::string reason;
    core::TimePoint created_at{};
    core::TimePoint expires_at{};
    std::optional<core::TimePoint> revoked_at;

    bool ActiveAt(core::TimePoint now) const { return !revoked_at && now < expires_at; }
};

// Grants a tenant may have running at once.
inline constexpr int64_t kMaxActiveSupportGrants = 5;

struct LockoutPolicy {
    int64_t max_failures = 5;
    std::chrono::minutes duration{15};
};

struct SessionPolicy {
    std::chrono::minutes idle{15};
    std::chrono::hours absolute{12};
};

struct Session {
    std::string token_hash;
    int64_t user_id = 0;
    std::string csrf_hash;  // hash of the session's CSRF token
    core::TimePoint created_at{};
    core::TimePoint last_seen{};
    core::TimePoint expires_at{};  // absolute end
    std::optional<core::TimePoint> revoked_at;
    std::string ip;
    std::string user_agent;
    std::optional<core::TimePoint> step_up_at;  // the last re-authentication in this session
};

// A valid session with its user and the user's tenant status.
struct SessionUser {
    Session session;
    User user;
    TenantStatus tenant_status = TenantStatus::kActive;
};

// A page of a user's live sessions, and how many there are in all.
struct SessionPage {
    std::vector<Session> items;
    int64_t total = 0;
};

// An e-mail in the outbox (kind: "lockout", "password-reset"; body: plain UTF-8 text).
struct OutgoingMail {
    int64_t id = 0;
    core::TimePoint created_at{};
    std::string kind;
    std::string recipient;  // one e-mail address (NormaliseEmail form)
    std::string subject;
    std::string body;
    int64_t attempts = 0;  // failed deliveries so far
    std::optional<core::TimePoint> sent_at;
};

// A mail is given up after this many failed deliveries; after n failures the next try waits until
// n² minutes after it was queued (1, 4, 9, ... minutes: about 49 minutes in all).
inline constexpr int64_t kMaxMailAttempts = 8;

class AccountStore {
public:
    // Opens a connection to the (already migrated) database `path`. Error when the accounts schema
    // is missing: open it with OpenSqliteStore first.
    static Result<std::unique_ptr<AccountStore>> Open(const std::string& path, int busy_timeout_ms = 10000);
    // An AccountStore on a connection that stays the caller's (not closed by it), already open on a
    // migrated database with the store's PRAGMAs. For Store::SharedConnection.
    static std::unique_ptr<AccountStore> Borrow(sqlite3* db);
    ~AccountStore();
    AccountStore(const AccountStore&) = delete;
    AccountStore& operator=(const AccountStore&) = delete;

    // --- tenants (operator data) -----------------------------------------------------------------
    // Adds an active tenant and audits it. Error when the name exists or is not 1-64 of [a-z0-9-].
    Result<Tenant> AddTenant(const std::string& name, const Actor& actor, core::TimePoint now);
    // The operator's tenant, created (and audited) when missing.
    Result<Tenant> EnsureOperatorTenant(const Actor& actor, core::TimePoint now);
    Result<std::vector<Tenant>> ListTenants();
    Result<std::optional<Tenant>> FindTenant(const std::string& name);
    // Suspends or reactivates a tenant and audits it. Suspension also revokes its users' sessions
    // and API tokens.
    // Error when there is no such tenant; the operator's tenant cannot be suspended.
    Result<Tenant> SetTenantStatus(const std::string& name, TenantStatus status, const Actor& actor,
                                   core::TimePoint now);

    // --- scopes -----------------------------------------------------------------------------------
    // The scope of a tenant by name, for the operator's own tools (CLI, operator-admin routes).
    Result<TenantScope> OperatorScope(const std::string& tenant_name);
    // The scope of a signed-in user: its own tenant.
    static TenantScope ScopeOf(const User& user) { return TenantScope(user.tenant_id); }

    // --- users (tenant data) ----------------------------------------------------------------------
    // Adds a user to the scope's tenant (e-mail lower-cased, globally unique) and audits it.
    Result<User> AddUser(TenantScope scope, const NewUser& user, const Actor& actor, core::TimePoint now);
    Result<std::vector<User>> ListUsers(TenantScope scope);
    Result<std::optional<User>> FindUser(TenantScope scope, int64_t user_id);

    // === API tokens (accounts_tokens.cpp) ==========================================================
    // Adds a token for `owner` and audits it (token.create). kConflict when the owner already has
    // kMaxApiTokensPerUser live tokens.
    Outcome<ApiToken> AddApiToken(const User& owner, const NewApiToken& token, const Actor& actor,
                                  core::TimePoint now);
    // The user's live tokens (not revoked, not expired at `now`), newest first (at most
    // kMaxApiTokensPerUser).
    Result<std::vector<ApiToken>> ListApiTokens(int64_t user_id, core::TimePoint now);
    // Revokes a live token of `owner` and audits it (token.revoke). False when the owner has no
    // live token with that id (another user's token included).
    Result<bool> RevokeApiToken(const User& owner, int64_t token_id, const Actor& actor, core::TimePoint now);
    // The token with this hash, its owner and the owner's tenant, when the token is live at `now`;
    // nullopt when it is unknown, revoked or expired. The caller still checks the owner (disabled)
    // and the tenant (suspended). Notes `now` as the last use when the noted one is older than
    // kTokenUseResolution, so a busy token costs one write a minute, not one a request.
    Result<std::optional<TokenUser>> UseApiToken(const std::string& token_hash, core::TimePoint now);

    // === Administration: tenants and users (accounts_admin.cpp) =====================================
    // Adds a tenant with its settings; audited (tenant.add, plus tenant.update when the settings
    // are not the defaults). kInvalid for a bad name, kConflict when the name exists.
    Outcome<TenantDetail> CreateTenant(const NewTenant& tenant, const Actor& actor, core::TimePoint now);
    // Tenants, optionally of one status and with `q` in the name ("" = any); sort by "id"
    // (default), "name" or "created_at".
    Result<Page<TenantDetail>> ListTenantDetails(std::optional<TenantStatus> status, const std::string& q,
                                                 const Paging& paging);
    Result<std::optional<TenantDetail>> GetTenant(int64_t tenant_id);
    // Changes a tenant's settings; audited (tenant.suspend, tenant.activate, tenant.update).
    // Suspension revokes the sessions and API tokens of its users (reactivation does not revive
    // them). kNotFound; kForbidden when suspending the operator's tenant.
    Outcome<TenantDetail> UpdateTenant(int64_t tenant_id, const TenantChange& change, const Actor& actor,
                                       core::TimePoint now);

    // Adds a user to the scope's tenant with its name and groups; audited (user.add). kConflict
    // when the e-mail exists (in any tenant), kInvalid for a bad e-mail or name, kNotFound for a
    // group id that is not one of the tenant's groups.
    Outcome<UserDetail> CreateUser(TenantScope scope, const UserDraft& draft, const Actor& actor,
                                   core::TimePoint now);
    // The scope's users; sort by "id" (default), "email", "role" or "created_at".
    Result<Page<UserDetail>> ListUserDetails(TenantScope scope, const UserFilter& filter, const Paging& paging);
    Result<std::optional<UserDetail>> GetUser(TenantScope scope, int64_t user_id);
    // Changes a user of the scope when `check` allows it; audited (user.update). Disabling revokes
    // the user's sessions and API tokens. kNotFound for the user or a group id that is not the
    // tenant's (another tenant's too), kInvalid for a bad name, or what `check` returns.
    Outcome<UserDetail> UpdateUser(TenantScope scope, int64_t user_id, const UserChange& change,
                                   const UserCheck& check, const Actor& actor, core::TimePoint now);

    // === Administration: the audit log and support grants (accounts_support.cpp) ====================
    // Audit entries matching `query`, newest first (see AuditQuery).
    Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& query);

    // Lets the operator's staff read the granter's tenant's vehicle data for `duration`; audited
    // (support.grant). kConflict when the tenant has kMaxActiveSupportGrants active grants.
    Outcome<SupportGrant> GrantSupport(const User& granter, const std::string& reason,
                                       std::chrono::hours duration, const Actor& actor, core::TimePoint now);
    // Grants newest first: of one tenant, or of all (nullopt: the operator); when `active` is set,
    // only those active at `now` (true) or only those ended by then (false).
    Result<Page<SupportGrant>> ListSupportGrants(std::optional<TenantScope> scope, std::optional<bool> active,
                                                 core::TimePoint now, const Paging& paging);
    // Ends a grant of the scope's tenant now; audited (support.revoke). kNotFound (another
    // tenant's grant too), kConflict when it had already ended (expired or revoked).
    Outcome<SupportGrant> RevokeSupportGrant(TenantScope scope, int64_t grant_id, const Actor& actor,
                                             core::TimePoint now);
    // THE check for operator access to a tenant's vehicle data: the tenant's active grant at `now`
    // (the one that lasts longest), or nullopt. Routes that let an operator-admin read a tenant's
    // positions, trips or vehicles call this with OperatorScope(tenant) and the request time,
    // refuse without a grant (as 404, like any other tenant's data), and audit each read naming
    // the grant's id.
    Result<std::optional<SupportGrant>> ActiveSupportGrant(TenantScope tenant, core::TimePoint now);

    // --- sign-in ----------------------------------------------------------------------------------
    // The credentials of the user with this e-mail (any case), or nullopt.
    Result<std::optional<Credentials>> FindCredentials(const std::string& email);
    // Counts a failed sign-in. At policy.max_failures consecutive failures the account is locked
    // until now + policy.duration and the count starts again. Returns the lock's end when this
    // failure locked the account, else nullopt.
    Result<std::optional<core::TimePoint>> NoteLoginFailure(int64_t user_id, core::TimePoint now,
                                                            const LockoutPolicy& policy);
    // Clears the failure count; notes the TOTP step used (so a code works once) and replaces the
    // password hash (rehash at a new cost) when given.
    Result<void> NoteLoginSuccess(int64_t user_id, std::optional<int64_t> totp_step,
                                  const std::optional<std::string>& new_password_hash);
    // Stores a TOTP secret (sealed) for the user; nullopt removes it. For enrolment and tests.
    Result<void> SetTotpSecret(int64_t user_id, const std::optional<std::string>& sealed);

    // --- sessions ---------------------------------------------------------------------------------
    Result<void> CreateSession(const Session& session);
    // The session and its user when the token's session is valid at `now`: not revoked, used within
    // policy.idle, before its absolute end, user not disabled. Notes `now` as its last use when the
    // noted one is kSessionUseResolution old or more. nullopt otherwise (an expired session is
    // revoked on the way).
    Result<std::optional<SessionUser>> TouchSession(const std::string& token_hash, core::TimePoint now,
                                                    const SessionPolicy& policy);
    // As TouchSession, without noting a use and without revoking an ended session: for checks that
    // are not the user's activity (a live feed re-checking its session; an unattended screen must
    // still reach the idle timeout).
    Result<std::optional<SessionUser>> PeekSession(const std::string& token_hash, core::TimePoint now,
                                                   const SessionPolicy& policy);
    // Replaces the live session `old_hash` with a new token (and CSRF token) that keeps its user,
    // start, absolute end, address and step-up, and revokes the old one, in one transaction: done
    // when the session gains privilege (TOTP enrolment, step-up, password change), so a token seen
    // before cannot ride on it. False (nothing changed) when `old_hash` is no live session.
    Result<bool> RotateSession(const std::string& old_hash, const std::string& new_hash,
                               const std::string& new_csrf_hash, core::TimePoint now);
    // Revokes a session; false when there was no live session with that token.
    Result<bool> RevokeSession(const std::string& token_hash, core::TimePoint now);

    // --- account security (accounts_security.cpp) -------------------------------------------------
    // The credentials of a user by id (password change, step-up), or nullopt.
    Result<std::optional<Credentials>> FindCredentialsById(int64_t user_id);
    // Replaces the user's password hash, clears must_change_password and the lockout, notes
    // password_changed_at, voids the user's unused reset tokens and revokes the user's sessions but
    // `keep_session` (a token hash; nullopt: every one), then appends `audit` with the detail
    // {"sessions_revoked":N} — all in one transaction. Returns N.
    Result<int64_t> SetPassword(int64_t user_id, const std::string& password_hash,
                                const std::optional<std::string>& keep_session, core::TimePoint now,
                                const AuditEntry& audit);
    // Stores the hash of a password-reset token valid until `expires_at`, queues `mail` and appends
    // `audit`, in one transaction. Stores nothing and returns false when the user already has
    // `max_live` unused tokens that have not expired at `now` (so nobody can flood a mailbox).
    Result<bool> AddPasswordReset(int64_t user_id, const std::string& token_hash, core::TimePoint now,
                                  core::TimePoint expires_at, int64_t max_live, const OutgoingMail& mail,
                                  const AuditEntry& audit);
    // The credentials of the user whose reset token this is, when the token is unused and has not
    // expired at `now`; nullopt otherwise.
    Result<std::optional<Credentials>> FindPasswordReset(const std::string& token_hash, core::TimePoint now);
    // Uses a reset token: when it is still unused and unexpired at `now`, marks it used and sets the
    // password as SetPassword does with no session kept (every session revoked; the lockout cleared),
    // appending `audit`. Returns the user's id, or nullopt when the token is not (or no longer) valid.
    Result<std::optional<int64_t>> UsePasswordReset(const std::string& token_hash, const std::string& password_hash,
                                                    core::TimePoint now, const AuditEntry& audit);
    // The user's live sessions at `now` (not revoked, used within policy.idle, before their end),
    // sorted by "created_at" or "last_seen" (anything else is an error), one page of them.
    Result<SessionPage> ListLiveSessions(int64_t user_id, core::TimePoint now, const SessionPolicy& policy,
                                         std::string_view sort, bool descending, int64_t limit, int64_t offset);
    // Revokes the user's live session with this token hash and appends `audit`; false (and no
    // audit) when that user has no such live session.
    Result<bool> RevokeUserSession(int64_t user_id, const std::string& token_hash, core::TimePoint now,
                                   const AuditEntry& audit);
    // Revokes every session of the user not yet revoked but `keep` and appends `audit` with the
    // detail {"sessions_revoked":N}. Returns N.
    Result<int64_t> RevokeUserSessions(int64_t user_id, const std::optional<std::string>& keep, core::TimePoint now,
                                       const AuditEntry& audit);
    // Notes a re-authentication in the session (step_up_at = now), clears the user's failure count,
    // notes the TOTP step used when given, and appends `audit`, in one transaction.
    Result<void> NoteStepUp(const std::string& token_hash, int64_t user_id, std::optional<int64_t> totp_step,
                            core::TimePoint now, const AuditEntry& audit);

    // --- e-mail outbox (accounts_outbox.cpp) ------------------------------------------------------
    // Queues a mail (created_at, kind, recipient, subject, body are used). Returns its id.
    Result<int64_t> EnqueueMail(const OutgoingMail& mail);
    // Unsent mail due at `now` (fewer than kMaxMailAttempts failures, the back-off passed), oldest
    // first, at most `limit`.
    Result<std::vector<OutgoingMail>> ListUnsentMail(core::TimePoint now, int64_t limit);
    // The latest `limit` mails, sent or not (sent ones stay 7 days), oldest first: `fleetd admin outbox`.
    Result<std::vector<OutgoingMail>> ListMail(int64_t limit);
    Result<void> MarkMailSent(int64_t id, core::TimePoint now);
    // Counts a failed delivery and keeps the error (cut to 500 bytes).
    Result<void> MarkMailFailed(int64_t id, const std::string& error);
    // Deletes mail sent before `before` (its text may hold a reset token). Returns how many.
    Result<int64_t> PruneSentMail(core::TimePoint before);

    // --- audit ------------------------------------------------------------------------------------
    // Appends an entry (id, prev_hash and hash are assigned here) and returns it.
    Result<AuditEntry> Audit(const AuditEntry& entry);
    // Walks the whole chain: ids contiguous from 1, each prev_hash equal to the previous hash, each
    // hash recomputed. Reports the first broken entry.
    Result<AuditCheck> VerifyAudit();
    // Entries newest first, at most `limit`; only the scope's tenant when given (nullopt: operator).
    Result<std::vector<AuditEntry>> ListAudit(std::optional<TenantScope> scope, int64_t limit);

    // --- TOTP enrolment and recovery codes (accounts_totp.cpp) -------------------------------------
    // Keeps a sealed TOTP secret as the user's pending enrolment (replacing an earlier one).
    Result<void> SetPendingTotp(int64_t user_id, const std::string& sealed);
    Result<std::optional<std::string>> PendingTotp(int64_t user_id);
    // Makes the pending secret the active one (the code of `step` was just verified, so it is
    // noted as used), replaces the recovery codes by `code_hashes` and audits `audit`, at once.
    // Error when there is no pending secret.
    Result<void> ActivateTotp(int64_t user_id, int64_t step, const std::vector<std::string>& code_hashes,
                              const AuditEntry& audit);
    // Removes the secret, the pending secret and the recovery codes, and audits `audit`.
    Result<void> DisableTotp(int64_t user_id, const AuditEntry& audit);
    // Replaces the recovery codes and audits `audit`.
    Result<void> ReplaceRecoveryCodes(int64_t user_id, const std::vector<std::string>& code_hashes,
                                      const AuditEntry& audit);
    // The hashes of the user's unused recovery codes.
    Result<std::vector<std::string>> UnusedRecoveryCodes(int64_t user_id);
    // Marks a recovery code used; false when it was already used (or is not the user's).
    Result<bool> UseRecoveryCode(int64_t user_id, const std::string& code_hash, core::TimePoint now);

    struct Impl;
    // The connection's inside, for the stores that share it (store/fleet.hpp); store/ only.
    Impl& impl() { return *impl_; }

private:
    explicit AccountStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// E-mail normal form: trimmed and lower-cased (ASCII). Error when it does not look like a@b.
Result<std::string> NormaliseEmail(std::string_view email);

}  // namespace fleet::store
