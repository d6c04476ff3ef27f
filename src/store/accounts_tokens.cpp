// AccountStore: API tokens (table api_tokens). Tokens are stored as hashes; scopes as a
// space-separated list.
#include <fmt/format.h>
#include <sqlite3.h>

#include "core/json.hpp"
#include "store/accounts.hpp"
#include "store/detail/fleet_impl.hpp"

namespace fleet::store {
namespace {

using core::TimePoint;
using namespace detail;

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

constexpr const char* kTokenColumns =
    "k.id, k.user_id, k.name, k.scopes, k.created_at, k.expires_at, k.last_used_at";
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

Outcome<ApiToken> AccountStore::AddApiToken(const User& owner, const NewApiToken& in,
                                            const Actor& actor, TimePoint now) {
    if (auto bad = CheckLine("name", in.name, true)) return *bad;
    return InTransaction<ApiToken>(*impl_, [&]() -> Outcome<ApiToken> {
        Sql live;
        live << "SELECT count(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL AND "
                "expires_at > ?";
        live.Arg(owner.id).Arg(ToMs(now));
        auto n = Count(*impl_, live, "count tokens");
        if (!n) return n.error();
        if (*n >= kMaxApiTokensPerUser) {
            return Refused{
                Refusal::kConflict,
                fmt::format("you have {} live API tokens, the most allowed: revoke one first",
                            kMaxApiTokensPerUser)};
        }
        Sql insert;
        insert
            << "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, expires_at) "
               "VALUES (?, ?, ?, ?, ?, ?)";
        insert.Arg(owner.id)
            .Arg(in.name)
            .Arg(in.token_hash)
            .Arg(JoinScopes(in.scopes))
            .Arg(ToMs(now));
        insert.Arg(ToMs(in.expires_at));
        if (auto r = Change(*impl_, insert, "add token"); !r) return r.Failure<ApiToken>();
        ApiToken t{sqlite3_last_insert_rowid(impl_->db),
                   owner.id,
                   in.name,
                   in.scopes,
                   now,
                   in.expires_at,
                   std::nullopt};
        std::string detail = "{\"name\":";
        core::AppendJsonString(detail, in.name);
        detail += ",\"scopes\":";
        core::AppendJsonString(detail, JoinScopes(in.scopes));
        detail += fmt::format(",\"expires_at\":{}}}", ToMs(in.expires_at));
        if (auto a = detail::Audit(*impl_, actor, now, owner.tenant_id, "token.create",
                                   fmt::format("token:{}", t.id), detail);
            !a) {
            return a.Failure<ApiToken>();
        }
        return t;
    });
}

Result<std::vector<ApiToken>> AccountStore::ListApiTokens(int64_t user_id, TimePoint now) {
    Sql sql;
    sql << fmt::format(
        "SELECT {} FROM api_tokens k WHERE k.user_id = ? AND k.revoked_at IS NULL AND k.expires_at "
        "> ? "
        "ORDER BY k.id DESC LIMIT ?",
        kTokenColumns);
    sql.Arg(user_id).Arg(ToMs(now)).Arg(kMaxApiTokensPerUser);
    return Rows<ApiToken>(*impl_, sql, "list tokens", [](sqlite3_stmt* s) { return ReadToken(s); });
}

Result<bool> AccountStore::RevokeApiToken(const User& owner, int64_t token_id, const Actor& actor,
                                          TimePoint now) {
    auto revoked = InTransaction<bool>(*impl_, [&]() -> Outcome<bool> {
        Sql update;
        update << "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND "
                  "revoked_at IS NULL "
                  "AND expires_at > ?";
        update.Arg(ToMs(now)).Arg(token_id).Arg(owner.id).Arg(ToMs(now));
        if (auto r = Change(*impl_, update, "revoke token"); !r) return r.Failure<bool>();
        if (sqlite3_changes(impl_->db) == 0) return false;
        if (auto a = detail::Audit(*impl_, actor, now, owner.tenant_id, "token.revoke",
                                   fmt::format("token:{}", token_id));
            !a) {
            return a.Failure<bool>();
        }
        return true;
    });
    if (const Error* e = revoked.error()) return *e;
    return *revoked;
}

Result<std::optional<TokenUser>> AccountStore::UseApiToken(const std::string& token_hash,
                                                           TimePoint now) {
    std::string sql = fmt::format(
        "SELECT {}, t.status, t.created_at, {}, k.revoked_at "
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
        tu.tenant.status =
            Col(s, k) == "suspended" ? TenantStatus::kSuspended : TenantStatus::kActive;
        tu.tenant.require_totp = tu.user.tenant_requires_totp;
        tu.tenant.created_at = FromMs(sqlite3_column_int64(s, k + 1));
        tu.token = ReadToken(s, k + 2);
        bool revoked = sqlite3_column_type(s, k + 2 + kTokenColumnCount) != SQLITE_NULL;
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
