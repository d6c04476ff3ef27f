#include "core/zone.hpp"

#include <gtest/gtest.h>

#include "core/time.hpp"

namespace fleet::core {
namespace {

TimePoint At(int y, int mo, int d, int h, int mi) { return *MakeUtc(y, mo, d, h, mi, 0); }

// The system's tzdata (a dependency: scripts/install-deps.sh) is the reference; the expected
// offsets are the zones' published rules (EU summer time from the last Sunday of March 01:00 UTC
// to the last Sunday of October 01:00 UTC; US Eastern from the second Sunday of March 2:00 local).
TEST(ZoneTest, ParisFollowsEuropeanSummerTime) {
    auto paris = Zone::Load("Europe/Paris");
    ASSERT_TRUE(paris.ok()) << paris.error().message;
    const Zone& z = **paris;
    EXPECT_EQ(z.OffsetAt(At(2026, 1, 15, 12, 0)).count(), 3600);
    EXPECT_EQ(z.AbbreviationAt(At(2026, 1, 15, 12, 0)), "CET");
    EXPECT_EQ(z.OffsetAt(At(2026, 3, 29, 0, 59)).count(), 3600);  // the change is at 01:00 UTC
    EXPECT_EQ(z.OffsetAt(At(2026, 3, 29, 1, 0)).count(), 7200);
    EXPECT_EQ(z.AbbreviationAt(At(2026, 7, 1, 0, 0)), "CEST");
    EXPECT_EQ(z.Format(At(2026, 7, 1, 21, 30)), "2026-07-01 23:30:00 CEST");
    EXPECT_EQ(z.MinuteOfDay(At(2026, 7, 1, 22, 30)), 30);  // 00:30 the next local day
}

TEST(ZoneTest, NewYorkIsBehindUtc) {
    auto ny = Zone::Load("America/New_York");
    ASSERT_TRUE(ny.ok()) << ny.error().message;
    EXPECT_EQ((*ny)->OffsetAt(At(2026, 1, 10, 3, 0)).count(), -5 * 3600);
    EXPECT_EQ((*ny)->Format(At(2026, 1, 10, 3, 0)), "2026-01-09 22:00:00 EST");
    EXPECT_EQ((*ny)->MinuteOfDay(At(2026, 1, 10, 3, 0)), 22 * 60);
}

TEST(ZoneTest, UtcHasNoOffset) {
    auto utc = Zone::Load("UTC");
    ASSERT_TRUE(utc.ok()) << utc.error().message;
    EXPECT_EQ((*utc)->OffsetAt(At(2026, 6, 1, 0, 0)).count(), 0);
    EXPECT_EQ((*utc)->Format(At(2026, 6, 1, 8, 5)), "2026-06-01 08:05:00 UTC");
}

TEST(ZoneTest, RefusesMissingZonesTraversalAndGarbage) {
    EXPECT_FALSE(Zone::Load("Mars/Olympus_Mons").ok());
    EXPECT_FALSE(Zone::Load("../../etc/passwd").ok());
    EXPECT_FALSE(Zone::Load("").ok());
    EXPECT_FALSE(Zone::Parse("x", "not a zone file").ok());
    EXPECT_FALSE(Zone::Parse("x", std::string("TZif2") + std::string(39, '\0')).ok());  // no types
}

TEST(ZoneTest, EveryPrefixOfARealFileIsRefusedNotOverread) {
    auto paris = Zone::Load("Europe/Paris");
    ASSERT_TRUE(paris.ok());
    std::FILE* f = std::fopen("/usr/share/zoneinfo/Europe/Paris", "rb");
    ASSERT_NE(f, nullptr);
    std::string data(1 << 16, '\0');
    data.resize(std::fread(data.data(), 1, data.size(), f));
    std::fclose(f);
    // The footer (a POSIX TZ string) is not needed, so only prefixes shorter than the data blocks fail.
    for (size_t n = 0; n + 64 < data.size(); n += 7) {
        auto z = Zone::Parse("p", std::string_view(data).substr(0, n));
        if (z.ok()) {
            EXPECT_EQ(z->OffsetAt(At(2026, 1, 1, 0, 0)).count(), 3600);
        }
    }
}

}  // namespace
}  // namespace fleet::core
