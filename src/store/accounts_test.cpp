#include "store/accounts.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "core/time.hpp"
#include "store/store.hpp"

namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

class AccountStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("fleetd_accounts_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "fleetd.db").string();
        auto s = OpenSqliteStore(path_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        auto a = AccountStore::Open(path_);
        ASSERT_TRUE(a.ok()) << a.error().message;
        accounts_ = std::move(*a);
    }
    void TearDown() override {
        accounts_.reset();
        fs::remove_all(dir_);
    }

    // Runs SQL on a connection of its own, as someone with access to the file would.
    void Tamper(const std::string& sql) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        char* err = nullptr;
        int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
        std::string msg = err ? err : "";
        sqlite3_free(err);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << msg;
    }

    User AddUser(const std::string& tenant, const std::string& email, Role role = Role::kViewer) {
        auto scope = accounts_->OperatorScope(tenant);
        EXPECT_TRUE(scope.ok());
        auto u = accounts_->AddUser(*scope, NewUser{email, "$argon2id$fake", role, false}, cli_, now_);
        EXPECT_TRUE(u.ok()) << u.error().message;
        return *u;
    }

    fs::path dir_;
    std::string path_;
    std::unique_ptr<AccountStore> accounts_;
    Actor cli_{"cli", std::nullopt, ""};
    TimePoint now_ = *core::ParseIso("2026-03-01T08:00:00Z");
};

TEST_F(AccountStoreTest, TenantsAreAddedOnceAndListed) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    auto again = accounts_->AddTenant("acme", cli_, now_);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("exists"), std::string::npos);
    EXPECT_FALSE(accounts_->AddTenant("Bad Name", cli_, now_).ok());
    ASSERT_TRUE(accounts_->EnsureOperatorTenant(cli_, now_).ok());
    ASSERT_TRUE(accounts_->EnsureOperatorTenant(cli_, now_).ok());
    auto list = accounts_->ListTenants();
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].name, "acme");
    EXPECT_EQ((*list)[1].name, "operator");
}

TEST_F(AccountStoreTest, OperatorTenantCannotBeSuspended) {
    ASSERT_TRUE(accounts_->EnsureOperatorTenant(cli_, now_).ok());
    EXPECT_FALSE(accounts_->SetTenantStatus("operator", TenantStatus::kSuspended, cli_, now_).ok());
}

TEST_F(AccountStoreTest, UsersAreSeenOnlyThroughTheirTenantsScope) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    ASSERT_TRUE(accounts_->AddTenant("globex", cli_, now_).ok());
    User a = AddUser("acme", "Alice@Acme.example", Role::kTenantAdmin);
    User b = AddUser("globex", "bob@globex.example");
    EXPECT_EQ(a.email, "alice@acme.example");
    EXPECT_EQ(a.tenant, "acme");

    TenantScope acme = AccountStore::ScopeOf(a);
    auto users = accounts_->ListUsers(acme);
    ASSERT_TRUE(users.ok());
    ASSERT_EQ(users->size(), 1u);
    EXPECT_EQ((*users)[0].email, "alice@acme.example");

    auto own = accounts_->FindUser(acme, a.id);
    ASSERT_TRUE(own.ok());
    EXPECT_TRUE(own->has_value());
    auto other = accounts_->FindUser(acme, b.id);  // globex's user through acme's scope
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other->has_value());
}

TEST_F(AccountStoreTest, EmailsAreUniqueAcrossTenantsWhateverTheCase) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    ASSERT_TRUE(accounts_->AddTenant("globex", cli_, now_).ok());
    AddUser("acme", "alice@example.com");
    auto scope = accounts_->OperatorScope("globex");
    ASSERT_TRUE(scope.ok());
    EXPECT_FALSE(accounts_->AddUser(*scope, NewUser{"ALICE@example.com", "h", Role::kViewer, false}, cli_, now_).ok());
    EXPECT_FALSE(accounts_->AddUser(*scope, NewUser{"not-an-email", "h", Role::kViewer, false}, cli_, now_).ok());
}

