#include "core/zone.hpp"

#include <gtest/gtest.h>

#include "core/time.hpp"

namespace fleet::core {
namespace {

using namespace std::chrono_literals;

TimePoint At(const char* iso) { return *ParseIso(iso); }

TEST(LocalDayTest, ParsesRealDaysOnly) {
    EXPECT_EQ(ParseLocalDay("2024-02-29")->ToString(), "2024-02-29");
    EXPECT_FALSE(ParseLocalDay("2023-02-29"));
    EXPECT_FALSE(ParseLocalDay("2023-2-28"));
    EXPECT_FALSE(ParseLocalDay("2023-02-28x"));
    EXPECT_EQ(ParseLocalDay("1970-01-01")->days, 0);
    EXPECT_EQ(ParseLocalDay("2026-11-30")->Weekday(), 1);  // a Monday
}

TEST(LocalDayTest, AddMonthsClampsToTheMonthsEnd) {
    EXPECT_EQ(ParseLocalDay("2024-01-31")->AddMonths(1).ToString(), "2024-02-29");
    EXPECT_EQ(ParseLocalDay("2023-01-31")->AddMonths(1).ToString(), "2023-02-28");
    EXPECT_EQ(ParseLocalDay("2025-11-15")->AddMonths(12).ToString(), "2026-11-15");
    EXPECT_EQ(ParseLocalDay("2026-03-31")->AddMonths(-1).ToString(), "2026-02-28");
    EXPECT_EQ(ParseLocalDay("2026-12-10")->AddMonths(1).ToString(), "2027-01-10");
}

TEST(ZoneTest, UnknownNameIsAnError) {
    EXPECT_FALSE(Zone::Find("Mars/Olympus_Mons").ok());
    EXPECT_FALSE(Zone::Find("../etc/passwd").ok());
}

TEST(ZoneTest, LocalTimeFollowsSummerTime) {
    Zone paris = *Zone::Find("Europe/Paris");
    EXPECT_EQ(paris.OffsetAt(At("2026-07-01T12:00:00Z")), 2h);
    EXPECT_EQ(paris.OffsetAt(At("2026-01-01T12:00:00Z")), 1h);
    EXPECT_EQ(paris.MinuteOfDay(At("2026-07-01T22:30:00Z")), 30);  // 00:30 the next day
    EXPECT_EQ(paris.DayOf(At("2026-07-01T22:30:00Z")).ToString(), "2026-07-02");
    EXPECT_EQ(paris.Format(At("2026-01-05T08:00:00Z")), "2026-01-05 09:00:00 CET");
    EXPECT_EQ(paris.Format(At("2026-07-05T08:00:00Z")), "2026-07-05 10:00:00 CEST");
}

TEST(ZoneTest, DaysAroundAChangeOfTime) {
    Zone paris = *Zone::Find("Europe/Paris");
    LocalDay spring = *ParseLocalDay("2026-03-29");  // 02:00 -> 03:00
    EXPECT_EQ(paris.StartOf(spring.Next()) - paris.StartOf(spring), 23h);
    LocalDay autumn = *ParseLocalDay("2026-10-25");  // 03:00 -> 02:00
    EXPECT_EQ(paris.StartOf(autumn.Next()) - paris.StartOf(autumn), 25h);
    // 02:30 does not exist on the spring day: the instant the clocks jump.
    EXPECT_EQ(paris.At(spring, 150min), At("2026-03-29T01:00:00Z"));
}

}  // namespace
}  // namespace fleet::core
