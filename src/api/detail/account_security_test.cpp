// The account-security rules with an injected clock and a cheap hash: password change, reset by
// e-mail, step-up, the lockout e-mail, and outbox delivery.
#include "api/detail/account_security.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "api/detail/mailer.hpp"
#include "api/detail/router.hpp"
#include "api/detail/sign_in.hpp"
#include "api/detail/step_up.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace fleet::api::detail {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using namespace std::chrono_literals;

constexpr const char* kPassword = "plum-orchard-telescope-42";
constexpr const char* kNewPassword = "quiet-harbour-lantern-97";

class AccountSecurityTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(auth::Init().ok());
        dir_ = fs::temp_directory_path() /
               ("fleetd_account_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        std::string path = (dir_ / "fleetd.db").string();
        ASSERT_TRUE(store::OpenSqliteStore(path).ok());
        auto a = store::AccountStore::Open(path);
        ASSERT_TRUE(a.ok()) << a.error().message;
        store_ = std::move(*a);
        box_ = std::make_unique<auth::SecretBox>(
            auth::SecretBox::FromKey(std::vector<uint8_t>(32, 7)));
        common_ = std::make_unique<auth::CommonPasswords>(
            auth::CommonPasswords::FromList({"password1234"}));
        account_ = std::make_unique<AccountSecurity>(AccountSettings{lockout_, cost_},
                                                     common_.get(), box_.get());
        ASSERT_TRUE(store_->AddTenant("acme", cli_, now_).ok());
        auto scope = store_->OperatorScope("acme");
        auto hash = auth::HashPassword(kPassword, cost_);
        ASSERT_TRUE(scope.ok() && hash.ok());
        auto u = store_->AddUser(
            *scope, store::NewUser{"alice@acme.example", *hash, store::Role::kViewer, true}, cli_,
            now_);
        ASSERT_TRUE(u.ok());
        user_ = *u;
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }

    std::string AddSession(const std::string& name) {
        store::Session s;
        s.token_hash = name;
        s.user_id = user_.id;
        s.csrf_hash = "c";
        s.created_at = s.last_seen = now_;
        s.expires_at = now_ + 12h;
        EXPECT_TRUE(store_->CreateSession(s).ok());
        return name;
    }
    bool Live(const std::string& hash, TimePoint at) {
        auto su = store_->TouchSession(hash, at, store::SessionPolicy{});
        return su.ok() && su->has_value();
    }
    std::vector<store::OutgoingMail> Mail(TimePoint at) {
        auto m = store_->ListUnsentMail(at, 100);
        EXPECT_TRUE(m.ok());
        return m.ok() ? *m : std::vector<store::OutgoingMail>{};
    }
    bool PasswordIs(const std::string& password) {
        auto c = store_->FindCredentialsById(user_.id);
        return c.ok() && c->has_value() && auth::VerifyPassword((*c)->password_hash, password);
    }
    static std::string TokenIn(const std::string& body) {
        std::smatch m;
        EXPECT_TRUE(std::regex_search(body, m, std::regex("\n    ([A-Za-z0-9_-]{43})\n")));
        return m.size() > 1 ? m[1].str() : "";
    }

    auth::HashCost cost_{1, 64 * 1024};
    store::LockoutPolicy lockout_{5, 15min};
    fs::path dir_;
    std::unique_ptr<store::AccountStore> store_;
    std::unique_ptr<auth::SecretBox> box_;
    std::unique_ptr<auth::CommonPasswords> common_;
    std::unique_ptr<AccountSecurity> account_;
    store::User user_;
    store::Actor cli_{"cli", std::nullopt, ""};
    TimePoint now_ = *core::ParseIso("2026-03-01T08:00:00Z");
};

