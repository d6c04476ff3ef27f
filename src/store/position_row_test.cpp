#include "store/store.hpp"  // MakePositionRow (position_row.cpp)

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/json.hpp"

namespace fleet::store {
namespace {

// A record with every kind of IO element and attribute value, edge values included.
core::Record EveryKindOfValue() {
    core::Record r;
    r.device_time = core::TimePoint{core::Millis{1700000000123}};
    r.lat = 45.764043;
    r.lon = -4.835659;
    r.altitude_m = 170;
    r.speed_kmh = 42.5;
    r.course_deg = 359;
    r.satellites = 11;
    r.hdop = 0.9;
    r.valid = true;
    r.io = {
        {1, 1, 0, {}},
        {239, 1, 1, {}},
        {66, 2, 12655, {}},
        {16, 4, 4294967295ULL, {}},
        {11, 8, std::numeric_limits<uint64_t>::max(), {}},
        {65535, 8, 1234567890123ULL, {}},
        {281, 0, 0, std::string("P0300\x01\xff\"", 8)},
        {282, 0, 0, {}},
    };
    r.attributes = {
        {"ignition", true},
        {"motion", false},
        {"priority", int64_t{0}},
        {"event_io_id", int64_t{-1}},
        {"odometer_m", std::numeric_limits<int64_t>::max()},
        {"min", std::numeric_limits<int64_t>::min()},
        {"external_voltage_v", 12.655},
        {"whole", 3.0},
        {"big", 1e20},
        {"tiny", 1.5e-7},
        {"negative", -0.25},
        {"nan", std::nan("")},
        {"inf", std::numeric_limits<double>::infinity()},
        {"dtc", std::string("P0300 \"quoted\" \\ caf\xc3\xa9 \x01 \xff")},
        {"empty", std::string()},
        {"na\"me", int64_t{7}},
    };
    return r;
}

TEST(MakePositionRowTest, StoresExactlyTheCoreJsonOfIoAndAttributes) {
    core::Record r = EveryKindOfValue();
    PositionRow row = MakePositionRow(7, r);
    EXPECT_EQ(row.io_json, core::IoToJson(r.io));
    EXPECT_EQ(row.attributes_json, core::AttributesToJson(r.attributes));
}

TEST(MakePositionRowTest, EmptyIoAndAttributesAreEmptyObjects) {
    core::Record r;
    PositionRow row = MakePositionRow(1, r);
    EXPECT_EQ(row.io_json, "{}");
    EXPECT_EQ(row.attributes_json, "{}");
}

TEST(MakePositionRowTest, FingerprintIgnoresServerTimeButNotContent) {
    core::Record a = EveryKindOfValue();
    core::Record b = a;
    b.server_time = core::TimePoint{core::Millis{1700000009999}};
    EXPECT_EQ(MakePositionRow(1, a).fingerprint, MakePositionRow(1, b).fingerprint);
    b.io[2].value += 1;
    EXPECT_NE(MakePositionRow(1, a).fingerprint, MakePositionRow(1, b).fingerprint);
}

}  // namespace
}  // namespace fleet::store
