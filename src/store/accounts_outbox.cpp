// The e-mail outbox: mail is queued in the database (in the same transaction as what caused it when
// that matters) and a sender (api/detail/mailer.*) drains it. See accounts.hpp for the contracts.
#include <fmt/format.h>
#include <sqlite3.h>

#include "store/accounts.hpp"
#include "store/detail/accounts_impl.hpp"
#include "store/detail/outbox.hpp"

namespace fleet::store {

namespace detail {

Result<int64_t> InsertMail(AccountStore::Impl& impl, const OutgoingMail& m) {
    Query q(
        impl.db,
        "INSERT INTO outbox (created_at, kind, recipient, subject, body) VALUES (?, ?, ?, ?, ?)");
    if (!q.ok()) return q.error("queue mail");
    q.Bind(1, ToMs(m.created_at))
        .Bind(2, m.kind)
        .Bind(3, m.recipient)
        .Bind(4, m.subject)
        .Bind(5, m.body);
    if (q.Step() != SQLITE_DONE) return impl.DbError("queue mail");
    return static_cast<int64_t>(sqlite3_last_insert_rowid(impl.db));
}

}  // namespace detail

Result<int64_t> AccountStore::EnqueueMail(const OutgoingMail& mail) {
    return InsertMail(*impl_, mail);
}

namespace {

// Rows of `SELECT id, created_at, kind, recipient, subject, body, attempts, sent_at FROM outbox ...`.
Result<std::vector<OutgoingMail>> ReadMail(AccountStore::Impl& impl, Query& q, const char* what) {
    std::vector<OutgoingMail> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
        sqlite3_stmt* s = q.get();
        OutgoingMail m;
        m.id = sqlite3_column_int64(s, 0);
        m.created_at = FromMs(sqlite3_column_int64(s, 1));
        m.kind = Col(s, 2);
        m.recipient = Col(s, 3);
        m.subject = Col(s, 4);
        m.body = Col(s, 5);
        m.attempts = sqlite3_column_int64(s, 6);
        if (auto sent = ColOptInt(s, 7)) m.sent_at = FromMs(*sent);
        out.push_back(std::move(m));
    }
    if (rc != SQLITE_DONE) return impl.DbError(what);
    return out;
}

}  // namespace

Result<std::vector<OutgoingMail>> AccountStore::ListUnsentMail(core::TimePoint now, int64_t limit) {
    // The back-off: after n failures, not before n² minutes after the mail was queued.
    Query q(
        impl_->db,
        "SELECT id, created_at, kind, recipient, subject, body, attempts, sent_at FROM outbox "
        "WHERE sent_at IS NULL AND attempts < ? AND created_at + attempts * attempts * 60000 <= ? "
        "ORDER BY id LIMIT ?");
    if (!q.ok()) return q.error("list unsent mail");
    q.Bind(1, kMaxMailAttempts).Bind(2, ToMs(now)).Bind(3, limit);
    return ReadMail(*impl_, q, "list unsent mail");
}

Result<std::vector<OutgoingMail>> AccountStore::ListMail(int64_t limit) {
    Query q(impl_->db,
            "SELECT id, created_at, kind, recipient, subject, body, attempts, sent_at FROM "
            "(SELECT * FROM outbox ORDER BY id DESC LIMIT ?) ORDER BY id");
    if (!q.ok()) return q.error("list mail");
    q.Bind(1, limit);
    return ReadMail(*impl_, q, "list mail");
}

Result<void> AccountStore::MarkMailSent(int64_t id, core::TimePoint now) {
    Query q(impl_->db, "UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL");
    if (!q.ok()) return q.error("mark mail sent");
    q.Bind(1, ToMs(now)).Bind(2, id);
    if (q.Step() != SQLITE_DONE) return impl_->DbError("mark mail sent");
    return {};
}

Result<void> AccountStore::MarkMailFailed(int64_t id, const std::string& error) {
    Query q(impl_->db, "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?");
    if (!q.ok()) return q.error("mark mail failed");
    q.Bind(1, std::string_view(error).substr(0, 500)).Bind(2, id);
    if (q.Step() != SQLITE_DONE) return impl_->DbError("mark mail failed");
    return {};
}

Result<int64_t> AccountStore::PruneSentMail(core::TimePoint before) {
    Query q(impl_->db, "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?");
    if (!q.ok()) return q.error("prune mail");
    q.Bind(1, ToMs(before));
    if (q.Step() != SQLITE_DONE) return impl_->DbError("prune mail");
    return static_cast<int64_t>(sqlite3_changes(impl_->db));
}

}  // namespace fleet::store