TEST_F(AccountSecurityTest, PasswordChangeNeedsTheCurrentPasswordAndEndsTheOtherSessions) {
    std::string mine = AddSession("mine");
    AddSession("other");
    auto wrong =
        account_->ChangePassword(*store_, user_, mine, "not-it", kNewPassword, "192.0.2.1", now_);
    EXPECT_EQ(wrong.status, AccountStatus::kWrongPassword);
    auto ok =
        account_->ChangePassword(*store_, user_, mine, kPassword, kNewPassword, "192.0.2.1", now_);
    ASSERT_EQ(ok.status, AccountStatus::kOk);
    EXPECT_EQ(ok.sessions_revoked, 1);
    EXPECT_TRUE(PasswordIs(kNewPassword));
    EXPECT_FALSE((*store_->FindCredentialsById(user_.id))->user.must_change_password);
    EXPECT_TRUE(Live("mine", now_ + 1s));
    EXPECT_FALSE(Live("other", now_ + 1s));
    auto audit = store_->ListAudit(std::nullopt, 1);
    EXPECT_EQ(audit->front().action, "user.password_changed");
    EXPECT_EQ(audit->front().ip, "192.0.2.1");
}

TEST_F(AccountSecurityTest, PasswordChangeAppliesThePolicy) {
    std::string mine = AddSession("mine");
    std::vector<std::string> weak_ones = {"short", "password1234", "alice-has-a-long-password",
                                          "acme-rocks-all-year", kPassword};
    for (const std::string& weak : weak_ones) {
        auto r = account_->ChangePassword(*store_, user_, mine, kPassword, weak, "192.0.2.1", now_);
        EXPECT_EQ(r.status, AccountStatus::kWeakPassword) << weak;
        EXPECT_FALSE(r.detail.empty());
        EXPECT_EQ(r.detail.find(weak), std::string::npos);  // never echoes the password
    }
    EXPECT_TRUE(PasswordIs(kPassword));
}

TEST_F(AccountSecurityTest, PasswordChangeFailuresLockTheAccountAndMailTheUser) {
    std::string mine = AddSession("mine");
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(
            account_
                ->ChangePassword(*store_, user_, mine, "guess", kNewPassword, "198.51.100.9", now_)
                .status,
            AccountStatus::kWrongPassword);
    }
    EXPECT_TRUE(Mail(now_).empty());
    EXPECT_EQ(
        account_->ChangePassword(*store_, user_, mine, "guess", kNewPassword, "198.51.100.9", now_)
            .status,
        AccountStatus::kWrongPassword);
    auto mail = Mail(now_);
    ASSERT_EQ(mail.size(), 1u);
    EXPECT_EQ(mail[0].kind, "lockout");
    EXPECT_EQ(mail[0].recipient, "alice@acme.example");
    EXPECT_NE(mail[0].body.find("198.51.100.9"), std::string::npos);
    EXPECT_NE(mail[0].body.find("2026-03-01 08:15 UTC"), std::string::npos);  // when it unlocks
    auto locked = account_->ChangePassword(*store_, user_, mine, kPassword, kNewPassword,
                                           "192.0.2.1", now_ + 1min);
    EXPECT_EQ(locked.status, AccountStatus::kLocked);  // even with the right password
    EXPECT_EQ(locked.locked_until, now_ + 15min);
    EXPECT_EQ(account_
                  ->ChangePassword(*store_, user_, mine, kPassword, kNewPassword, "192.0.2.1",
                                   now_ + 16min)
                  .status,
              AccountStatus::kOk);
}

TEST_F(AccountSecurityTest, SignInLockoutQueuesTheLockoutMail) {
    SignInSettings settings;
    settings.lockout = lockout_;
    settings.hash_cost = cost_;
    auto sign_in = SignIn::Make(settings, box_.get());
    ASSERT_TRUE(sign_in.ok());
    for (int i = 0; i < 5; ++i) {
        LoginInput in{"alice@acme.example", "wrong", std::nullopt, "203.0.113.5", "test"};
        (void)(*sign_in)->Login(*store_, in, now_);
    }
    auto mail = Mail(now_);
    ASSERT_EQ(mail.size(), 1u);
    EXPECT_EQ(mail[0].kind, "lockout");
    EXPECT_NE(mail[0].body.find("203.0.113.5"), std::string::npos);
    // Unknown e-mails lock too, but nobody is mailed.
    for (int i = 0; i < 5; ++i) {
        LoginInput in{"ghost@acme.example", "wrong", std::nullopt, "203.0.113.5", "test"};
        (void)(*sign_in)->Login(*store_, in, now_);
    }
    EXPECT_EQ(Mail(now_).size(), 1u);
}

