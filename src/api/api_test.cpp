#include "api/api.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "api/detail/sign_in.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace fleet::api {
namespace {

namespace fs = std::filesystem;
using core::TimePoint;
using detail::LoginInput;
using detail::LoginStatus;
using namespace std::chrono_literals;

TEST(CookieTest, FindsACookieAmongOthers) {
    EXPECT_EQ(CookieValue("a=1; __Host-fleetd_session=abc; b=2", "__Host-fleetd_session"), "abc");
    EXPECT_EQ(CookieValue("__Host-fleetd_session=abc", "__Host-fleetd_session"), "abc");
    EXPECT_EQ(CookieValue("x__Host-fleetd_session=abc", "__Host-fleetd_session"), "");
    EXPECT_EQ(CookieValue("", "__Host-fleetd_session"), "");
}

TEST(SameOriginTest, ComparesSchemeLessHostExactly) {
    EXPECT_TRUE(SameOrigin("http://127.0.0.1:8082", "127.0.0.1:8082"));
    EXPECT_TRUE(SameOrigin("https://fleet.example.com", "fleet.example.com"));
    EXPECT_FALSE(SameOrigin("https://fleet.example.com.evil.example", "fleet.example.com"));
    EXPECT_FALSE(SameOrigin("https://evil.example", "fleet.example.com"));
    EXPECT_FALSE(SameOrigin("null", "fleet.example.com"));
    EXPECT_FALSE(SameOrigin("https://fleet.example.com", ""));
}

// The sign-in rules with an injected clock and a cheap hash.
class SignInTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(auth::Init().ok());
        dir_ = fs::temp_directory_path() / ("fleetd_api_test_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        std::string path = (dir_ / "fleetd.db").string();
        ASSERT_TRUE(store::OpenSqliteStore(path).ok());
        auto a = store::AccountStore::Open(path);
        ASSERT_TRUE(a.ok()) << a.error().message;
        store_ = std::move(*a);
        box_ = std::make_unique<auth::SecretBox>(auth::SecretBox::FromKey(std::vector<uint8_t>(32, 7)));
        detail::SignInSettings settings;
        settings.hash_cost = cost_;
        auto s = detail::SignIn::Make(settings, box_.get());
        ASSERT_TRUE(s.ok());
        sign_in_ = std::move(*s);
        ASSERT_TRUE(store_->AddTenant("acme", cli_, now_).ok());
        auto scope = store_->OperatorScope("acme");
        auto hash = auth::HashPassword(kPassword, cost_);
        ASSERT_TRUE(scope.ok() && hash.ok());
        auto u = store_->AddUser(*scope, store::NewUser{"alice@acme.example", *hash, store::Role::kFleetManager, false},
                                 cli_, now_);
        ASSERT_TRUE(u.ok());
        user_ = *u;
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }

    detail::LoginResult Login(std::string email, std::string password, TimePoint at,
                              std::optional<std::string> totp = std::nullopt) {
        LoginInput in{std::move(email), std::move(password), std::move(totp), "192.0.2.1", "test"};
        return sign_in_->Login(*store_, in, at);
    }

    static constexpr const char* kPassword = "plum-orchard-telescope-42";
    auth::HashCost cost_{1, 64 * 1024};
    fs::path dir_;
    std::unique_ptr<store::AccountStore> store_;
    std::unique_ptr<auth::SecretBox> box_;
    std::unique_ptr<detail::SignIn> sign_in_;
    store::User user_;
    store::Actor cli_{"cli", std::nullopt, ""};
    TimePoint now_ = *core::ParseIso("2026-03-01T08:00:00Z");
};

TEST_F(SignInTest, RightPasswordMakesASessionThatAuthenticates) {
    auto r = Login("Alice@ACME.example", kPassword, now_);
    ASSERT_EQ(r.status, LoginStatus::kOk);
    EXPECT_EQ(r.user.id, user_.id);
    auto su = sign_in_->Authenticate(*store_, r.session_token, now_ + 1min);
    ASSERT_TRUE(su.ok());
    ASSERT_TRUE(su->has_value());
    EXPECT_EQ((*su)->user.email, "alice@acme.example");
    EXPECT_TRUE(detail::SignIn::CsrfMatches((*su)->session, r.csrf_token));
    EXPECT_FALSE(detail::SignIn::CsrfMatches((*su)->session, r.session_token));
    auto idle = sign_in_->Authenticate(*store_, r.session_token, now_ + 1min + 15min + 1ms);
    ASSERT_TRUE(idle.ok());
    EXPECT_FALSE(idle->has_value());
}

