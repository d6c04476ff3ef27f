// API tokens, tenant and user administration, audit paging and support grants, with injected times.
#include "store/accounts.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/time.hpp"
#include "store/store.hpp"

namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

// The made thing (a copy: the outcome is usually a temporary), or T{} after a failed expectation.
template <typename T>
T Made(const Outcome<T>& r) {
    EXPECT_TRUE(r.ok()) << (r.refused() ? r.refused()->detail
                            : r.error() ? r.error()->message
                                        : "");
    return r.ok() ? *r : T{};
}

// Why the change was refused; nullopt (failing the comparison) when it was not.
template <typename T>
std::optional<Refusal> RefusalOf(const Outcome<T>& r) {
    EXPECT_EQ(r.error(), nullptr) << r.error()->message;
    if (!r.refused()) return std::nullopt;
    return r.refused()->why;
}

class AdminStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("fleetd_admin_store_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "fleetd.db").string();
        ASSERT_TRUE(OpenSqliteStore(path_).ok());
        auto a = AccountStore::Open(path_);
        ASSERT_TRUE(a.ok()) << a.error().message;
        s_ = std::move(*a);
        ASSERT_TRUE(s_->EnsureOperatorTenant(cli_, now_).ok());
        ASSERT_TRUE(s_->AddTenant("acme", cli_, now_).ok());
        ASSERT_TRUE(s_->AddTenant("globex", cli_, now_).ok());
        acme_ = *s_->OperatorScope("acme");
        globex_ = *s_->OperatorScope("globex");
    }
    void TearDown() override {
        s_.reset();
        fs::remove_all(dir_);
    }

    User AddUser(TenantScope scope, const std::string& email, Role role = Role::kViewer) {
        auto u = s_->AddUser(scope, NewUser{email, "$argon2id$fake", role, false}, cli_, now_);
        EXPECT_TRUE(u.ok()) << u.error().message;
        return *u;
    }

    ApiToken AddToken(const User& u, const std::string& hash, TimePoint expires) {
        return Made(s_->AddApiToken(u, NewApiToken{"ci", hash, {"read"}, expires}, cli_, now_));
    }

    void AddSession(const User& u, const std::string& hash) {
        Session session;
        session.token_hash = hash;
        session.user_id = u.id;
        session.csrf_hash = "c";
        session.created_at = session.last_seen = now_;
        session.expires_at = now_ + 12h;
        ASSERT_TRUE(s_->CreateSession(session).ok());
    }

    bool SessionLives(const std::string& hash, TimePoint at) {
        auto su = s_->TouchSession(hash, at, SessionPolicy{});
        EXPECT_TRUE(su.ok());
        return su.ok() && su->has_value();
    }

    bool TokenLives(const std::string& hash, TimePoint at) {
        auto tu = s_->UseApiToken(hash, at);
        EXPECT_TRUE(tu.ok());
        return tu.ok() && tu->has_value();
    }

    int64_t AddGroup(TenantScope scope, const std::string& name) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        std::string sql = "INSERT INTO vehicle_groups (tenant_id, name, created_at) VALUES (" +
                          std::to_string(scope.tenant_id()) + ", '" + name + "', 0)";
        EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        int64_t id = sqlite3_last_insert_rowid(db);
        sqlite3_close(db);
        return id;
    }

    std::vector<AuditEntry> Audit(const std::string& action) {
        AuditQuery q;
        q.action = action;
        auto list = s_->ListAudit(q);
        EXPECT_TRUE(list.ok());
        return list.ok() ? *list : std::vector<AuditEntry>();
    }

    fs::path dir_;
    std::string path_;
    std::unique_ptr<AccountStore> s_;
    Actor cli_{"cli", std::nullopt, ""};
    TimePoint now_ = *core::ParseIso("2026-03-01T08:00:00Z");
    TenantScope acme_ = AccountStore::ScopeOf(User{});
    TenantScope globex_ = AccountStore::ScopeOf(User{});
};