TEST_F(AccountSecurityTest, ResetMailsASingleUseCodeThatExpiresAfterThirtyMinutes) {
    account_->RequestReset(*store_, "nobody@acme.example", "192.0.2.1", now_);
    EXPECT_TRUE(Mail(now_).empty());
    account_->RequestReset(*store_, "ALICE@acme.example", "192.0.2.1", now_);
    auto mail = Mail(now_);
    ASSERT_EQ(mail.size(), 1u);
    EXPECT_EQ(mail[0].kind, "password-reset");
    std::string token = TokenIn(mail[0].body);
    ASSERT_FALSE(token.empty());

    AddSession("s");
    EXPECT_EQ(
        account_->ConfirmReset(*store_, token, "password1234", "192.0.2.1", now_ + 1min).status,
        AccountStatus::kWeakPassword);  // and the code still works:
    EXPECT_EQ(account_->ConfirmReset(*store_, token, kNewPassword, "192.0.2.1", now_ + 1min).status,
              AccountStatus::kOk);
    EXPECT_TRUE(PasswordIs(kNewPassword));
    EXPECT_FALSE(Live("s", now_ + 2min));
    EXPECT_EQ(
        account_->ConfirmReset(*store_, token, "another-fine-password-3", "192.0.2.1", now_ + 2min)
            .status,
        AccountStatus::kInvalidToken);
    EXPECT_TRUE(PasswordIs(kNewPassword));

    account_->RequestReset(*store_, "alice@acme.example", "192.0.2.1", now_ + 3min);
    mail = Mail(now_ + 3min);
    ASSERT_EQ(mail.size(), 2u);
    std::string late = TokenIn(mail[1].body);
    EXPECT_EQ(
        account_->ConfirmReset(*store_, late, "another-fine-password-3", "192.0.2.1", now_ + 33min)
            .status,
        AccountStatus::kInvalidToken);
    EXPECT_EQ(
        account_->ConfirmReset(*store_, "garbage", "another-fine-password-3", "192.0.2.1", now_)
            .status,
        AccountStatus::kInvalidToken);
}

TEST_F(AccountSecurityTest, ResetClearsTheLockout) {
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(store_->NoteLoginFailure(user_.id, now_, lockout_).ok());
    account_->RequestReset(*store_, "alice@acme.example", "192.0.2.1", now_);
    auto mail = Mail(now_);
    ASSERT_EQ(mail.size(), 1u);  // a locked account may still ask for a reset
    std::string token = TokenIn(mail[0].body);
    ASSERT_EQ(account_->ConfirmReset(*store_, token, kNewPassword, "192.0.2.1", now_ + 1min).status,
              AccountStatus::kOk);
    EXPECT_EQ((*store_->FindCredentialsById(user_.id))->locked_until, TimePoint{});
}

TEST_F(AccountSecurityTest, NoResetMailForASuspendedTenant) {
    ASSERT_TRUE(store_->SetTenantStatus("acme", store::TenantStatus::kSuspended, cli_, now_).ok());
    account_->RequestReset(*store_, "alice@acme.example", "192.0.2.1", now_);
    EXPECT_TRUE(Mail(now_).empty());
}

