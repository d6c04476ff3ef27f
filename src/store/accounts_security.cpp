// Account security on the account store: password changes and resets, a user's sessions, step-up.
// See accounts.hpp for the contracts; the rules around them (policy, hashing, e-mail texts) are in
// api/detail/account_security.*.
#include <fmt/format.h>
#include <sqlite3.h>

#include <variant>

#include "store/accounts.hpp"
#include "store/detail/accounts_impl.hpp"
#include "store/detail/outbox.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;

// Runs one statement with the given integer/text binds; error naming `what` when it fails.
Result<int64_t> Run(AccountStore::Impl& impl, const char* sql, std::string_view what,
                    std::initializer_list<std::variant<int64_t, std::string_view>> binds) {
    Query q(impl.db, sql);
    if (!q.ok()) return q.error(what);
    int i = 1;
    for (const auto& b : binds) {
        if (const auto* n = std::get_if<int64_t>(&b)) {
            q.Bind(i++, *n);
        } else {
            q.Bind(i++, std::get<std::string_view>(b));
        }
    }
    if (q.Step() != SQLITE_DONE) return impl.DbError(what);
    return static_cast<int64_t>(sqlite3_changes(impl.db));
}

// Revokes the user's unrevoked sessions but `keep`; returns how many.
Result<int64_t> RevokeAllBut(AccountStore::Impl& impl, int64_t user_id,
                             const std::optional<std::string>& keep, TimePoint now) {
    return Run(impl,
               "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND "
               "token_hash != ?",
               "revoke sessions",
               {ToMs(now), user_id, std::string_view(keep ? *keep : std::string())});
}

Result<int64_t> ReplacePassword(AccountStore::Impl& impl, int64_t user_id, const std::string& hash,
                                const std::optional<std::string>& keep, TimePoint now,
                                const AuditEntry& audit) {
    auto changed =
        Run(impl,
            "UPDATE users SET password_hash = ?, must_change_password = 0, failed_logins = 0, "
            "locked_until = 0, password_changed_at = ? WHERE id = ?",
            "set password", {std::string_view(hash), ToMs(now), user_id});
    if (!changed) return changed.error();
    if (*changed != 1) return MakeError(fmt::format("no user {}", user_id));
    auto voided =
        Run(impl, "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
            "void reset tokens", {ToMs(now), user_id});
    if (!voided) return voided.error();
    auto revoked = RevokeAllBut(impl, user_id, keep, now);
    if (!revoked) return revoked.error();
    AuditEntry e = audit;
    e.detail_json = fmt::format("{{\"sessions_revoked\":{}}}", *revoked);
    if (auto a = impl.AppendAudit(e); !a) return a.error();
    return *revoked;
}

constexpr const char* kLiveSession =
    "s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND s.last_seen >= ? AND "
    "s.created_at > ?";

}  // namespace

Result<std::optional<Credentials>> AccountStore::FindCredentialsById(int64_t user_id) {
    std::string sql =
        fmt::format("SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = ?",
                    kCredentialColumns);
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("find credentials");
    q.Bind(1, user_id);
    int rc = q.Step();
    if (rc == SQLITE_DONE) return std::optional<Credentials>();
    if (rc != SQLITE_ROW) return impl_->DbError("find credentials");
    return std::optional<Credentials>(ReadCredentials(q.get()));
}

Result<int64_t> AccountStore::SetPassword(int64_t user_id, const std::string& password_hash,
                                          const std::optional<std::string>& keep_session,
                                          TimePoint now, const AuditEntry& audit) {
    return impl_->Transaction<int64_t>(
        [&] { return ReplacePassword(*impl_, user_id, password_hash, keep_session, now, audit); });
}

Result<bool> AccountStore::AddPasswordReset(int64_t user_id, const std::string& token_hash,
                                            TimePoint now, TimePoint expires_at, int64_t max_live,
                                            const OutgoingMail& mail, const AuditEntry& audit) {
    return impl_->Transaction<bool>([&]() -> Result<bool> {
        {
            Query q(impl_->db,
                    "SELECT count(*) FROM password_resets WHERE user_id = ? AND used_at IS NULL "
                    "AND expires_at > ?");
            if (!q.ok()) return q.error("count reset tokens");
            q.Bind(1, user_id).Bind(2, ToMs(now));
            if (q.Step() != SQLITE_ROW) return impl_->DbError("count reset tokens");
            if (sqlite3_column_int64(q.get(), 0) >= max_live) return false;
        }
        auto added =
            Run(*impl_,
                "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                "add reset token",
                {std::string_view(token_hash), user_id, ToMs(now), ToMs(expires_at)});
        if (!added) return added.error();
        if (auto m = InsertMail(*impl_, mail); !m) return m.error();
        if (auto a = impl_->AppendAudit(audit); !a) return a.error();
        return true;
    });
}

Result<std::optional<Credentials>> AccountStore::FindPasswordReset(const std::string& token_hash,
                                                                   TimePoint now) {
    std::string sql = fmt::format(
        "SELECT {} FROM password_resets r JOIN users u ON u.id = r.user_id JOIN tenants t ON t.id "
        "= u.tenant_id "
        "WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ?",
        kCredentialColumns);
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("find reset token");
    q.Bind(1, token_hash).Bind(2, ToMs(now));
    int rc = q.Step();
    if (rc == SQLITE_DONE) return std::optional<Credentials>();
    if (rc != SQLITE_ROW) return impl_->DbError("find reset token");
    return std::optional<Credentials>(ReadCredentials(q.get()));
}

