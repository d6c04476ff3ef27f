#include "api/detail/throttle.hpp"

#include <gtest/gtest.h>

#include "core/time.hpp"

namespace fleet::api::detail {
namespace {

using namespace std::chrono_literals;

const core::TimePoint kT0 = *core::ParseIso("2026-03-01T08:00:00Z");

TEST(ThrottleTest, AllowsTheBurstThenAsksToWaitForTheNextToken) {
    Throttle t(ThrottleSettings{20, 100});
    for (int i = 0; i < 20; ++i) EXPECT_FALSE(t.Take("192.0.2.1", kT0).has_value()) << i;
    auto wait = t.Take("192.0.2.1", kT0);
    ASSERT_TRUE(wait.has_value());
    EXPECT_EQ(*wait, 3s);  // 20 a minute: one every 3 s
    EXPECT_TRUE(t.Take("192.0.2.1", kT0 + 2999ms).has_value());
    EXPECT_FALSE(t.Take("192.0.2.1", kT0 + 3s).has_value());
    EXPECT_TRUE(t.Take("192.0.2.1", kT0 + 3s).has_value());
    // A minute of quiet refills the bucket, and no further.
    for (int i = 0; i < 20; ++i) EXPECT_FALSE(t.Take("192.0.2.1", kT0 + 10min).has_value()) << i;
    EXPECT_TRUE(t.Take("192.0.2.1", kT0 + 10min).has_value());
}

TEST(ThrottleTest, AddressesHaveBucketsOfTheirOwn) {
    Throttle t(ThrottleSettings{2, 100});
    EXPECT_FALSE(t.Take("192.0.2.1", kT0));
    EXPECT_FALSE(t.Take("192.0.2.1", kT0));
    EXPECT_TRUE(t.Take("192.0.2.1", kT0));
    EXPECT_FALSE(t.Take("192.0.2.2", kT0));
}

TEST(ThrottleTest, Ipv6AddressesOfOneSlash64ShareABucket) {
    Throttle t(ThrottleSettings{2, 100});
    EXPECT_FALSE(t.Take("2001:db8:1:2::1", kT0));
    EXPECT_FALSE(t.Take("2001:db8:1:2:ffff::9", kT0));
    EXPECT_TRUE(t.Take("2001:db8:1:2::abcd", kT0));
    EXPECT_FALSE(t.Take("2001:db8:1:3::1", kT0));
    EXPECT_EQ(Throttle::KeyOf("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    EXPECT_EQ(Throttle::KeyOf("::ffff:192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(Throttle::KeyOf("192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(Throttle::KeyOf("not an address"), "not an address");
}

TEST(ThrottleTest, StaysBoundedByDroppingTheLeastRecentlyUsedAddress) {
    Throttle t(ThrottleSettings{1, 3});
    EXPECT_FALSE(t.Take("10.0.0.1", kT0));
    EXPECT_FALSE(t.Take("10.0.0.2", kT0 + 1ms));
    EXPECT_FALSE(t.Take("10.0.0.3", kT0 + 2ms));
    EXPECT_TRUE(t.Take("10.0.0.1", kT0 + 3ms));   // 1 is now the most recently used
    EXPECT_FALSE(t.Take("10.0.0.4", kT0 + 4ms));  // drops 2, the least recently used
    EXPECT_EQ(t.size(), 3u);
    EXPECT_TRUE(t.Take("10.0.0.1", kT0 + 5ms));   // kept: still empty
    EXPECT_TRUE(t.Take("10.0.0.3", kT0 + 6ms));   // kept: still empty
    EXPECT_FALSE(t.Take("10.0.0.2", kT0 + 7ms));  // dropped, so it starts full again
    EXPECT_EQ(t.size(), 3u);
    for (int i = 0; i < 1000; ++i) (void)t.Take("10.1.0." + std::to_string(i), kT0);
    EXPECT_EQ(t.size(), 3u);
}

}  // namespace
}  // namespace fleet::api::detail