// --- API tokens ----------------------------------------------------------------------------------

TEST_F(AdminStoreTest, ApiTokenAuthenticatesByHashUntilRevokedByItsOwner) {
    User alice = AddUser(acme_, "alice@acme.example");
    User bob = AddUser(acme_, "bob@acme.example");
    ApiToken t = AddToken(alice, "hash-1", now_ + 24h * 90);
    EXPECT_EQ(t.scopes, std::vector<std::string>{"read"});
    auto used = s_->UseApiToken("hash-1", now_ + 1h);
    ASSERT_TRUE(used.ok() && used->has_value());
    EXPECT_EQ((*used)->user.id, alice.id);
    EXPECT_EQ((*used)->tenant.name, "acme");
    EXPECT_EQ((*used)->token.id, t.id);
    EXPECT_FALSE(TokenLives("hash-2", now_));

    auto listed = s_->ListApiTokens(alice.id, now_);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].name, "ci");
    EXPECT_TRUE(s_->ListApiTokens(bob.id, now_)->empty());

    auto by_bob = s_->RevokeApiToken(bob, t.id, cli_, now_);
    ASSERT_TRUE(by_bob.ok());
    EXPECT_FALSE(*by_bob);  // another user's token: as if it did not exist
    EXPECT_TRUE(TokenLives("hash-1", now_ + 2h));
    EXPECT_TRUE(*s_->RevokeApiToken(alice, t.id, cli_, now_ + 2h));
    EXPECT_FALSE(TokenLives("hash-1", now_ + 3h));
    EXPECT_FALSE(*s_->RevokeApiToken(alice, t.id, cli_, now_ + 3h));
    EXPECT_TRUE(s_->ListApiTokens(alice.id, now_ + 3h)->empty());
    EXPECT_EQ(Audit("token.create").size(), 1u);
    EXPECT_EQ(Audit("token.revoke").size(), 1u);
}

TEST_F(AdminStoreTest, ApiTokenExpiresAndItsUseIsNotedAtMostOnceAMinute) {
    User alice = AddUser(acme_, "alice@acme.example");
    AddToken(alice, "hash-1", now_ + 24h);
    ASSERT_TRUE(TokenLives("hash-1", now_ + 10s));
    auto last_used = [&] { return (*s_->ListApiTokens(alice.id, now_))[0].last_used_at; };
    EXPECT_EQ(last_used(), now_ + 10s);
    ASSERT_TRUE(TokenLives("hash-1", now_ + 69s));
    EXPECT_EQ(last_used(), now_ + 10s);
    ASSERT_TRUE(TokenLives("hash-1", now_ + 70s));
    EXPECT_EQ(last_used(), now_ + 70s);
    EXPECT_TRUE(TokenLives("hash-1", now_ + 24h - 1ms));
    EXPECT_FALSE(TokenLives("hash-1", now_ + 24h));
    EXPECT_TRUE(s_->ListApiTokens(alice.id, now_ + 24h)->empty());
}

TEST_F(AdminStoreTest, LiveApiTokensPerUserAreCapped) {
    User alice = AddUser(acme_, "alice@acme.example");
    AddToken(alice, "short", now_ + 1h);
    for (int i = 1; i < kMaxApiTokensPerUser; ++i)
        AddToken(alice, "hash-" + std::to_string(i), now_ + 48h);
    EXPECT_EQ(RefusalOf(s_->AddApiToken(alice, NewApiToken{" ", "blank", {"read"}, now_ + 1h}, cli_,
                                        now_)),
              Refusal::kInvalid);
    NewApiToken one_more{"x", "more", {"read"}, now_ + 48h};
    EXPECT_EQ(RefusalOf(s_->AddApiToken(alice, one_more, cli_, now_)), Refusal::kConflict);
    // An expired token no longer counts.
    auto later = s_->AddApiToken(alice, one_more, cli_, now_ + 2h);
    EXPECT_EQ(Made(later).name, "x");
}

