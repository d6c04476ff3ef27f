// Password changes and resets, a user's sessions, step-up and the outbox, at store level with
// injected times.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/time.hpp"
#include "store/accounts.hpp"
#include "store/store.hpp"

namespace fleet::store {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

class AccountSecurityStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("fleetd_account_security_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        std::string path = (dir_ / "fleetd.db").string();
        ASSERT_TRUE(OpenSqliteStore(path).ok());
        auto a = AccountStore::Open(path);
        ASSERT_TRUE(a.ok()) << a.error().message;
        store_ = std::move(*a);
        ASSERT_TRUE(store_->AddTenant("acme", cli_, now_).ok());
        auto scope = store_->OperatorScope("acme");
        ASSERT_TRUE(scope.ok());
        auto u = store_->AddUser(
            *scope, NewUser{"alice@acme.example", "old-hash", Role::kViewer, true}, cli_, now_);
        ASSERT_TRUE(u.ok());
        user_ = *u;
        auto v = store_->AddUser(
            *scope, NewUser{"bob@acme.example", "bob-hash", Role::kViewer, false}, cli_, now_);
        ASSERT_TRUE(v.ok());
        bob_ = *v;
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }

    void AddSession(const std::string& hash, int64_t user_id, TimePoint at) {
        Session s;
        s.token_hash = hash;
        s.user_id = user_id;
        s.csrf_hash = "csrf-" + hash;
        s.created_at = s.last_seen = at;
        s.expires_at = at + 12h;
        s.ip = "192.0.2.1";
        s.user_agent = "test";
        ASSERT_TRUE(store_->CreateSession(s).ok());
    }
    bool Live(const std::string& hash, TimePoint at) {
        auto su = store_->TouchSession(hash, at, policy_);
        return su.ok() && su->has_value();
    }
    AuditEntry Audit(std::string action) {
        AuditEntry e;
        e.at = now_;
        e.actor = "user:1";
        e.action = std::move(action);
        e.target = "user:1";
        return e;
    }
    OutgoingMail Mail(std::string subject) {
        OutgoingMail m;
        m.created_at = now_;
        m.kind = "password-reset";
        m.recipient = "alice@acme.example";
        m.subject = std::move(subject);
        m.body = "hello";
        return m;
    }
    std::string LastAction() {
        auto list = store_->ListAudit(std::nullopt, 1);
        return list.ok() && !list->empty() ? list->front().action + " " + list->front().detail_json
                                           : "";
    }

    fs::path dir_;
    std::unique_ptr<AccountStore> store_;
    User user_, bob_;
    Actor cli_{"cli", std::nullopt, ""};
    SessionPolicy policy_;
    TimePoint now_ = *core::ParseIso("2026-03-01T08:00:00Z");
};

TEST_F(AccountSecurityStoreTest, SetPasswordClearsTheFlagAndLockoutAndRevokesOtherSessions) {
    AddSession("mine", user_.id, now_);
    AddSession("other", user_.id, now_);
    AddSession("bobs", bob_.id, now_);
    ASSERT_TRUE(store_->NoteLoginFailure(user_.id, now_, LockoutPolicy{1, 15min}).ok());
    auto n = store_->SetPassword(user_.id, "new-hash", std::string("mine"), now_ + 1min,
                                 Audit("user.password_changed"));
    ASSERT_TRUE(n.ok()) << n.error().message;
    EXPECT_EQ(*n, 1);
    EXPECT_EQ(LastAction(), "user.password_changed {\"sessions_revoked\":1}");
    auto c = store_->FindCredentialsById(user_.id);
    ASSERT_TRUE(c.ok() && c->has_value());
    EXPECT_EQ((*c)->password_hash, "new-hash");
    EXPECT_FALSE((*c)->user.must_change_password);
    EXPECT_EQ((*c)->locked_until, TimePoint{});
    EXPECT_TRUE(Live("mine", now_ + 2min));
    EXPECT_FALSE(Live("other", now_ + 2min));
    EXPECT_TRUE(Live("bobs", now_ + 2min));  // another user's sessions are left alone
}

