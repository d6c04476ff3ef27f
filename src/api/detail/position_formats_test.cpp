#include "api/detail/position_formats.hpp"

#include <gtest/gtest.h>

namespace fleet::api::detail {
namespace {

TEST(HideBadgeTest, RemovesOnlyTheBadgeTheBoxRead) {
    store::PositionRow p;
    p.attributes_json = R"({"ignition":true,"driver_id":"00000000CAFE0042","odometer_m":1200})";
    HideBadge(p);
    EXPECT_EQ(p.attributes_json, R"({"ignition":true,"odometer_m":1200})");
    HideBadge(p);  // nothing left to hide: unchanged
    EXPECT_EQ(p.attributes_json, R"({"ignition":true,"odometer_m":1200})");
    // A value that merely mentions the word is kept.
    p.attributes_json = R"({"note":"driver_id"})";
    HideBadge(p);
    EXPECT_EQ(p.attributes_json, R"({"note":"driver_id"})");
    // Not an object (the store never writes one): everything is hidden rather than leaked.
    p.attributes_json = R"(["driver_id"])";
    HideBadge(p);
    EXPECT_EQ(p.attributes_json, "{}");
}

}  // namespace
}  // namespace fleet::api::detail