// --- tenants -------------------------------------------------------------------------------------

TEST_F(AdminStoreTest, SuspendingATenantRevokesItsUsersSessionsAndTokensForGood) {
    User alice = AddUser(acme_, "alice@acme.example");
    User gina = AddUser(globex_, "gina@globex.example");
    AddSession(alice, "s-alice");
    AddSession(gina, "s-gina");
    AddToken(alice, "t-alice", now_ + 24h);
    AddToken(gina, "t-gina", now_ + 24h);
    TenantChange suspend;
    suspend.status = TenantStatus::kSuspended;
    auto done = s_->UpdateTenant(acme_.tenant_id(), suspend, cli_, now_ + 1min);
    EXPECT_EQ(Made(done).tenant.status, TenantStatus::kSuspended);
    TenantChange activate;
    activate.status = TenantStatus::kActive;
    Made(s_->UpdateTenant(acme_.tenant_id(), activate, cli_, now_ + 2min));
    EXPECT_FALSE(SessionLives("s-alice", now_ + 3min));
    EXPECT_FALSE(TokenLives("t-alice", now_ + 3min));
    EXPECT_TRUE(SessionLives("s-gina", now_ + 3min));
    EXPECT_TRUE(TokenLives("t-gina", now_ + 3min));
    EXPECT_EQ(Audit("tenant.suspend").size(), 1u);
    EXPECT_EQ(Audit("tenant.activate").size(), 1u);
}

TEST_F(AdminStoreTest, TheAdminCommandsSuspensionRevokesTokensToo) {
    User alice = AddUser(acme_, "alice@acme.example");
    AddToken(alice, "t-alice", now_ + 24h);
    ASSERT_TRUE(s_->SetTenantStatus("acme", TenantStatus::kSuspended, cli_, now_).ok());
    ASSERT_TRUE(s_->SetTenantStatus("acme", TenantStatus::kActive, cli_, now_).ok());
    EXPECT_FALSE(TokenLives("t-alice", now_ + 1min));
    EXPECT_FALSE(s_->SetTenantStatus("nobody", TenantStatus::kActive, cli_, now_).ok());
}

TEST_F(AdminStoreTest, TheOperatorsTenantCannotBeSuspended) {
    auto op = *s_->OperatorScope("operator");
    TenantChange suspend;
    suspend.status = TenantStatus::kSuspended;
    EXPECT_EQ(RefusalOf(s_->UpdateTenant(op.tenant_id(), suspend, cli_, now_)),
              Refusal::kForbidden);
    EXPECT_EQ(RefusalOf(s_->UpdateTenant(9999, suspend, cli_, now_)), Refusal::kNotFound);
}

TEST_F(AdminStoreTest, TenantsAreCreatedWithSettingsAndOnlyChangesAreAudited) {
    NewTenant t{"initech", "America/New_York", true};
    TenantDetail made = Made(s_->CreateTenant(t, cli_, now_));
    EXPECT_EQ(made.time_zone, "America/New_York");
    EXPECT_TRUE(made.tenant.require_totp);
    EXPECT_EQ(RefusalOf(s_->CreateTenant(t, cli_, now_)), Refusal::kConflict);
    EXPECT_EQ(RefusalOf(s_->CreateTenant(NewTenant{"Bad Name"}, cli_, now_)), Refusal::kInvalid);
    EXPECT_EQ(Made(s_->CreateTenant(NewTenant{"plain"}, cli_, now_)).time_zone, "Europe/Paris");
    EXPECT_EQ(Audit("tenant.update").size(), 1u);  // initech's settings; plain has the defaults

    TenantChange same;
    same.time_zone = "America/New_York";
    same.require_totp = true;
    Made(s_->UpdateTenant(made.tenant.id, same, cli_, now_));
    EXPECT_EQ(Audit("tenant.update").size(), 1u);
    TenantChange zone;
    zone.time_zone = "Europe/Berlin";
    EXPECT_EQ(Made(s_->UpdateTenant(made.tenant.id, zone, cli_, now_)).time_zone, "Europe/Berlin");
    auto updates = Audit("tenant.update");
    ASSERT_EQ(updates.size(), 2u);
    EXPECT_EQ(updates[0].detail_json, "{\"time_zone\":\"Europe/Berlin\"}");
    EXPECT_EQ(updates[0].tenant_id, made.tenant.id);
}

