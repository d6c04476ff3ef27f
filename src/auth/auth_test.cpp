#include "auth/auth.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace fleet::auth {
namespace {

class AuthTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(Init().ok()); }
    static core::TimePoint At(int64_t unix_seconds) {
        return core::TimePoint{std::chrono::duration_cast<core::Millis>(std::chrono::seconds(unix_seconds))};
    }
    static std::vector<uint8_t> RfcKey() {
        std::string k = "12345678901234567890";  // RFC 6238 Appendix B, SHA-1 seed
        return {k.begin(), k.end()};
    }
};

TEST_F(AuthTest, TotpMatchesRfc6238AppendixBVectors) {
    // RFC 6238 Appendix B lists 8-digit codes; a 6-digit code is their last six digits.
    EXPECT_EQ(TotpCode(RfcKey(), At(59)), "287082");
    EXPECT_EQ(TotpCode(RfcKey(), At(1111111109)), "081804");
    EXPECT_EQ(TotpCode(RfcKey(), At(1111111111)), "050471");
    EXPECT_EQ(TotpCode(RfcKey(), At(1234567890)), "005924");
    EXPECT_EQ(TotpCode(RfcKey(), At(2000000000)), "279037");
    EXPECT_EQ(TotpCode(RfcKey(), At(20000000000)), "353130");
}

TEST_F(AuthTest, TotpAcceptsOneStepOfDriftAndEachCodeOnce) {
    auto key = NewTotpKey();
    auto now = At(1'700'000'000);
    auto previous = TotpCode(key, At(1'700'000'000 - 30));
    auto next = TotpCode(key, At(1'700'000'000 + 30));
    auto too_old = TotpCode(key, At(1'700'000'000 - 60));
    EXPECT_TRUE(VerifyTotp(key, previous, now, 0).has_value());
    EXPECT_TRUE(VerifyTotp(key, next, now, 0).has_value());
    if (too_old != previous && too_old != TotpCode(key, now) && too_old != next) {
        EXPECT_FALSE(VerifyTotp(key, too_old, now, 0).has_value());
    }
    auto step = VerifyTotp(key, TotpCode(key, now), now, 0);
    ASSERT_TRUE(step.has_value());
    EXPECT_FALSE(VerifyTotp(key, TotpCode(key, now), now, *step).has_value()) << "a code works once";
    EXPECT_FALSE(VerifyTotp(key, "12345", now, 0).has_value());
    EXPECT_FALSE(VerifyTotp(key, "abcdef", now, 0).has_value());
}

TEST_F(AuthTest, OtpauthUriCarriesTheBase32Secret) {
    auto uri = OtpauthUri("fleetd", "anna@example.com", RfcKey());
    EXPECT_EQ(uri, "otpauth://totp/fleetd:anna@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=fleetd"
                   "&algorithm=SHA1&digits=6&period=30");
}

TEST_F(AuthTest, PasswordPolicyCountsCharactersAndRefusesCommonOnes) {
    auto common = CommonPasswords::FromList({"correcthorsebatterystaple", "password1234"});
    EXPECT_FALSE(CheckNewPassword("short", "anna@example.com", "Acme", common).ok());
    EXPECT_TRUE(CheckNewPassword("a long enough passphrase", "anna@example.com", "Acme", common).ok());
    // 12 characters of 2 bytes each: long enough even though a byte count would say 24.
    EXPECT_TRUE(CheckNewPassword("éééééééééééé", "anna@example.com", "Acme", common).ok());
    EXPECT_FALSE(CheckNewPassword("ééééééééééé", "anna@example.com", "Acme", common).ok());
    EXPECT_FALSE(CheckNewPassword(std::string(129, 'x'), "anna@example.com", "Acme", common).ok());
    EXPECT_TRUE(CheckNewPassword(std::string(128, 'x'), "anna@example.com", "Acme", common).ok());
    EXPECT_FALSE(CheckNewPassword("CorrectHorseBatteryStaple", "anna@example.com", "Acme", common).ok());
    EXPECT_FALSE(CheckNewPassword("my name is anna, ok?", "Anna@example.com", "Acme", common).ok());
    EXPECT_FALSE(CheckNewPassword("we love ACME trucks", "bob@example.com", "Acme", common).ok());
}

TEST_F(AuthTest, ShippedListHoldsAtLeastTenThousandPasswords) {
    auto list = CommonPasswords::Load(std::string(FLEETD_SOURCE_DIR) + "/data/common-passwords.txt");
    ASSERT_TRUE(list.ok()) << list.error().message;
    EXPECT_GE(list->size(), 10000u);
    EXPECT_TRUE(list->Contains("password"));
    EXPECT_TRUE(list->Contains("QWERTY"));
    EXPECT_FALSE(list->Contains("a long enough passphrase"));
}

TEST_F(AuthTest, HashesWithArgon2idAndVerifies) {
    HashCost cheap{1, 8u << 20};  // tests only: a small cost keeps them fast
    auto h = HashPassword("a long enough passphrase", cheap);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
    EXPECT_TRUE(VerifyPassword(*h, "a long enough passphrase"));
    EXPECT_FALSE(VerifyPassword(*h, "a long enough passphrasE"));
    EXPECT_FALSE(VerifyPassword("not a hash", "x"));
    EXPECT_NE(*HashPassword("a long enough passphrase", cheap), *h) << "a fresh salt each time";
    EXPECT_FALSE(NeedsRehash(*h, cheap));
    EXPECT_TRUE(NeedsRehash(*h, HashCost{}));
}

TEST_F(AuthTest, TokensAreRandomAndStoredAsHashes) {
    auto a = RandomToken();
    auto b = RandomToken();
    EXPECT_NE(a, b);
    EXPECT_EQ(a.size(), 43u);  // 32 bytes, base64url without padding
    EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
    EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
    EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
    auto codes = NewRecoveryCodes();
    ASSERT_EQ(codes.size(), 10u);
    for (const auto& c : codes) EXPECT_EQ(c.size(), 11u);
}

TEST_F(AuthTest, SecretBoxOpensOnlyWithItsKey) {
    auto dir = std::filesystem::temp_directory_path() / ("fleetd_auth_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto key_path = (dir / "secret.key").string();
    auto box = SecretBox::LoadOrCreate(key_path);
    ASSERT_TRUE(box.ok()) << box.error().message;
    EXPECT_EQ(std::filesystem::status(key_path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto sealed = box->Seal("JBSWY3DPEHPK3PXP");
    EXPECT_EQ(sealed.find("JBSWY3DPEHPK3PXP"), std::string::npos);
    auto again = SecretBox::LoadOrCreate(key_path);  // same key from the file
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again->Open(sealed), "JBSWY3DPEHPK3PXP");
    auto other = SecretBox::FromKey(std::vector<uint8_t>(32, 7));
    EXPECT_FALSE(other.Open(sealed).ok());
    std::string altered = sealed;
    altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(box->Open(altered).ok());
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fleet::auth