TEST_F(AccountSecurityStoreTest, ResetTokenWorksOnceAndQueuesItsMailWithIt) {
    ASSERT_TRUE(*store_->AddPasswordReset(user_.id, "tok", now_, now_ + 30min, 3, Mail("reset"),
                                          Audit("reset")));
    auto mail = store_->ListUnsentMail(now_, 10);
    ASSERT_TRUE(mail.ok());
    ASSERT_EQ(mail->size(), 1u);
    EXPECT_EQ((*mail)[0].subject, "reset");
    auto found = store_->FindPasswordReset("tok", now_ + 1min);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->user.id, user_.id);
    EXPECT_FALSE(store_->FindPasswordReset("other", now_ + 1min)->has_value());

    AddSession("s1", user_.id, now_);
    ASSERT_TRUE(store_->NoteLoginFailure(user_.id, now_, LockoutPolicy{1, 15min}).ok());
    auto used =
        store_->UsePasswordReset("tok", "reset-hash", now_ + 2min, Audit("user.password_reset"));
    ASSERT_TRUE(used.ok()) << used.error().message;
    ASSERT_TRUE(used->has_value());
    EXPECT_EQ(**used, user_.id);
    EXPECT_EQ(LastAction(), "user.password_reset {\"sessions_revoked\":1}");
    EXPECT_FALSE(Live("s1", now_ + 3min));  // every session ends
    auto c = store_->FindCredentialsById(user_.id);
    EXPECT_EQ((*c)->password_hash, "reset-hash");
    EXPECT_EQ((*c)->locked_until, TimePoint{});
    EXPECT_FALSE((*c)->user.must_change_password);

    // A second use, or a look-up, finds nothing.
    auto again =
        store_->UsePasswordReset("tok", "other-hash", now_ + 3min, Audit("user.password_reset"));
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->has_value());
    EXPECT_FALSE(store_->FindPasswordReset("tok", now_ + 3min)->has_value());
    EXPECT_EQ((*store_->FindCredentialsById(user_.id))->password_hash, "reset-hash");
}

TEST_F(AccountSecurityStoreTest, ResetTokenExpires) {
    ASSERT_TRUE(*store_->AddPasswordReset(user_.id, "tok", now_, now_ + 30min, 3, Mail("reset"),
                                          Audit("reset")));
    EXPECT_TRUE(store_->FindPasswordReset("tok", now_ + 30min - 1ms)->has_value());
    EXPECT_FALSE(store_->FindPasswordReset("tok", now_ + 30min)->has_value());
    auto used = store_->UsePasswordReset("tok", "h", now_ + 30min, Audit("user.password_reset"));
    ASSERT_TRUE(used.ok());
    EXPECT_FALSE(used->has_value());
    EXPECT_EQ((*store_->FindCredentialsById(user_.id))->password_hash, "old-hash");
}

TEST_F(AccountSecurityStoreTest, ResetTokensPerUserAreCappedAndVoidedByAPasswordChange) {
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(*store_->AddPasswordReset(user_.id, "t" + std::to_string(i), now_, now_ + 30min,
                                              3, Mail("r"), Audit("reset")));
    }
    EXPECT_FALSE(*store_->AddPasswordReset(user_.id, "t3", now_, now_ + 30min, 3, Mail("r"),
                                           Audit("reset")));
    EXPECT_EQ(store_->ListUnsentMail(now_, 10)->size(), 3u);  // the refused one queued nothing
    // Expired ones no longer count.
    EXPECT_TRUE(*store_->AddPasswordReset(user_.id, "t4", now_ + 31min, now_ + 61min, 3, Mail("r"),
                                          Audit("reset")));
    ASSERT_TRUE(
        store_->SetPassword(user_.id, "h", std::nullopt, now_ + 32min, Audit("changed")).ok());
    EXPECT_FALSE(store_->FindPasswordReset("t4", now_ + 33min)->has_value());
}