TEST_F(AccountStoreTest, LockoutAfterConsecutiveFailures) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    User u = AddUser("acme", "alice@acme.example");
    LockoutPolicy policy{5, 15min};
    for (int i = 0; i < 4; ++i) {
        auto r = accounts_->NoteLoginFailure(u.id, now_, policy);
        ASSERT_TRUE(r.ok());
        EXPECT_FALSE(r->has_value()) << "failure " << i + 1;
    }
    auto fifth = accounts_->NoteLoginFailure(u.id, now_, policy);
    ASSERT_TRUE(fifth.ok());
    ASSERT_TRUE(fifth->has_value());
    EXPECT_EQ(**fifth, now_ + 15min);
    auto c = accounts_->FindCredentials("ALICE@acme.example");
    ASSERT_TRUE(c.ok() && c->has_value());
    EXPECT_EQ((*c)->locked_until, now_ + 15min);
    EXPECT_EQ((*c)->failed_logins, 0);
}

TEST_F(AccountStoreTest, SuccessResetsTheFailureCount) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    User u = AddUser("acme", "alice@acme.example");
    LockoutPolicy policy{5, 15min};
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(accounts_->NoteLoginFailure(u.id, now_, policy).ok());
    ASSERT_TRUE(accounts_->NoteLoginSuccess(u.id, std::nullopt, std::nullopt).ok());
    auto r = accounts_->NoteLoginFailure(u.id, now_, policy);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());  // 1 failure, not 5
}

class SessionTest : public AccountStoreTest {
protected:
    void SetUp() override {
        AccountStoreTest::SetUp();
        ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
        user_ = AddUser("acme", "alice@acme.example");
        Session s;
        s.token_hash = "tokenhash";
        s.user_id = user_.id;
        s.csrf_hash = "csrfhash";
        s.created_at = s.last_seen = now_;
        s.expires_at = now_ + 12h;
        s.ip = "127.0.0.1";
        ASSERT_TRUE(accounts_->CreateSession(s).ok());
    }
    bool Valid(TimePoint t) {
        auto r = accounts_->TouchSession("tokenhash", t, policy_);
        EXPECT_TRUE(r.ok());
        return r.ok() && r->has_value();
    }
    User user_;
    SessionPolicy policy_{15min, 12h};
};

TEST_F(SessionTest, UseWithinTheIdleTimeoutKeepsTheSessionAlive) {
    TimePoint t = now_;
    for (int i = 0; i < 10; ++i) {
        t += 14min;
        ASSERT_TRUE(Valid(t)) << "after " << (i + 1) * 14 << " min";
    }
}

TEST_F(SessionTest, UseIsNotedAtMostEveryResolutionAndIdleCountsFromTheNotedUse) {
    // A use 20 s after the noted one is not written; the idle timeout still counts from the noted use.
    EXPECT_TRUE(Valid(now_ + 20s));
    EXPECT_FALSE(Valid(now_ + 15min + 10s));
}

TEST_F(SessionTest, UseAfterTheResolutionIsNoted) {
    EXPECT_TRUE(Valid(now_ + kSessionUseResolution));
    EXPECT_TRUE(Valid(now_ + kSessionUseResolution + 15min));
}

TEST_F(SessionTest, IdleSessionEndsAndStaysEnded) {
    EXPECT_TRUE(Valid(now_ + 15min));
    EXPECT_FALSE(Valid(now_ + 30min + 1ms));
    EXPECT_FALSE(Valid(now_ + 30min + 2ms));  // revoked, not revived by use
}

TEST_F(SessionTest, AbsoluteTimeoutEndsAnActiveSession) {
    TimePoint t = now_;
    while (t + 10min < now_ + 12h) {
        t += 10min;
        ASSERT_TRUE(Valid(t));
    }
    EXPECT_FALSE(Valid(now_ + 12h));
}

TEST_F(SessionTest, RevokedSessionIsRefused) {
    auto r = accounts_->RevokeSession("tokenhash", now_ + 1min);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(*r);
    EXPECT_FALSE(Valid(now_ + 2min));
    auto again = accounts_->RevokeSession("tokenhash", now_ + 3min);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);
}

