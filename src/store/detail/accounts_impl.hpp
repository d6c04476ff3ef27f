// The inside of AccountStore, shared by the files that implement it (accounts*.cpp) and by the
// stores that work on the same connection (FleetStore): SQL helpers, row readers and Impl.
// Not part of the store's interface: include only from src/store.
#pragma once

#include <fmt/format.h>
#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "store/accounts.hpp"

namespace fleet::store::detail {


using core::TimePoint;

inline int64_t ToMs(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromMs(int64_t ms) { return TimePoint{core::Millis{ms}}; }

inline constexpr const char* kRoles[] = {"operator-admin", "tenant-admin", "fleet-manager", "viewer", "driver"};

inline std::string_view Col(sqlite3_stmt* s, int i) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string_view();
}

inline std::optional<int64_t> ColOptInt(sqlite3_stmt* s, int i) {
    if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(s, i);
}

// A prepared statement bound by position; reset when it goes out of scope.
class Query {
public:
    Query(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) error_ = sqlite3_errmsg(db);
    }
    ~Query() { sqlite3_finalize(s_); }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    bool ok() const { return s_ != nullptr; }
    Error error(std::string_view what) const {
        return MakeError(fmt::format("sqlite: {}: {}", what, error_.empty() ? sqlite3_errmsg(db_) : error_));
    }
    Query& Bind(int i, std::string_view v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Query& Bind(int i, int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    Query& Bind(int i, std::optional<int64_t> v) {
        if (v) {
            sqlite3_bind_int64(s_, i, *v);
        } else {
            sqlite3_bind_null(s_, i);
        }
        return *this;
    }
    Query& BindReal(int i, double v) {
        sqlite3_bind_double(s_, i, v);
        return *this;
    }
    Query& BindNull(int i) {
        sqlite3_bind_null(s_, i);
        return *this;
    }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int Step() { return sqlite3_step(s_); }
    sqlite3_stmt* get() const { return s_; }

private:
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
    std::string error_;
};

inline constexpr const char* kTenantColumns = "id, name, status, require_totp, created_at";

inline Tenant ReadTenant(sqlite3_stmt* s) {
    Tenant t;
    t.id = sqlite3_column_int64(s, 0);
    t.name = Col(s, 1);
    t.status = Col(s, 2) == "suspended" ? TenantStatus::kSuspended : TenantStatus::kActive;
    t.require_totp = sqlite3_column_int(s, 3) != 0;
    t.created_at = FromMs(sqlite3_column_int64(s, 4));
    return t;
}

// users u JOIN tenants t; the columns ReadUser reads, then the credential columns.
inline constexpr const char* kUserColumns =
    "u.id, u.tenant_id, t.name, u.email, u.role, u.must_change_password, u.totp_secret_sealed IS NOT NULL, "
    "u.disabled, u.created_at, t.require_totp, t.time_zone";
inline constexpr int kUserColumnCount = 11;

inline User ReadUser(sqlite3_stmt* s) {
    User u;
    u.id = sqlite3_column_int64(s, 0);
    u.tenant_id = sqlite3_column_int64(s, 1);
    u.tenant = Col(s, 2);
    u.email = Col(s, 3);
    u.role = ParseRole(Col(s, 4)).value_or(Role::kViewer);
    u.must_change_password = sqlite3_column_int(s, 5) != 0;
    u.totp_enabled = sqlite3_column_int(s, 6) != 0;
    u.disabled = sqlite3_column_int(s, 7) != 0;
    u.created_at = FromMs(sqlite3_column_int64(s, 8));
    u.tenant_requires_totp = sqlite3_column_int(s, 9) != 0;
    u.tenant_time_zone = std::string(Col(s, 10));
    return u;
}

// users u JOIN tenants t: the user's columns, then what sign-in needs (ReadCredentials).
inline const std::string kCredentialColumns = std::string(kUserColumns) +
    ", t.status, u.password_hash, u.totp_secret_sealed, u.totp_last_step, u.failed_logins, u.locked_until";

inline Credentials ReadCredentials(sqlite3_stmt* s) {
    Credentials c;
    c.user = ReadUser(s);
    constexpr int k = kUserColumnCount;
    c.tenant_status = Col(s, k) == "suspended" ? TenantStatus::kSuspended : TenantStatus::kActive;
    c.password_hash = Col(s, k + 1);
    if (sqlite3_column_type(s, k + 2) != SQLITE_NULL) c.totp_secret_sealed = std::string(Col(s, k + 2));
    c.totp_last_step = sqlite3_column_int64(s, k + 3);
    c.failed_logins = sqlite3_column_int64(s, k + 4);
    c.locked_until = FromMs(sqlite3_column_int64(s, k + 5));
    return c;
}

inline constexpr const char* kAuditColumns =
    "id, at, tenant_id, actor_user_id, actor, action, target, ip, detail, prev_hash, hash";

inline AuditEntry ReadAudit(sqlite3_stmt* s) {
    AuditEntry e;
    e.id = sqlite3_column_int64(s, 0);
    e.at = FromMs(sqlite3_column_int64(s, 1));
    e.tenant_id = ColOptInt(s, 2);
    e.actor_user_id = ColOptInt(s, 3);
    e.actor = Col(s, 4);
    e.action = Col(s, 5);
    e.target = Col(s, 6);
    e.ip = Col(s, 7);
    e.detail_json = Col(s, 8);
    e.prev_hash = Col(s, 9);
    e.hash = Col(s, 10);
    return e;
}

inline bool ValidTenantName(const std::string& name) {
    return !name.empty() && name.size() <= 64 && name.front() != '-' &&
           name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
}

}  // namespace fleet::store::detail

namespace fleet::store {

using namespace detail;  // internal header: the helpers above are this module's own

struct AccountStore::Impl {
    using TimePoint = core::TimePoint;
    sqlite3* db = nullptr;
    bool owned = true;  // false: a borrowed connection (AccountStore::Borrow), closed by its owner

