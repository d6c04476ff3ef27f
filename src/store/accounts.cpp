#include "store/accounts.hpp"

#include <fmt/format.h>
#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <unordered_map>

#include "core/json.hpp"
#include "core/time.hpp"
#include "store/detail/accounts_impl.hpp"

namespace fleet::store {
namespace {
using namespace detail;
using core::TimePoint;
}  // namespace


std::string_view ToString(Role role) { return kRoles[static_cast<int>(role)]; }

std::optional<Role> ParseRole(std::string_view text) {
    for (size_t i = 0; i < std::size(kRoles); ++i) {
        if (text == kRoles[i]) return static_cast<Role>(i);
    }
    return std::nullopt;
}

std::string_view ToString(TenantStatus status) {
    return status == TenantStatus::kActive ? "active" : "suspended";
}

Result<std::string> NormaliseEmail(std::string_view email) {
    while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
    while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
    std::string out(email);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    auto at = out.find('@');
    if (out.size() > 254 || at == std::string::npos || at == 0 || at + 1 == out.size() ||
        out.find('@', at + 1) != std::string::npos ||
        std::any_of(out.begin(), out.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
        return MakeError("not an e-mail address");
    }
    return out;
}

std::string AuditHash(const AuditEntry& e) {
    std::string canonical = fmt::format("[{},{},", e.id, ToMs(e.at));
    canonical += e.tenant_id ? std::to_string(*e.tenant_id) : "null";
    canonical += ',';
    canonical += e.actor_user_id ? std::to_string(*e.actor_user_id) : "null";
    for (const std::string* field : {&e.actor, &e.action, &e.target, &e.ip, &e.detail_json}) {
        canonical += ',';
        core::AppendJsonString(canonical, *field);
    }
    canonical += ']';
    std::string input = e.prev_hash + "\n" + canonical;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string hex(2 * sizeof digest + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
    hex.pop_back();
    return hex;
}

std::string AuditJson(const AuditEntry& e) {
    auto optional = [](std::optional<int64_t> v) { return v ? std::to_string(*v) : std::string("null"); };
    std::string out = fmt::format("{{\"id\":{},\"at\":\"{}\",\"tenant_id\":{},\"actor_user_id\":{},\"actor\":", e.id,
                                  core::FormatIso(e.at), optional(e.tenant_id), optional(e.actor_user_id));
    core::AppendJsonString(out, e.actor);
    out += ",\"action\":";
    core::AppendJsonString(out, e.action);
    out += ",\"target\":";
    core::AppendJsonString(out, e.target);
    out += ",\"ip\":";
    core::AppendJsonString(out, e.ip);
    // The detail is a JSON object the server wrote (and the hash chain covers).
    out += ",\"detail\":" + (e.detail_json.empty() ? std::string("{}") : e.detail_json);
    out += ",\"hash\":";
    core::AppendJsonString(out, e.hash);
    return out + "}";
}

AccountStore::AccountStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AccountStore::~AccountStore() = default;

Result<std::unique_ptr<AccountStore>> AccountStore::Open(const std::string& path, int busy_timeout_ms) {
    if (sodium_init() < 0) return MakeError("libsodium cannot be initialised");
    auto impl = std::make_unique<Impl>();
    if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        return MakeError(fmt::format("cannot open database {}: {}", path,
                                     impl->db ? sqlite3_errmsg(impl->db) : "out of memory"));
    }
    sqlite3_busy_timeout(impl->db, busy_timeout_ms);
    if (auto r = impl->Exec("PRAGMA foreign_keys = ON"); !r) return r.error();
    // Checkpoints belong to the store's writer (see sqlite_store.cpp): with SQLite's automatic ones
    // here, a sign-in during heavy ingestion would copy a large WAL on an API thread.
    if (auto r = impl->Exec("PRAGMA wal_autocheckpoint = 0"); !r) return r.error();
    {
        Query q(impl->db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit_log'");
        if (!q.ok() || q.Step() != SQLITE_ROW || sqlite3_column_int(q.get(), 0) != 1) {
            return MakeError("database " + path + " has no accounts schema (open it with the store first)");
        }
    }
    return std::unique_ptr<AccountStore>(new AccountStore(std::move(impl)));
}

std::unique_ptr<AccountStore> AccountStore::Borrow(sqlite3* db) {
    auto impl = std::make_unique<Impl>();
    impl->db = db;
    impl->owned = false;
    return std::unique_ptr<AccountStore>(new AccountStore(std::move(impl)));
}

// --- tenants -------------------------------------------------------------------------------------

Result<Tenant> AccountStore::AddTenant(const std::string& name, const Actor& actor, TimePoint now) {
    if (!ValidTenantName(name)) {
        return MakeError("a tenant name is 1 to 64 lower-case letters, digits or '-' (not first): '" + name + "'");
    }
    return impl_->Transaction<Tenant>([&] { return impl_->InsertTenant(name, actor, now); });
}

Result<Tenant> AccountStore::EnsureOperatorTenant(const Actor& actor, TimePoint now) {
    const std::string name(kOperatorTenant);
    return impl_->Transaction<Tenant>([&]() -> Result<Tenant> {
        auto found = impl_->FindTenant(name);
        if (!found) return found.error();
        if (found->has_value()) return **found;
        return impl_->InsertTenant(name, actor, now);
    });
}

Result<std::vector<Tenant>> AccountStore::ListTenants() {
    std::string sql = fmt::format("SELECT {} FROM tenants ORDER BY id", kTenantColumns);
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("list tenants");
    std::vector<Tenant> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadTenant(q.get()));
    if (rc != SQLITE_DONE) return impl_->DbError("list tenants");
    return out;
}

Result<std::optional<Tenant>> AccountStore::FindTenant(const std::string& name) { return impl_->FindTenant(name); }

Result<Tenant> AccountStore::SetTenantStatus(const std::string& name, TenantStatus status, const Actor& actor,
                                             TimePoint now) {
    auto found = impl_->FindTenant(name);
    if (!found) return found.error();
    if (!found->has_value()) return MakeError("no tenant named '" + name + "'");
    TenantChange change;
    change.status = status;
    auto updated = UpdateTenant((*found)->id, change, actor, now);
    if (const Error* e = updated.error()) return *e;
    if (const Refused* refused = updated.refused()) return MakeError(refused->detail);
    return updated->tenant;
}

Result<TenantScope> AccountStore::OperatorScope(const std::string& tenant_name) {
    auto t = impl_->FindTenant(tenant_name);
    if (!t) return t.error();
    if (!t->has_value()) return MakeError("no tenant named '" + tenant_name + "'");
    return TenantScope((*t)->id);
}

// --- users ---------------------------------------------------------------------------------------

Result<User> AccountStore::AddUser(TenantScope scope, const NewUser& in, const Actor& actor, TimePoint now) {
    auto email = NormaliseEmail(in.email);
    if (!email) return email.error();
    return impl_->Transaction<User>([&]() -> Result<User> {
        auto inserted = impl_->InsertUser(scope.tenant_id(), *email, in, "", now);
        if (!inserted) return inserted.error();
        if (!inserted->has_value()) return MakeError("a user with e-mail " + *email + " exists");
        int64_t id = **inserted;
        auto user = impl_->FindUserWhere("u.id = ?", id, std::nullopt);
        if (!user) return user.error();
        if (!user->has_value()) return MakeError("user vanished");
        std::string detail = "{\"email\":";
        core::AppendJsonString(detail, *email);
        detail += fmt::format(",\"role\":\"{}\"}}", ToString(in.role));
        auto a = impl_->AppendAudit(
            Impl::Entry(actor, now, scope.tenant_id(), "user.add", fmt::format("user:{}", id), detail));
        if (!a) return a.error();
        return **user;
    });
}

Result<std::vector<User>> AccountStore::ListUsers(TenantScope scope) {
    std::string sql = fmt::format("SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = ? "
                                  "ORDER BY u.id",
                                  kUserColumns);
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("list users");
    q.Bind(1, scope.tenant_id());
    std::vector<User> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadUser(q.get()));
    if (rc != SQLITE_DONE) return impl_->DbError("list users");
    return out;
}

Result<std::optional<User>> AccountStore::FindUser(TenantScope scope, int64_t user_id) {
    return impl_->FindUserWhere("u.id = ? AND u.tenant_id = ?", user_id, scope.tenant_id());
}

// --- sign-in -------------------------------------------------------------------------------------

Result<std::optional<Credentials>> AccountStore::FindCredentials(const std::string& email) {
    auto normal = NormaliseEmail(email);
    if (!normal) return std::optional<Credentials>();
    std::string sql = fmt::format("SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.email = ?",
                                  kCredentialColumns);
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("find credentials");
    q.Bind(1, *normal);
    int rc = q.Step();
    if (rc == SQLITE_DONE) return std::optional<Credentials>();
    if (rc != SQLITE_ROW) return impl_->DbError("find credentials");
    return std::optional<Credentials>(ReadCredentials(q.get()));
}

Result<std::optional<TimePoint>> AccountStore::NoteLoginFailure(int64_t user_id, TimePoint now,
                                                                const LockoutPolicy& policy) {
    return impl_->Transaction<std::optional<TimePoint>>([&]() -> Result<std::optional<TimePoint>> {
        int64_t failures = 0;
        {
            Query q(impl_->db, "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins");
            if (!q.ok()) return q.error("count failure");
            q.Bind(1, user_id);
            if (q.Step() != SQLITE_ROW) return impl_->DbError("count failure");
            failures = sqlite3_column_int64(q.get(), 0);
        }
        if (failures < policy.max_failures) return std::optional<TimePoint>();
        TimePoint until = now + std::chrono::duration_cast<core::Millis>(policy.duration);
        Query q(impl_->db, "UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?");
        if (!q.ok()) return q.error("lock account");
        q.Bind(1, ToMs(until)).Bind(2, user_id);
        if (q.Step() != SQLITE_DONE) return impl_->DbError("lock account");
        return std::optional<TimePoint>(until);
    });
}

Result<void> AccountStore::NoteLoginSuccess(int64_t user_id, std::optional<int64_t> totp_step,
                                            const std::optional<std::string>& new_password_hash) {
    Query q(impl_->db,
            "UPDATE users SET failed_logins = 0, locked_until = 0, "
            "totp_last_step = COALESCE(?, totp_last_step), password_hash = COALESCE(?, password_hash) WHERE id = ?");
    if (!q.ok()) return q.error("note sign-in");
    q.Bind(1, totp_step);
    if (new_password_hash) {
        q.Bind(2, *new_password_hash);
    } else {
        q.BindNull(2);
    }
    q.Bind(3, user_id);
    if (q.Step() != SQLITE_DONE) return impl_->DbError("note sign-in");
    return {};
}

Result<void> AccountStore::SetTotpSecret(int64_t user_id, const std::optional<std::string>& sealed) {
    Query q(impl_->db, "UPDATE users SET totp_secret_sealed = ?, totp_last_step = 0 WHERE id = ?");
    if (!q.ok()) return q.error("set totp secret");
    if (sealed) {
        q.Bind(1, *sealed);
    } else {
        q.BindNull(1);
    }
    q.Bind(2, user_id);
    if (q.Step() != SQLITE_DONE) return impl_->DbError("set totp secret");
    return {};
}

// --- sessions ------------------------------------------------------------------------------------

Result<void> AccountStore::CreateSession(const Session& s) {
    Query q(impl_->db,
            "INSERT INTO sessions (token_hash, user_id, csrf_hash, created_at, last_seen, expires_at, ip, user_agent, "
            "step_up_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!q.ok()) return q.error("create session");
    q.Bind(1, s.token_hash).Bind(2, s.user_id).Bind(3, s.csrf_hash).Bind(4, ToMs(s.created_at));
    q.Bind(5, ToMs(s.last_seen)).Bind(6, ToMs(s.expires_at)).Bind(7, s.ip).Bind(8, s.user_agent);
    q.Bind(9, s.step_up_at ? std::optional<int64_t>(ToMs(*s.step_up_at)) : std::nullopt);
    if (q.Step() != SQLITE_DONE) return impl_->DbError("create session");
    return {};
}

namespace {

// The session of `token_hash` with its user, whatever its state; nullopt when there is none.
Result<std::optional<SessionUser>> ReadSession(AccountStore::Impl& impl, const std::string& token_hash) {
    std::string sql = fmt::format(
        "SELECT {}, t.status, s.user_id, s.csrf_hash, s.created_at, s.last_seen, s.expires_at, s.revoked_at, s.ip, "
        "s.user_agent, s.step_up_at FROM sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id "
        "WHERE s.token_hash = ?",
        kUserColumns);
    Query q(impl.db, sql.c_str());
    if (!q.ok()) return q.error("read session");
    q.Bind(1, token_hash);
    int rc = q.Step();
    if (rc == SQLITE_DONE) return std::optional<SessionUser>();
    if (rc != SQLITE_ROW) return impl.DbError("read session");
    sqlite3_stmt* s = q.get();
    SessionUser su;
    su.user = ReadUser(s);
    constexpr int k = kUserColumnCount;
    su.tenant_status = Col(s, k) == "suspended" ? TenantStatus::kSuspended : TenantStatus::kActive;
    su.session.token_hash = token_hash;
    su.session.user_id = sqlite3_column_int64(s, k + 1);
    su.session.csrf_hash = Col(s, k + 2);
    su.session.created_at = FromMs(sqlite3_column_int64(s, k + 3));
    su.session.last_seen = FromMs(sqlite3_column_int64(s, k + 4));
    su.session.expires_at = FromMs(sqlite3_column_int64(s, k + 5));
    if (auto r = ColOptInt(s, k + 6)) su.session.revoked_at = FromMs(*r);
    su.session.ip = Col(s, k + 7);
    su.session.user_agent = Col(s, k + 8);
    if (auto r = ColOptInt(s, k + 9)) su.session.step_up_at = FromMs(*r);
    return std::optional<SessionUser>(std::move(su));
}

// The one rule of a live session: not revoked, used within policy.idle, before its absolute end,
// its user enabled and its tenant active.
bool SessionLive(const SessionUser& su, TimePoint now, const SessionPolicy& policy) {
    if (su.session.revoked_at) return false;
    bool idle = now - su.session.last_seen > std::chrono::duration_cast<core::Millis>(policy.idle);
    bool ended = now >= su.session.expires_at ||
                 now >= su.session.created_at + std::chrono::duration_cast<core::Millis>(policy.absolute);
    return !idle && !ended && !su.user.disabled && su.tenant_status == TenantStatus::kActive;
}

}  // namespace

Result<std::optional<SessionUser>> AccountStore::TouchSession(const std::string& token_hash, TimePoint now,
                                                              const SessionPolicy& policy) {
    auto read = ReadSession(*impl_, token_hash);
    if (!read || !read->has_value()) return read;
    SessionUser& su = **read;
    if (su.session.revoked_at) return std::optional<SessionUser>();
    if (!SessionLive(su, now, policy)) {
        if (auto r = RevokeSession(token_hash, now); !r) return r.error();
        return std::optional<SessionUser>();
    }
    if (now - su.session.last_seen < kSessionUseResolution) return read;
    Query q(impl_->db, "UPDATE sessions SET last_seen = ? WHERE token_hash = ? AND last_seen < ?");
    if (!q.ok()) return q.error("touch session");
    q.Bind(1, ToMs(now)).Bind(2, token_hash).Bind(3, ToMs(now));
    if (q.Step() != SQLITE_DONE) return impl_->DbError("touch session");
    su.session.last_seen = now;
    return read;
}

Result<std::optional<SessionUser>> AccountStore::PeekSession(const std::string& token_hash, TimePoint now,
                                                             const SessionPolicy& policy) {
    auto read = ReadSession(*impl_, token_hash);
    if (!read || !read->has_value()) return read;
    if (!SessionLive(**read, now, policy)) return std::optional<SessionUser>();
    return read;
}

Result<bool> AccountStore::RotateSession(const std::string& old_hash, const std::string& new_hash,
                                         const std::string& new_csrf_hash, TimePoint now) {
    return impl_->Transaction<bool>([&]() -> Result<bool> {
        Query copy(impl_->db,
                   "INSERT INTO sessions (token_hash, user_id, csrf_hash, created_at, last_seen, expires_at, ip, "
                   "user_agent, step_up_at) SELECT ?, user_id, ?, created_at, ?, expires_at, ip, user_agent, step_up_at "
                   "FROM sessions WHERE token_hash = ? AND revoked_at IS NULL");
        if (!copy.ok()) return copy.error("rotate session");
        copy.Bind(1, new_hash).Bind(2, new_csrf_hash).Bind(3, ToMs(now)).Bind(4, old_hash);
        if (copy.Step() != SQLITE_DONE) return impl_->DbError("rotate session");
        if (sqlite3_changes(impl_->db) == 0) return false;
        auto revoked = RevokeSession(old_hash, now);
        if (!revoked) return revoked.error();
        return true;
    });
}

Result<bool> AccountStore::RevokeSession(const std::string& token_hash, TimePoint now) {
    Query q(impl_->db, "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL");
    if (!q.ok()) return q.error("revoke session");
    q.Bind(1, ToMs(now)).Bind(2, token_hash);
    if (q.Step() != SQLITE_DONE) return impl_->DbError("revoke session");
    return sqlite3_changes(impl_->db) > 0;
}

// --- audit ---------------------------------------------------------------------------------------

Result<AuditEntry> AccountStore::Audit(const AuditEntry& entry) {
    return impl_->Transaction<AuditEntry>([&] { return impl_->AppendAudit(entry); });
}

Result<AuditCheck> AccountStore::VerifyAudit() {
    std::string sql = fmt::format("SELECT {} FROM audit_log ORDER BY id", kAuditColumns);
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("read audit log");
    AuditCheck check;
    std::string prev = kAuditGenesis;
    int64_t expected_id = 1;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
        AuditEntry e = ReadAudit(q.get());
        ++check.entries;
        std::string reason;
        if (e.id != expected_id) {
            reason = fmt::format("entry {} missing", expected_id);
        } else if (e.prev_hash != prev) {
            reason = "prev_hash does not match the previous entry's hash";
        } else if (AuditHash(e) != e.hash) {
            reason = "hash does not match the entry's content";
        }
        if (!reason.empty()) {
            check.ok = false;
            check.first_broken_id = e.id;
            check.reason = reason;
            return check;
        }
        prev = e.hash;
        expected_id = e.id + 1;
    }
    if (rc != SQLITE_DONE) return impl_->DbError("read audit log");
    check.head_hash = prev;
    return check;
}

Result<std::vector<AuditEntry>> AccountStore::ListAudit(std::optional<TenantScope> scope, int64_t limit) {
    AuditQuery query;
    query.scope = scope;
    query.limit = limit;
    return ListAudit(query);
}

}  // namespace fleet::store