TEST_F(AccountSecurityTest, StepUpNeedsThePasswordAndTheTotpCodeWhenEnrolled) {
    std::string s = AddSession("s");
    EXPECT_EQ(account_->StepUp(*store_, user_, s, "wrong", std::nullopt, "192.0.2.1", now_).status,
              AccountStatus::kWrongPassword);
    ASSERT_EQ(
        account_->StepUp(*store_, user_, s, kPassword, std::nullopt, "192.0.2.1", now_).status,
        AccountStatus::kOk);
    auto su = store_->TouchSession(s, now_ + 1s, store::SessionPolicy{});
    ASSERT_TRUE(su.ok() && su->has_value());
    const Caller caller{user_, (*su)->session, std::nullopt, {}};
    EXPECT_TRUE(RecentStepUp(caller, now_ + 5min));
    EXPECT_FALSE(RecentStepUp(caller, now_ + 5min + 1ms));
    const Caller token{user_, std::nullopt, 1, {"read"}};  // an API token never has a step-up
    EXPECT_FALSE(RecentStepUp(token, now_));

    std::vector<uint8_t> key = auth::NewTotpKey();
    ASSERT_TRUE(
        store_->SetTotpSecret(user_.id, box_->Seal(std::string(key.begin(), key.end()))).ok());
    EXPECT_EQ(
        account_->StepUp(*store_, user_, s, kPassword, std::nullopt, "192.0.2.1", now_).status,
        AccountStatus::kTotpRequired);
    std::string code = auth::TotpCode(key, now_);
    std::string wrong = code == "000000" ? "111111" : "000000";
    EXPECT_EQ(account_->StepUp(*store_, user_, s, kPassword, wrong, "192.0.2.1", now_).status,
              AccountStatus::kTotpInvalid);
    EXPECT_EQ(account_->StepUp(*store_, user_, s, kPassword, code, "192.0.2.1", now_).status,
              AccountStatus::kOk);
    EXPECT_EQ(account_->StepUp(*store_, user_, s, kPassword, code, "192.0.2.1", now_ + 1s).status,
              AccountStatus::kTotpInvalid);  // each code once
}

class FailingTransport : public Transport {
public:
    Result<void> Send(const store::OutgoingMail&) override { return MakeError("relay down"); }
};

TEST_F(AccountSecurityTest, TheDevelopmentMailerWritesEachMailOnceAsAnEmlFile) {
    store::OutgoingMail m = ResetMail(user_, "TOKEN", "192.0.2.1", now_);
    m.subject = "Injected\r\nBcc: evil@example.com";
    auto id = store_->EnqueueMail(m);
    ASSERT_TRUE(id.ok());
    auto transport = MakeFileTransport((dir_ / "outbox").string(), "fleetd@example.com");
    EXPECT_EQ(DeliverDue(*store_, *transport, now_), 1);
    EXPECT_EQ(DeliverDue(*store_, *transport, now_ + 1s), 0);  // marked sent
    fs::path file = dir_ / "outbox" / (std::to_string(*id) + ".eml");
    ASSERT_TRUE(fs::exists(file));
    EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string eml = text.str();
    EXPECT_EQ(eml.rfind("From: fleetd@example.com\r\nTo: alice@acme.example\r\n", 0), 0u) << eml;
    EXPECT_NE(eml.find("Subject: InjectedBcc: evil@example.com\r\n"),
              std::string::npos);  // no new header
    EXPECT_NE(eml.find("Date: Sun, 01 Mar 2026 08:00:00 +0000\r\n"), std::string::npos);
    EXPECT_NE(eml.find("\r\n\r\nHello,\r\n"), std::string::npos);
    EXPECT_NE(eml.find("    TOKEN\r\n"), std::string::npos);
}

TEST_F(AccountSecurityTest, FailedDeliveriesAreCountedAndRetriedLater) {
    ASSERT_TRUE(store_->EnqueueMail(LockoutMail(user_, 5, "192.0.2.1", now_, now_ + 15min)).ok());
    FailingTransport down;
    EXPECT_EQ(DeliverDue(*store_, down, now_), 0);
    EXPECT_TRUE(Mail(now_ + 30s).empty());
    auto transport = MakeFileTransport((dir_ / "outbox").string(), "fleetd@example.com");
    EXPECT_EQ(DeliverDue(*store_, *transport, now_ + 1min), 1);
}

}  // namespace
}  // namespace fleet::api::detail
