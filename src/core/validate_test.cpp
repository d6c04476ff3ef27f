#include "core/validate.hpp"

#include <gtest/gtest.h>

namespace fleet::core {
namespace {

TEST(VinTest, AcceptsRealVinsAndUpperCasesThem) {
    // Wikipedia "Vehicle identification number": the check-digit worked example (North America,
    // position 9 = X) and a Porsche's plate (Europe, position 9 = Z: no check digit there).
    for (std::string_view vin : {"1M8GDM9AXKP042788", "WP0ZZZ99ZTS392124"}) {
        auto v = NormaliseVin(vin);
        ASSERT_TRUE(v.ok()) << vin << ": " << v.error().message;
        EXPECT_EQ(*v, vin);
    }
    auto lower = NormaliseVin("wp0zzz99zts392124");
    ASSERT_TRUE(lower.ok());
    EXPECT_EQ(*lower, "WP0ZZZ99ZTS392124");
}

TEST(VinTest, DoesNotVerifyTheNorthAmericanCheckDigit) {
    // Position 9 changed from X to 1: a wrong check digit in North America, a valid European VIN.
    EXPECT_TRUE(NormaliseVin("1M8GDM9A1KP042788").ok());
}

TEST(VinTest, RefusesWrongLengthsAndTheLettersIOQ) {
    EXPECT_FALSE(NormaliseVin("").ok());
    EXPECT_FALSE(NormaliseVin("WP0ZZZ99ZTS39212").ok());    // 16
    EXPECT_FALSE(NormaliseVin("WP0ZZZ99ZTS3921240").ok());  // 18
    EXPECT_FALSE(NormaliseVin("WP0ZZZ99ZTS39212I").ok());
    EXPECT_FALSE(NormaliseVin("WPOZZZ99ZTS392124").ok());   // letter O for zero
    EXPECT_FALSE(NormaliseVin("QP0ZZZ99ZTS392124").ok());
    EXPECT_FALSE(NormaliseVin("wp0zzz99zts39212o").ok());   // lower-case o is an O too
    EXPECT_FALSE(NormaliseVin("WP0ZZZ99ZTS39212-").ok());
    EXPECT_FALSE(NormaliseVin("WP0ZZZ99ZTS3921\xc3\xa9").ok());  // é: 17 bytes, not 17 VIN characters
}

TEST(ImeiTest, AcceptsRealImeis) {
    // Teltonika wiki (Codec page handshake, UDP example), 3GPP TS 23.003 Annex B's check-digit
    // example, and IMEIs from Traccar's GT06 and OsmAnd decoder tests.
    for (std::string_view imei : {"356307042441013", "352093086403655", "352099001761481", "864717003664467",
                                  "353861053849681"}) {
        EXPECT_TRUE(ValidImei(imei)) << imei;
    }
}

TEST(ImeiTest, RefusesAWrongCheckDigitAndWrongShapes) {
    EXPECT_FALSE(ValidImei("356307042441014"));  // last digit off by one
    EXPECT_FALSE(ValidImei("356307042441031"));  // two digits swapped
    EXPECT_FALSE(ValidImei("123456789012345"));  // the usual placeholder fails Luhn
    EXPECT_FALSE(ValidImei("35630704244101"));
    EXPECT_FALSE(ValidImei("3563070424410130"));
    EXPECT_FALSE(ValidImei("35630704244101a"));
    EXPECT_FALSE(ValidImei(""));
}

TEST(DeviceIdTest, ChecksTheIdTheProtocolUses) {
    EXPECT_TRUE(ValidateDeviceId("teltonika", "356307042441013").ok());
    EXPECT_TRUE(ValidateDeviceId("gt06", "864717003664467").ok());
    EXPECT_FALSE(ValidateDeviceId("gt06", "123456789012345").ok());
    EXPECT_FALSE(ValidateDeviceId("teltonika", "902064").ok());
    // Traccar Client ids from Traccar's OsmAnd tests: short numbers, no check digit.
    EXPECT_TRUE(ValidateDeviceId("osmand", "902064").ok());
    EXPECT_TRUE(ValidateDeviceId("osmand", "123456789012345").ok());
    EXPECT_TRUE(ValidateDeviceId("osmand", "phone-1.a:b_c").ok());
    EXPECT_FALSE(ValidateDeviceId("osmand", "").ok());
    EXPECT_FALSE(ValidateDeviceId("osmand", "../etc/passwd").ok());
    EXPECT_FALSE(ValidateDeviceId("osmand", std::string(65, 'a')).ok());
    EXPECT_FALSE(ValidateDeviceId("traccar", "356307042441013").ok());
}

TEST(DateTest, AcceptsDatesThatExist) {
    EXPECT_TRUE(ValidDate("2024-02-29"));
    EXPECT_TRUE(ValidDate("2000-02-29"));
    EXPECT_TRUE(ValidDate("1999-12-31"));
    EXPECT_TRUE(ValidDate("0001-01-01"));
}

TEST(DateTest, RefusesDatesThatDoNotExistAndOtherShapes) {
    EXPECT_FALSE(ValidDate("2023-02-29"));
    EXPECT_FALSE(ValidDate("1900-02-29"));  // not a leap year (divisible by 100)
    EXPECT_FALSE(ValidDate("2024-04-31"));
    EXPECT_FALSE(ValidDate("2024-13-01"));
    EXPECT_FALSE(ValidDate("2024-00-10"));
    EXPECT_FALSE(ValidDate("2024-01-00"));
    EXPECT_FALSE(ValidDate("0000-01-01"));
    EXPECT_FALSE(ValidDate("2024-1-01"));
    EXPECT_FALSE(ValidDate("2024/01/01"));
    EXPECT_FALSE(ValidDate("2024-01-01T00:00:00Z"));
    EXPECT_FALSE(ValidDate("+024-01-01"));
    EXPECT_FALSE(ValidDate(""));
}

TEST(SingleLineTextTest, RefusesControlCharactersOnly) {
    EXPECT_TRUE(SingleLineText("<script>alert(1)</script> '; DROP TABLE vehicles; --"));
    EXPECT_TRUE(SingleLineText("Camion n\xc2\xb0 3 \xf0\x9f\x9a\x9a"));
    EXPECT_TRUE(SingleLineText(""));
    EXPECT_FALSE(SingleLineText("a\nb"));
    EXPECT_FALSE(SingleLineText("a\tb"));
    EXPECT_FALSE(SingleLineText(std::string_view("a\0b", 3)));
    EXPECT_FALSE(SingleLineText("a\x7f"));
}

}  // namespace
}  // namespace fleet::core