TEST_F(AdminStoreTest, TenantListPagesSortsAndFilters) {
    TenantChange suspend;
    suspend.status = TenantStatus::kSuspended;
    Made(s_->UpdateTenant(globex_.tenant_id(), suspend, cli_, now_));
    Paging page;
    page.limit = 2;
    auto first = s_->ListTenantDetails(std::nullopt, "", page);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->total, 3);
    ASSERT_EQ(first->items.size(), 2u);
    EXPECT_EQ(first->items[0].tenant.name, "operator");
    page.offset = 2;
    EXPECT_EQ(s_->ListTenantDetails(std::nullopt, "", page)->items.at(0).tenant.name, "globex");
    Paging by_name{10, 0, "name", true};
    auto named = s_->ListTenantDetails(std::nullopt, "", by_name);
    EXPECT_EQ(named->items.at(0).tenant.name, "operator");
    EXPECT_EQ(named->items.at(2).tenant.name, "acme");
    auto suspended = s_->ListTenantDetails(TenantStatus::kSuspended, "", Paging{});
    ASSERT_EQ(suspended->items.size(), 1u);
    EXPECT_EQ(suspended->total, 1);
    EXPECT_EQ(suspended->items[0].tenant.name, "globex");
    EXPECT_FALSE(
        s_->ListTenantDetails(std::nullopt, "", Paging{10, 0, "name; DROP TABLE tenants", false}).ok());
    auto named_ex = s_->ListTenantDetails(std::nullopt, "EX", Paging{});
    ASSERT_TRUE(named_ex.ok());
    ASSERT_EQ(named_ex->total, 1);
    EXPECT_EQ(named_ex->items[0].tenant.name, "globex");
    EXPECT_EQ(s_->ListTenantDetails(std::nullopt, "_", Paging{})->total, 0);  // literal, not a wildcard
}

// --- users ---------------------------------------------------------------------------------------

TEST_F(AdminStoreTest, UsersAreCreatedWithNameAndOnlyTheirTenantsGroups) {
    int64_t vans = AddGroup(acme_, "vans");
    int64_t trucks = AddGroup(acme_, "trucks");
    int64_t theirs = AddGroup(globex_, "theirs");
    UserDraft draft{NewUser{"Carol@Acme.example", "$argon2id$fake", Role::kFleetManager, true},
                    "Carol O'Hara",
                    {trucks, vans}};
    UserDetail carol = Made(s_->CreateUser(acme_, draft, cli_, now_));
    EXPECT_EQ(carol.user.email, "carol@acme.example");
    EXPECT_EQ(carol.name, "Carol O'Hara");
    EXPECT_TRUE(carol.user.must_change_password);
    EXPECT_EQ(carol.group_ids,
              (std::vector<int64_t>{std::min(vans, trucks), std::max(vans, trucks)}));
    EXPECT_EQ(RefusalOf(s_->CreateUser(acme_, draft, cli_, now_)), Refusal::kConflict);
    draft.user.email = "carol@globex.example";
    EXPECT_EQ(RefusalOf(s_->CreateUser(globex_, draft, cli_, now_)),
              Refusal::kNotFound);  // acme's groups
    draft.group_ids = {theirs};
    EXPECT_EQ(RefusalOf(s_->CreateUser(acme_, draft, cli_, now_)), Refusal::kNotFound);
    draft.name = "two\nlines";
    draft.user.email = "carol2@acme.example";
    draft.group_ids = {};
    EXPECT_EQ(RefusalOf(s_->CreateUser(acme_, draft, cli_, now_)), Refusal::kInvalid);
    draft.name = "";
    draft.user.email = "not-an-address";
    EXPECT_EQ(RefusalOf(s_->CreateUser(globex_, draft, cli_, now_)), Refusal::kInvalid);
    auto added = Audit("user.add");
    ASSERT_FALSE(added.empty());
    EXPECT_NE(added[0].detail_json.find("\"name\":\"Carol O'Hara\""), std::string::npos);
    EXPECT_EQ(s_->GetUser(globex_, carol.user.id)->has_value(), false);
    EXPECT_EQ(s_->GetUser(acme_, carol.user.id)->value().name, "Carol O'Hara");
}