TEST_F(SignInTest, LockoutStartsAtTheFifthFailureAndEndsAfterFifteenMinutes) {
    for (int i = 0; i < 5; ++i) EXPECT_EQ(Login("alice@acme.example", "wrong", now_).status, LoginStatus::kInvalidCredentials);
    auto locked = Login("alice@acme.example", kPassword, now_ + 1min);
    EXPECT_EQ(locked.status, LoginStatus::kLocked);
    EXPECT_EQ(locked.locked_until, now_ + 15min);
    EXPECT_EQ(Login("alice@acme.example", kPassword, now_ + 14min).status, LoginStatus::kLocked);
    EXPECT_EQ(Login("alice@acme.example", kPassword, now_ + 15min + 1ms).status, LoginStatus::kOk);
}

TEST_F(SignInTest, UnknownEmailLocksLikeAnAccount) {
    for (int i = 0; i < 5; ++i) EXPECT_EQ(Login("ghost@acme.example", "wrong", now_).status, LoginStatus::kInvalidCredentials);
    EXPECT_EQ(Login("ghost@acme.example", "wrong", now_ + 1min).status, LoginStatus::kLocked);
    EXPECT_EQ(Login("ghost@acme.example", "wrong", now_ + 16min).status, LoginStatus::kInvalidCredentials);
}

TEST_F(SignInTest, TotpIsRequiredOnceEnrolledAndEachCodeWorksOnce) {
    std::vector<uint8_t> key = auth::NewTotpKey();
    std::string key_text(key.begin(), key.end());
    ASSERT_TRUE(store_->SetTotpSecret(user_.id, box_->Seal(key_text)).ok());
    EXPECT_EQ(Login("alice@acme.example", kPassword, now_).status, LoginStatus::kTotpRequired);
    std::string code = auth::TotpCode(key, now_);
    std::string wrong = code == "000000" ? "111111" : "000000";
    EXPECT_EQ(Login("alice@acme.example", kPassword, now_, wrong).status, LoginStatus::kTotpInvalid);
    auto ok = Login("alice@acme.example", kPassword, now_, code);
    ASSERT_EQ(ok.status, LoginStatus::kOk);
    EXPECT_TRUE(ok.user.totp_enabled);
    EXPECT_EQ(Login("alice@acme.example", kPassword, now_ + 1s, code).status, LoginStatus::kTotpInvalid);  // replay
}

TEST_F(SignInTest, SuspendedTenantIsToldOnlyAfterTheRightPassword) {
    ASSERT_TRUE(store_->SetTenantStatus("acme", store::TenantStatus::kSuspended, cli_, now_).ok());
    EXPECT_EQ(Login("alice@acme.example", "wrong", now_).status, LoginStatus::kInvalidCredentials);
    EXPECT_EQ(Login("alice@acme.example", kPassword, now_).status, LoginStatus::kTenantSuspended);
}

TEST_F(SignInTest, HashMadeAtAnotherCostIsRedoneAtSignIn) {
    auto before = store_->FindCredentials("alice@acme.example");
    ASSERT_TRUE(before.ok() && before->has_value());
    detail::SignInSettings settings;
    settings.hash_cost = auth::HashCost{2, 64 * 1024};
    auto other = detail::SignIn::Make(settings, box_.get());
    ASSERT_TRUE(other.ok());
    LoginInput in{"alice@acme.example", kPassword, std::nullopt, "192.0.2.1", "test"};
    ASSERT_EQ((*other)->Login(*store_, in, now_).status, LoginStatus::kOk);
    auto after = store_->FindCredentials("alice@acme.example");
    ASSERT_TRUE(after.ok() && after->has_value());
    EXPECT_NE((*after)->password_hash, (*before)->password_hash);
    EXPECT_FALSE(auth::NeedsRehash((*after)->password_hash, settings.hash_cost));
}

}  // namespace
}  // namespace fleet::api
