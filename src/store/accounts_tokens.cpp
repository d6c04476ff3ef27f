// AccountStore: API tokens (table api_tokens). Tokens are stored as hashes; scopes as a
// space-separated list.
#include <fmt/format.h>
#include <sqlite3.h>

#include "core/json.hpp"
#include "store/accounts.hpp"
#include "store/detail/accounts_impl.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;

std::string JoinScopes(const std::vector<std::string>& scopes) {
    std::string out;
    for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

std::vector<std::string> SplitScopes(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto space = text.find(' ');
        if (space != 0) out.emplace_back(text.substr(0, space));
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
    return out;
}

constexpr const char* kTokenColumns = "k.id, k.user_id, k.name, k.scopes, k.created_at, k.expires_at, k.last_used_at";
constexpr int kTokenColumnCount = 7;

ApiToken ReadToken(sqlite3_stmt* s, int at = 0) {
    ApiToken t;
    t.id = sqlite3_column_int64(s, at);
    t.user_id = sqlite3_column_int64(s, at + 1);
    t.name = Col(s, at + 2);
    t.scopes = SplitScopes(Col(s, at + 3));
    t.created_at = FromMs(sqlite3_column_int64(s, at + 4));
    t.expires_at = FromMs(sqlite3_column_int64(s, at + 5));
    if (auto used = ColOptInt(s, at + 6)) t.last_used_at = FromMs(*used);
    return t;
}

}  // namespace

Result<Outcome<ApiToken>> AccountStore::AddApiToken(const User& owner, const NewApiToken& in, const Actor& actor,
                                                    TimePoint now) {
    return impl_->Transaction<Outcome<ApiToken>>([&]() -> Result<Outcome<ApiToken>> {
        {
            Query q(impl_->db,
                    "SELECT count(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?");
            if (!q.ok()) return q.error("count tokens");
            q.Bind(1, owner.id).Bind(2, ToMs(now));
            if (q.Step() != SQLITE_ROW) return impl_->DbError("count tokens");
            if (sqlite3_column_int64(q.get(), 0) >= kMaxApiTokensPerUser) {
                return Outcome<ApiToken>(Refused{Refusal::kConflict,
                                                 fmt::format("you have {} live API tokens, the most allowed: revoke one first",
                                                             kMaxApiTokensPerUser)});
            }
        }
        ApiToken t;
        t.user_id = owner.id;
        t.name = in.name;
        t.scopes = in.scopes;
        t.created_at = now;
        t.expires_at = in.expires_at;
        {
            Query q(impl_->db,
                    "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)");
            if (!q.ok()) return q.error("add token");
            q.Bind(1, owner.id).Bind(2, in.name).Bind(3, in.token_hash).Bind(4, JoinScopes(in.scopes));
            q.Bind(5, ToMs(now)).Bind(6, ToMs(in.expires_at));
            if (q.Step() != SQLITE_DONE) return impl_->DbError("add token");
            t.id = sqlite3_last_insert_rowid(impl_->db);
        }
        std::string detail = "{\"name\":";
        core::AppendJsonString(detail, in.name);
        detail += ",\"scopes\":";
        core::AppendJsonString(detail, JoinScopes(in.scopes));
        detail += fmt::format(",\"expires_at\":{}}}", ToMs(in.expires_at));
        auto a = impl_->AppendAudit(
            Impl::Entry(actor, now, owner.tenant_id, "token.create", fmt::format("token:{}", t.id), detail));
        if (!a) return a.error();
        return Outcome<ApiToken>(std::move(t));
    });
}

Result<std::vector<ApiToken>> AccountStore::ListApiTokens(int64_t user_id, TimePoint now) {
    std::string sql = fmt::format(
        "SELECT {} FROM api_tokens k WHERE k.user_id = ? AND k.revoked_at IS NULL AND k.expires_at > ? "
        "ORDER BY k.id DESC LIMIT ?",
        kTokenColumns);
    Query q(impl_->db, sql.c_str());
    if (!q.ok()) return q.error("list tokens");
    q.Bind(1, user_id).Bind(2, ToMs(now)).Bind(3, kMaxApiTokensPerUser);
    std::vector<ApiToken> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadToken(q.get()));
    if (rc != SQLITE_DONE) return impl_->DbError("list tokens");
    return out;
}

Result<bool> AccountStore::RevokeApiToken(const User& owner, int64_t token_id, const Actor& actor, TimePoint now) {
    return impl_->Transaction<bool>([&]() -> Result<bool> {
        {
            Query q(impl_->db,
                    "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL "
                    "AND expires_at > ?");
            if (!q.ok()) return q.error("revoke token");
            q.Bind(1, ToMs(now)).Bind(2, token_id).Bind(3, owner.id).Bind(4, ToMs(now));
            if (q.Step() != SQLITE_DONE) return impl_->DbError("revoke token");
        }
        if (sqlite3_changes(impl_->db) == 0) return false;
        auto a = impl_->AppendAudit(
            Impl::Entry(actor, now, owner.tenant_id, "token.revoke", fmt::format("token:{}", token_id)));
        if (!a) return a.error();
        return true;
    });
}

Result<std::optional<TokenUser>> AccountStore::UseApiToken(const std::string& token_hash, TimePoint now) {
    std::string sql = fmt::format(
        "SELECT {}, t.status, t.require_totp, t.created_at, {}, k.revoked_at "
        "FROM api_tokens k JOIN users u ON u.id = k.user_id JOIN tenants t ON t.id = u.tenant_id "
        "WHERE k.token_hash = ?",
        kUserColumns, kTokenColumns);
    TokenUser tu;
    {
        Query q(impl_->db, sql.c_str());
        if (!q.ok()) return q.error("read token");
        q.Bind(1, token_hash);
        int rc = q.Step();
        if (rc == SQLITE_DONE) return std::optional<TokenUser>();
        if (rc != SQLITE_ROW) return impl_->DbError("read token");
        sqlite3_stmt* s = q.get();
        tu.user = ReadUser(s);
        constexpr int k = kUserColumnCount;
        tu.tenant.id = tu.user.tenant_id;
        tu.tenant.name = tu.user.tenant;
        tu.tenant.status = Col(s, k) == "suspended" ? TenantStatus::kSuspended : TenantStatus::kActive;
        tu.tenant.require_totp = sqlite3_column_int(s, k + 1) != 0;
        tu.tenant.created_at = FromMs(sqlite3_column_int64(s, k + 2));
        tu.token = ReadToken(s, k + 3);
        bool revoked = sqlite3_column_type(s, k + 3 + kTokenColumnCount) != SQLITE_NULL;
        if (revoked || now >= tu.token.expires_at) return std::optional<TokenUser>();
    }
    if (!tu.token.last_used_at || now - *tu.token.last_used_at >= kTokenUseResolution) {
        Query q(impl_->db, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
        if (!q.ok()) return q.error("note token use");
        q.Bind(1, ToMs(now)).Bind(2, tu.token.id);
        if (q.Step() != SQLITE_DONE) return impl_->DbError("note token use");
        tu.token.last_used_at = now;
    }
    return std::optional<TokenUser>(std::move(tu));
}

}  // namespace fleet::store