TEST_F(AdminStoreTest, UserListStaysInItsTenantAndSearchesLiterally) {
    AddUser(acme_, "alice@acme.example", Role::kTenantAdmin);
    AddUser(acme_, "bob@acme.example");
    AddUser(acme_, "b_o_b@acme.example");
    AddUser(acme_, "100%@acme.example");
    AddUser(globex_, "bob@globex.example");
    auto all = s_->ListUserDetails(acme_, UserFilter{}, Paging{2, 0, "email", false});
    ASSERT_TRUE(all.ok()) << all.error().message;
    EXPECT_EQ(all->total, 4);
    ASSERT_EQ(all->items.size(), 2u);
    EXPECT_EQ(all->items[0].user.email, "100%@acme.example");
    UserFilter bob;
    bob.text = "BOB";
    auto found = s_->ListUserDetails(acme_, bob, Paging{});
    ASSERT_EQ(found->items.size(), 1u);  // not globex's bob
    EXPECT_EQ(found->items[0].user.email, "bob@acme.example");
    UserFilter underscore;
    underscore.text = "b_o";  // '_' is not a wildcard
    EXPECT_EQ(s_->ListUserDetails(acme_, underscore, Paging{})->total, 1);
    UserFilter percent;
    percent.text = "%";
    EXPECT_EQ(s_->ListUserDetails(acme_, percent, Paging{})->total, 1);
    UserFilter admins;
    admins.role = Role::kTenantAdmin;
    EXPECT_EQ(s_->ListUserDetails(acme_, admins, Paging{})->total, 1);
    UserFilter disabled;
    disabled.disabled = true;
    EXPECT_EQ(s_->ListUserDetails(acme_, disabled, Paging{})->total, 0);
}