    ~Impl() {
        if (owned) sqlite3_close_v2(db);
    }

    Error DbError(std::string_view what) const {
        return MakeError(fmt::format("sqlite: {}: {}", what, sqlite3_errmsg(db)));
    }

    Result<void> Exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errmsg(db);
            sqlite3_free(err);
            return MakeError("sqlite: " + msg);
        }
        return {};
    }

    void Rollback() {
        if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }

    // Runs `body` in a BEGIN IMMEDIATE transaction: committed when it returns ok, rolled back else.
    template <typename T, typename F>
    Result<T> Transaction(F&& body) {
        if (auto r = Exec("BEGIN IMMEDIATE"); !r) return r.error();
        Result<T> result = body();
        if (!result) {
            Rollback();
            return result;
        }
        if (auto r = Exec("COMMIT"); !r) {
            Rollback();
            return r.error();
        }
        return result;
    }

    // Appends an audit entry; call inside a transaction (the chain's head must not move meanwhile).
    Result<AuditEntry> AppendAudit(const AuditEntry& in) {
        AuditEntry e = in;
        e.prev_hash = kAuditGenesis;
        e.id = 1;
        {
            Query q(db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
            if (!q.ok()) return q.error("read audit head");
            int rc = q.Step();
            if (rc == SQLITE_ROW) {
                e.id = sqlite3_column_int64(q.get(), 0) + 1;
                e.prev_hash = Col(q.get(), 1);
            } else if (rc != SQLITE_DONE) {
                return DbError("read audit head");
            }
        }
        if (e.detail_json.empty()) e.detail_json = "{}";
        e.hash = AuditHash(e);
        Query q(db, "INSERT INTO audit_log (id, at, tenant_id, actor_user_id, actor, action, target, ip, detail, "
                    "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (!q.ok()) return q.error("append audit");
        q.Bind(1, e.id).Bind(2, ToMs(e.at)).Bind(3, e.tenant_id).Bind(4, e.actor_user_id).Bind(5, e.actor);
        q.Bind(6, e.action).Bind(7, e.target).Bind(8, e.ip).Bind(9, e.detail_json).Bind(10, e.prev_hash);
        q.Bind(11, e.hash);
        if (q.Step() != SQLITE_DONE) return DbError("append audit");
        return e;
    }

    static AuditEntry Entry(const Actor& actor, TimePoint now, std::optional<int64_t> tenant_id, std::string action,
                            std::string target, std::string detail = "{}") {
        AuditEntry e;
        e.at = now;
        e.tenant_id = tenant_id;
        e.actor_user_id = actor.user_id;
        e.actor = actor.name;
        e.action = std::move(action);
        e.target = std::move(target);
        e.ip = actor.ip;
        e.detail_json = std::move(detail);
        return e;
    }

    Result<std::optional<Tenant>> FindTenant(const std::string& name) {
        std::string sql = fmt::format("SELECT {} FROM tenants WHERE name = ?", kTenantColumns);
        Query q(db, sql.c_str());
        if (!q.ok()) return q.error("find tenant");
        q.Bind(1, name);
        int rc = q.Step();
        if (rc == SQLITE_ROW) return std::optional<Tenant>(ReadTenant(q.get()));
        if (rc != SQLITE_DONE) return DbError("find tenant");
        return std::optional<Tenant>();
    }

    Result<Tenant> InsertTenant(const std::string& name, const Actor& actor, TimePoint now) {
        Query q(db, "INSERT INTO tenants (name, status, require_totp, created_at) VALUES (?, 'active', 0, ?)");
        if (!q.ok()) return q.error("add tenant");
        q.Bind(1, name).Bind(2, ToMs(now));
        int rc = q.Step();
        if (rc == SQLITE_CONSTRAINT) return MakeError("a tenant named '" + name + "' exists");
        if (rc != SQLITE_DONE) return DbError("add tenant");
        Tenant t;
        t.id = sqlite3_last_insert_rowid(db);
        t.name = name;
        t.created_at = now;
        std::string detail = "{\"name\":";
        core::AppendJsonString(detail, name);
        detail += "}";
        auto a = AppendAudit(Entry(actor, now, t.id, "tenant.add", "tenant:" + name, detail));
        if (!a) return a.error();
        return t;
    }

    // Revokes the live sessions and API tokens of the users matching `who` ("id = ?" or
    // "tenant_id = ?", bound to `id`): what disabling a user or suspending a tenant does.
    Result<void> RevokeCredentials(const char* who, int64_t id, TimePoint now) {
        for (const char* table : {"sessions", "api_tokens"}) {
            std::string sql = fmt::format(
                "UPDATE {} SET revoked_at = ? WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE {})",
                table, who);
            Query q(db, sql.c_str());
            if (!q.ok()) return q.error("revoke credentials");
            q.Bind(1, ToMs(now)).Bind(2, id);
            if (q.Step() != SQLITE_DONE) return DbError("revoke credentials");
        }
        return {};
    }

    // Inserts a user row (e-mail already normalised); nullopt when the e-mail is taken. Call inside
    // a transaction; the caller audits.
    Result<std::optional<int64_t>> InsertUser(int64_t tenant_id, const std::string& email, const NewUser& in,
                                              const std::string& name, TimePoint now) {
        Query q(db,
                "INSERT INTO users (tenant_id, email, password_hash, role, must_change_password, created_at, name) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)");
        if (!q.ok()) return q.error("add user");
        q.Bind(1, tenant_id).Bind(2, email).Bind(3, in.password_hash).Bind(4, ToString(in.role));
        q.Bind(5, int64_t{in.must_change_password ? 1 : 0}).Bind(6, ToMs(now)).Bind(7, name);
        int rc = q.Step();
        if (rc == SQLITE_CONSTRAINT) return std::optional<int64_t>();
        if (rc != SQLITE_DONE) return DbError("add user");
        return std::optional<int64_t>(sqlite3_last_insert_rowid(db));
    }

    Result<std::optional<User>> FindUserWhere(const char* where, int64_t a, std::optional<int64_t> b) {
        std::string sql =
            fmt::format("SELECT {} FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE {}", kUserColumns, where);
        Query q(db, sql.c_str());
        if (!q.ok()) return q.error("find user");
        q.Bind(1, a);
        if (b) q.Bind(2, *b);
        int rc = q.Step();
        if (rc == SQLITE_ROW) return std::optional<User>(ReadUser(q.get()));
        if (rc != SQLITE_DONE) return DbError("find user");
        return std::optional<User>();
    }
};

}  // namespace fleet::store