Result<std::optional<int64_t>> AccountStore::UsePasswordReset(const std::string& token_hash,
                                                              const std::string& password_hash,
                                                              TimePoint now,
                                                              const AuditEntry& audit) {
    return impl_->Transaction<std::optional<int64_t>>([&]() -> Result<std::optional<int64_t>> {
        int64_t user_id = 0;
        {
            Query q(impl_->db,
                    "UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS "
                    "NULL AND expires_at > ? "
                    "RETURNING user_id");
            if (!q.ok()) return q.error("use reset token");
            q.Bind(1, ToMs(now)).Bind(2, token_hash).Bind(3, ToMs(now));
            int rc = q.Step();
            if (rc == SQLITE_DONE) return std::optional<int64_t>();
            if (rc != SQLITE_ROW) return impl_->DbError("use reset token");
            user_id = sqlite3_column_int64(q.get(), 0);
        }
        AuditEntry e = audit;
        e.target = fmt::format("user:{}", user_id);
        auto r = ReplacePassword(*impl_, user_id, password_hash, std::nullopt, now, e);
        if (!r) return r.error();
        return std::optional<int64_t>(user_id);
    });
}

Result<SessionPage> AccountStore::ListLiveSessions(int64_t user_id, TimePoint now,
                                                   const SessionPolicy& policy,
                                                   std::string_view sort, bool descending,
                                                   int64_t limit, int64_t offset) {
    // Only these two columns may order the list: never text from a request.
    const char* column = sort == "created_at"  ? "s.created_at"
                         : sort == "last_seen" ? "s.last_seen"
                                               : nullptr;
    if (!column) return MakeError(fmt::format("sessions cannot be sorted by '{}'", sort));
    int64_t idle_from = ToMs(now) - std::chrono::duration_cast<core::Millis>(policy.idle).count();
    int64_t created_after =
        ToMs(now) - std::chrono::duration_cast<core::Millis>(policy.absolute).count();
    auto bind_live = [&](Query& q) {
        q.Bind(1, user_id).Bind(2, ToMs(now)).Bind(3, idle_from).Bind(4, created_after);
    };
    SessionPage page;
    {
        std::string sql = fmt::format("SELECT count(*) FROM sessions s WHERE {}", kLiveSession);
        Query q(impl_->db, sql.c_str());
        if (!q.ok()) return q.error("count sessions");
        bind_live(q);
        if (q.Step() != SQLITE_ROW) return impl_->DbError("count sessions");
        page.total = sqlite3_column_int64(q.get(), 0);
    }
    std::string sql = fmt::format(
        "SELECT s.token_hash, s.csrf_hash, s.created_at, s.last_seen, s.expires_at, s.ip, "
        "s.user_agent, s.step_up_at "
        "FROM sessions s WHERE {} ORDER BY {} {}, s.token_hash LIMIT ? OFFSET ?",
        kLiveSession, column, descending ? "DESC" : "ASC");
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("list sessions");
    bind_live(q);
    q.Bind(5, limit).Bind(6, offset);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
        sqlite3_stmt* s = q.get();
        Session x;
        x.user_id = user_id;
        x.token_hash = Col(s, 0);
        x.csrf_hash = Col(s, 1);
        x.created_at = FromMs(sqlite3_column_int64(s, 2));
        x.last_seen = FromMs(sqlite3_column_int64(s, 3));
        x.expires_at = FromMs(sqlite3_column_int64(s, 4));
        x.ip = Col(s, 5);
        x.user_agent = Col(s, 6);
        if (auto t = ColOptInt(s, 7)) x.step_up_at = FromMs(*t);
        page.items.push_back(std::move(x));
    }
    if (rc != SQLITE_DONE) return impl_->DbError("list sessions");
    return page;
}

Result<bool> AccountStore::RevokeUserSession(int64_t user_id, const std::string& token_hash,
                                             TimePoint now, const AuditEntry& audit) {
    return impl_->Transaction<bool>([&]() -> Result<bool> {
        auto n = Run(*impl_,
                     "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND user_id = ? AND "
                     "revoked_at IS NULL",
                     "revoke session", {ToMs(now), std::string_view(token_hash), user_id});
        if (!n) return n.error();
        if (*n == 0) return false;
        if (auto a = impl_->AppendAudit(audit); !a) return a.error();
        return true;
    });
}

Result<int64_t> AccountStore::RevokeUserSessions(int64_t user_id,
                                                 const std::optional<std::string>& keep,
                                                 TimePoint now, const AuditEntry& audit) {
    return impl_->Transaction<int64_t>([&]() -> Result<int64_t> {
        auto n = RevokeAllBut(*impl_, user_id, keep, now);
        if (!n) return n.error();
        AuditEntry e = audit;
        e.detail_json = fmt::format("{{\"sessions_revoked\":{}}}", *n);
        if (auto a = impl_->AppendAudit(e); !a) return a.error();
        return *n;
    });
}

Result<void> AccountStore::NoteStepUp(const std::string& token_hash, int64_t user_id,
                                      std::optional<int64_t> totp_step, TimePoint now,
                                      const AuditEntry& audit) {
    return impl_->Transaction<void>([&]() -> Result<void> {
        auto n = Run(*impl_,
                     "UPDATE sessions SET step_up_at = ? WHERE token_hash = ? AND user_id = ? AND "
                     "revoked_at IS NULL",
                     "note step-up", {ToMs(now), std::string_view(token_hash), user_id});
        if (!n) return n.error();
        if (*n != 1) return MakeError("no live session to step up");
        auto u = Run(*impl_,
                     "UPDATE users SET failed_logins = 0, totp_last_step = max(totp_last_step, ?) "
                     "WHERE id = ?",
                     "note step-up", {totp_step.value_or(0), user_id});
        if (!u) return u.error();
        if (auto a = impl_->AppendAudit(audit); !a) return a.error();
        return {};
    });
}

}  // namespace fleet::store