TEST_F(AdminStoreTest, UserChangesAreCheckedInTheTransactionAndDisablingRevokesCredentials) {
    User alice = AddUser(acme_, "alice@acme.example");
    AddSession(alice, "s-alice");
    AddToken(alice, "t-alice", now_ + 24h);
    int64_t vans = AddGroup(acme_, "vans");
    UserChange change;
    change.role = Role::kFleetManager;
    change.group_ids = std::vector<int64_t>{vans};
    UserCheck refuse = [&](const UserDetail& current) -> std::optional<Refused> {
        EXPECT_EQ(current.user.id, alice.id);
        return Refused{Refusal::kForbidden, "no"};
    };
    EXPECT_EQ(RefusalOf(s_->UpdateUser(acme_, alice.id, change, refuse, cli_, now_)),
              Refusal::kForbidden);
    EXPECT_EQ(s_->GetUser(acme_, alice.id)->value().user.role, Role::kViewer);
    EXPECT_EQ(RefusalOf(s_->UpdateUser(globex_, alice.id, change, nullptr, cli_, now_)),
              Refusal::kNotFound);

    UserDetail changed = Made(s_->UpdateUser(acme_, alice.id, change, nullptr, cli_, now_));
    EXPECT_EQ(changed.user.role, Role::kFleetManager);
    EXPECT_EQ(changed.group_ids, std::vector<int64_t>{vans});
    // A role change is a privilege change: the user signs in again (new session tokens).
    EXPECT_FALSE(SessionLives("s-alice", now_ + 1min));
    EXPECT_FALSE(TokenLives("t-alice", now_ + 1min));
    AddSession(alice, "s-alice-2");
    AddToken(alice, "t-alice-2", now_ + 24h);
    EXPECT_TRUE(SessionLives("s-alice-2", now_ + 1min));
    UserChange disable;
    disable.disabled = true;
    EXPECT_TRUE(
        Made(s_->UpdateUser(acme_, alice.id, disable, nullptr, cli_, now_ + 1min)).user.disabled);
    UserChange enable;
    enable.disabled = false;
    Made(s_->UpdateUser(acme_, alice.id, enable, nullptr, cli_, now_ + 2min));
    EXPECT_FALSE(SessionLives("s-alice-2", now_ + 3min));
    EXPECT_FALSE(TokenLives("t-alice-2", now_ + 3min));
    auto updates = Audit("user.update");
    ASSERT_EQ(updates.size(), 3u);
    EXPECT_EQ(updates[2].detail_json,
              "{\"role\":\"fleet-manager\",\"group_ids\":[" + std::to_string(vans) + "]}");
    Made(s_->UpdateUser(acme_, alice.id, enable, nullptr, cli_,
                        now_ + 3min));  // no change, no entry
    EXPECT_EQ(Audit("user.update").size(), 3u);
}

// --- audit ---------------------------------------------------------------------------------------

TEST_F(AdminStoreTest, AuditPagesByKeysetAndFilters) {
    for (int i = 0; i < 5; ++i) AddUser(acme_, "u" + std::to_string(i) + "@acme.example");
    AddUser(globex_, "g@globex.example");
    AuditQuery q;
    q.scope = acme_;
    q.action = "user.add";
    q.limit = 2;
    std::vector<int64_t> seen;
    for (;;) {
        auto page = s_->ListAudit(q);
        ASSERT_TRUE(page.ok());
        for (const auto& e : *page) {
            EXPECT_EQ(e.tenant_id, acme_.tenant_id());
            seen.push_back(e.id);
        }
        if (page->size() < 2) break;
        q.before_id = page->back().id;
    }
    ASSERT_EQ(seen.size(), 5u);
    EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
    // Entries added meanwhile do not shift a keyset page (they would an offset page).
    q.before_id = seen[1];
    AddUser(acme_, "late@acme.example");
    EXPECT_EQ(s_->ListAudit(q)->at(0).id, seen[2]);

    AuditEntry e;
    e.at = now_ + 1h;
    e.actor = "cli";
    e.action = "x.later";
    ASSERT_TRUE(s_->Audit(e).ok());
    AuditQuery window;
    window.from = now_ + 1h;
    ASSERT_EQ(s_->ListAudit(window)->size(), 1u);
    window.from.reset();
    window.to = now_ + 1h;
    auto before = s_->ListAudit(window);
    ASSERT_TRUE(before.ok());
    for (const auto& entry : *before) EXPECT_NE(entry.action, "x.later");
    AuditQuery everyone;  // the operator: entries of every tenant and of none
    everyone.limit = 1000;
    EXPECT_GT(s_->ListAudit(everyone)->size(), seen.size() + 1);
}

TEST(AuditJsonTest, EscapesTextAndKeepsTheDetailObject) {
    AuditEntry e;
    e.id = 7;
    e.at = *core::ParseIso("2026-03-01T08:00:00Z");
    e.actor_user_id = 3;
    e.actor = "user:3";
    e.action = "user.add";
    e.target = "\"</script>\n";
    e.detail_json = "{\"name\":\"x\"}";
    e.hash = "ab";
    EXPECT_EQ(AuditJson(e),
              "{\"id\":7,\"at\":\"2026-03-01T08:00:00.000Z\",\"tenant_id\":null,\"actor_user_id\":3,"
              "\"actor\":\"user:3\",\"action\":\"user.add\",\"target\":\"\\\"</script>\\n\",\"ip\":\"\","
              "\"detail\":{\"name\":\"x\"},\"hash\":\"ab\"}");
}