TEST_F(AccountSecurityStoreTest, LiveSessionsAreListedRevokedOneByOneOrAllButOne) {
    AddSession("a", user_.id, now_);
    AddSession("b", user_.id, now_ + 1min);
    AddSession("c", user_.id, now_ + 2min);
    AddSession("old", user_.id, now_ - 1h);  // idle for longer than 15 minutes
    AddSession("bobs", bob_.id, now_);
    TimePoint at = now_ + 3min;
    auto page = store_->ListLiveSessions(user_.id, at, policy_, "created_at", true, 2, 0);
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_EQ(page->total, 3);
    ASSERT_EQ(page->items.size(), 2u);
    EXPECT_EQ(page->items[0].token_hash, "c");
    EXPECT_EQ(page->items[1].token_hash, "b");
    EXPECT_FALSE(
        store_->ListLiveSessions(user_.id, at, policy_, "ip; DROP TABLE users", false, 10, 0).ok());

    EXPECT_FALSE(
        *store_->RevokeUserSession(user_.id, "bobs", at, Audit("session.revoked")));  // not hers
    EXPECT_TRUE(Live("bobs", at));
    EXPECT_TRUE(*store_->RevokeUserSession(user_.id, "a", at, Audit("session.revoked")));
    EXPECT_FALSE(*store_->RevokeUserSession(user_.id, "a", at, Audit("session.revoked")));
    EXPECT_FALSE(Live("a", at));

    auto n =
        store_->RevokeUserSessions(user_.id, std::string("c"), at, Audit("session.revoked_others"));
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 2);  // b, and the idle one not yet revoked
    EXPECT_TRUE(Live("c", at));
    EXPECT_FALSE(Live("b", at));
    EXPECT_EQ(store_->ListLiveSessions(user_.id, at, policy_, "last_seen", false, 10, 0)->total, 1);
}

TEST_F(AccountSecurityStoreTest, StepUpIsNotedOnTheSessionAndSeenByTouch) {
    AddSession("s", user_.id, now_);
    EXPECT_FALSE((*store_->TouchSession("s", now_, policy_))->session.step_up_at.has_value());
    ASSERT_TRUE(store_->NoteStepUp("s", user_.id, 123, now_ + 1min, Audit("auth.step_up")).ok());
    auto su = store_->TouchSession("s", now_ + 2min, policy_);
    ASSERT_TRUE(su.ok() && su->has_value());
    EXPECT_EQ((*su)->session.step_up_at, now_ + 1min);
    EXPECT_EQ((*store_->FindCredentialsById(user_.id))->totp_last_step, 123);
    EXPECT_FALSE(store_->NoteStepUp("s", bob_.id, std::nullopt, now_, Audit("auth.step_up")).ok());
}

TEST_F(AccountSecurityStoreTest, OutboxRetriesWithBackOffThenGivesUpAndPrunesSentMail) {
    auto id = store_->EnqueueMail(Mail("one"));
    ASSERT_TRUE(id.ok());
    auto second = store_->EnqueueMail(Mail("two"));
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(store_->ListUnsentMail(now_, 10)->size(), 2u);
    EXPECT_EQ(store_->ListUnsentMail(now_, 1)->size(), 1u);
    ASSERT_TRUE(store_->MarkMailSent(*second, now_).ok());
    ASSERT_TRUE(store_->MarkMailFailed(*id, "connection refused").ok());
    EXPECT_TRUE(store_->ListUnsentMail(now_ + 59s, 10)->empty());  // one failure: wait a minute
    ASSERT_EQ(store_->ListUnsentMail(now_ + 1min, 10)->size(), 1u);
    EXPECT_EQ(store_->ListUnsentMail(now_ + 1min, 10)->front().attempts, 1);
    for (int i = 1; i < kMaxMailAttempts; ++i)
        ASSERT_TRUE(store_->MarkMailFailed(*id, "again").ok());
    EXPECT_TRUE(store_->ListUnsentMail(now_ + 24h, 10)->empty());  // given up
    EXPECT_EQ(*store_->PruneSentMail(now_), 0);
    EXPECT_EQ(*store_->PruneSentMail(now_ + 1ms), 1);
}

}  // namespace
}  // namespace fleet::store
