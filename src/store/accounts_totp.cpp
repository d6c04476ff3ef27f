// AccountStore: TOTP enrolment (pending, then active) and recovery codes.
#include <sqlite3.h>

#include "store/accounts.hpp"
#include "store/detail/accounts_impl.hpp"

namespace fleet::store {

Result<void> AccountStore::SetPendingTotp(int64_t user_id, const std::string& sealed) {
    Query q(impl_->db, "UPDATE users SET totp_pending_sealed = ? WHERE id = ?");
    if (!q.ok()) return q.error("set pending totp");
    q.Bind(1, sealed).Bind(2, user_id);
    if (q.Step() != SQLITE_DONE) return impl_->DbError("set pending totp");
    return {};
}

Result<std::optional<std::string>> AccountStore::PendingTotp(int64_t user_id) {
    Query q(impl_->db, "SELECT totp_pending_sealed FROM users WHERE id = ? AND totp_pending_sealed IS NOT NULL");
    if (!q.ok()) return q.error("read pending totp");
    q.Bind(1, user_id);
    int rc = q.Step();
    if (rc == SQLITE_ROW) return std::optional<std::string>(std::string(Col(q.get(), 0)));
    if (rc != SQLITE_DONE) return impl_->DbError("read pending totp");
    return std::optional<std::string>();
}

namespace {

Result<void> InsertCodes(AccountStore::Impl& impl, int64_t user_id, const std::vector<std::string>& hashes) {
    {
        Query del(impl.db, "DELETE FROM recovery_codes WHERE user_id = ?");
        if (!del.ok()) return del.error("replace recovery codes");
        del.Bind(1, user_id);
        if (del.Step() != SQLITE_DONE) return impl.DbError("replace recovery codes");
    }
    for (const auto& h : hashes) {
        Query ins(impl.db, "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)");
        if (!ins.ok()) return ins.error("add recovery code");
        ins.Bind(1, user_id).Bind(2, h);
        if (ins.Step() != SQLITE_DONE) return impl.DbError("add recovery code");
    }
    return {};
}

}  // namespace

Result<void> AccountStore::ActivateTotp(int64_t user_id, int64_t step, const std::vector<std::string>& code_hashes,
                                        const AuditEntry& audit) {
    return impl_->Transaction<void>([&]() -> Result<void> {
        Query q(impl_->db,
                "UPDATE users SET totp_secret_sealed = totp_pending_sealed, totp_pending_sealed = NULL, "
                "totp_last_step = ? WHERE id = ? AND totp_pending_sealed IS NOT NULL");
        if (!q.ok()) return q.error("activate totp");
        q.Bind(1, step).Bind(2, user_id);
        if (q.Step() != SQLITE_DONE) return impl_->DbError("activate totp");
        if (sqlite3_changes(impl_->db) != 1) return MakeError("no pending TOTP enrolment");
        if (auto r = InsertCodes(*impl_, user_id, code_hashes); !r) return r;
        if (auto a = impl_->AppendAudit(audit); !a) return a.error();
        return {};
    });
}

Result<void> AccountStore::DisableTotp(int64_t user_id, const AuditEntry& audit) {
    return impl_->Transaction<void>([&]() -> Result<void> {
        Query q(impl_->db,
                "UPDATE users SET totp_secret_sealed = NULL, totp_pending_sealed = NULL, totp_last_step = 0 WHERE id = ?");
        if (!q.ok()) return q.error("disable totp");
        q.Bind(1, user_id);
        if (q.Step() != SQLITE_DONE) return impl_->DbError("disable totp");
        if (auto r = InsertCodes(*impl_, user_id, {}); !r) return r;
        if (auto a = impl_->AppendAudit(audit); !a) return a.error();
        return {};
    });
}

Result<void> AccountStore::ReplaceRecoveryCodes(int64_t user_id, const std::vector<std::string>& code_hashes,
                                                const AuditEntry& audit) {
    return impl_->Transaction<void>([&]() -> Result<void> {
        if (auto r = InsertCodes(*impl_, user_id, code_hashes); !r) return r;
        if (auto a = impl_->AppendAudit(audit); !a) return a.error();
        return {};
    });
}

Result<std::vector<std::string>> AccountStore::UnusedRecoveryCodes(int64_t user_id) {
    Query q(impl_->db, "SELECT code_hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL");
    if (!q.ok()) return q.error("read recovery codes");
    q.Bind(1, user_id);
    std::vector<std::string> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.emplace_back(Col(q.get(), 0));
    if (rc != SQLITE_DONE) return impl_->DbError("read recovery codes");
    return out;
}

Result<bool> AccountStore::UseRecoveryCode(int64_t user_id, const std::string& code_hash, core::TimePoint now) {
    Query q(impl_->db, "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL");
    if (!q.ok()) return q.error("use recovery code");
    q.Bind(1, ToMs(now)).Bind(2, user_id).Bind(3, code_hash);
    if (q.Step() != SQLITE_DONE) return impl_->DbError("use recovery code");
    return sqlite3_changes(impl_->db) == 1;
}

}  // namespace fleet::store