// --- support grants ------------------------------------------------------------------------------

TEST_F(AdminStoreTest, SupportGrantLastsItsHoursUnlessRevoked) {
    User alice = AddUser(acme_, "alice@acme.example", Role::kTenantAdmin);
    SupportGrant g = Made(s_->GrantSupport(alice, "ticket 42", 2h, cli_, now_));
    EXPECT_EQ(g.expires_at, now_ + 2h);
    auto active = s_->ActiveSupportGrant(acme_, now_ + 2h - 1ms);
    ASSERT_TRUE(active.ok() && active->has_value());
    EXPECT_EQ((*active)->id, g.id);
    EXPECT_EQ((*active)->reason, "ticket 42");
    EXPECT_FALSE(s_->ActiveSupportGrant(acme_, now_ + 2h)->has_value());
    EXPECT_FALSE(s_->ActiveSupportGrant(globex_, now_)->has_value());
    EXPECT_EQ(RefusalOf(s_->RevokeSupportGrant(acme_, g.id, cli_, now_ + 3h)),
              Refusal::kConflict);  // expired

    SupportGrant g2 = Made(s_->GrantSupport(alice, "ticket 43", 72h, cli_, now_ + 3h));
    EXPECT_EQ(RefusalOf(s_->RevokeSupportGrant(globex_, g2.id, cli_, now_ + 4h)),
              Refusal::kNotFound);
    EXPECT_TRUE(s_->ActiveSupportGrant(acme_, now_ + 4h)->has_value());
    EXPECT_TRUE(Made(s_->RevokeSupportGrant(acme_, g2.id, cli_, now_ + 4h)).revoked_at.has_value());
    EXPECT_FALSE(s_->ActiveSupportGrant(acme_, now_ + 4h)->has_value());
    EXPECT_EQ(RefusalOf(s_->RevokeSupportGrant(acme_, g2.id, cli_, now_ + 5h)), Refusal::kConflict);
    EXPECT_EQ(Audit("support.grant").size(), 2u);
    EXPECT_EQ(Audit("support.revoke").size(), 1u);
}

TEST_F(AdminStoreTest, ActiveSupportGrantIsTheLongestAndGrantsAreCapped) {
    User alice = AddUser(acme_, "alice@acme.example", Role::kTenantAdmin);
    Made(s_->GrantSupport(alice, "short", 1h, cli_, now_));
    int64_t longest = Made(s_->GrantSupport(alice, "long", 10h, cli_, now_)).id;
    for (int i = 2; i < kMaxActiveSupportGrants; ++i)
        Made(s_->GrantSupport(alice, "more", 2h, cli_, now_));
    EXPECT_EQ(s_->ActiveSupportGrant(acme_, now_)->value().id, longest);
    EXPECT_EQ(RefusalOf(s_->GrantSupport(alice, "too many", 1h, cli_, now_)), Refusal::kConflict);
    Made(s_->GrantSupport(alice, "after the short one ended", 1h, cli_, now_ + 1h));

    auto all = s_->ListSupportGrants(std::nullopt, std::nullopt, now_ + 3h, Paging{});
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->total, kMaxActiveSupportGrants + 1);
    auto active = s_->ListSupportGrants(acme_, true, now_ + 3h, Paging{});
    ASSERT_EQ(active->items.size(), 1u);
    EXPECT_EQ(active->items[0].id, longest);
    EXPECT_EQ(s_->ListSupportGrants(acme_, false, now_ + 3h, Paging{})->total,
              kMaxActiveSupportGrants);
    EXPECT_EQ(s_->ListSupportGrants(globex_, std::nullopt, now_, Paging{})->total, 0);
}

}  // namespace
}  // namespace fleet::store