TEST_F(SessionTest, SuspendingTheTenantEndsItsSessions) {
    ASSERT_TRUE(accounts_->SetTenantStatus("acme", TenantStatus::kSuspended, cli_, now_).ok());
    EXPECT_FALSE(Valid(now_ + 1min));
}

TEST_F(AccountStoreTest, AuditChainVerifiesAndEveryChangeIsAudited) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    AddUser("acme", "alice@acme.example");
    ASSERT_TRUE(accounts_->SetTenantStatus("acme", TenantStatus::kSuspended, cli_, now_).ok());
    auto check = accounts_->VerifyAudit();
    ASSERT_TRUE(check.ok());
    EXPECT_TRUE(check->ok);
    EXPECT_EQ(check->entries, 3);
    EXPECT_EQ(check->head_hash.size(), 64u);
    auto list = accounts_->ListAudit(std::nullopt, 10);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 3u);
    EXPECT_EQ((*list)[0].action, "tenant.suspend");
    EXPECT_EQ((*list)[1].action, "user.add");
    EXPECT_EQ((*list)[2].action, "tenant.add");
    EXPECT_EQ((*list)[2].prev_hash, kAuditGenesis);
    EXPECT_EQ((*list)[1].prev_hash, (*list)[2].hash);
}

TEST_F(AccountStoreTest, AuditLogRefusesUpdatesThroughSql) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_NE(sqlite3_exec(db, "UPDATE audit_log SET actor = 'x'", nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit_log", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
}

TEST_F(AccountStoreTest, AuditVerifyFindsAModifiedEntry) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    ASSERT_TRUE(accounts_->AddTenant("globex", cli_, now_).ok());
    ASSERT_TRUE(accounts_->AddTenant("initech", cli_, now_).ok());
    Tamper("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET target = 'tenant:evil' WHERE id = 2");
    auto check = accounts_->VerifyAudit();
    ASSERT_TRUE(check.ok());
    EXPECT_FALSE(check->ok);
    ASSERT_TRUE(check->first_broken_id.has_value());
    EXPECT_EQ(*check->first_broken_id, 2);
}

TEST_F(AccountStoreTest, AuditVerifyFindsARecomputedHashByTheNextLink) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    ASSERT_TRUE(accounts_->AddTenant("globex", cli_, now_).ok());
    // Rewriting an entry together with its own hash still breaks the next entry's prev_hash.
    auto list = accounts_->ListAudit(std::nullopt, 10);
    ASSERT_TRUE(list.ok());
    AuditEntry first = list->back();
    first.target = "tenant:evil";
    std::string forged = AuditHash(first);
    Tamper("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET target = 'tenant:evil', hash = '" + forged +
           "' WHERE id = 1");
    auto check = accounts_->VerifyAudit();
    ASSERT_TRUE(check.ok());
    EXPECT_FALSE(check->ok);
    EXPECT_EQ(check->first_broken_id.value_or(0), 2);
}

TEST_F(AccountStoreTest, AuditVerifyFindsADeletedEntry) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    ASSERT_TRUE(accounts_->AddTenant("globex", cli_, now_).ok());
    ASSERT_TRUE(accounts_->AddTenant("initech", cli_, now_).ok());
    Tamper("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 2");
    auto check = accounts_->VerifyAudit();
    ASSERT_TRUE(check.ok());
    EXPECT_FALSE(check->ok);
    EXPECT_EQ(check->first_broken_id.value_or(0), 3);
}

TEST_F(AccountStoreTest, AuditListIsScopedToATenant) {
    ASSERT_TRUE(accounts_->AddTenant("acme", cli_, now_).ok());
    ASSERT_TRUE(accounts_->AddTenant("globex", cli_, now_).ok());
    auto scope = accounts_->OperatorScope("acme");
    ASSERT_TRUE(scope.ok());
    auto list = accounts_->ListAudit(*scope, 10);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ((*list)[0].target, "tenant:acme");
}

}  // namespace
}  // namespace fleet::store
