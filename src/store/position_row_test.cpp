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

// The fingerprint is part of the stored data: a record resent after an upgrade must find the row it
// was stored as. Its value for this record, as computed one record at a time up to commit 2f93aaf,
// must never change.
TEST(MakePositionRowTest, FingerprintDoesNotChange) {
    EXPECT_EQ(MakePositionRow(1, EveryKindOfValue()).fingerprint, 6200091112941702746);
}

// The rows of a packet are made together (fingerprints four at a time): the same rows as one by one,
// whatever the number of records and the lengths of their texts.
TEST(MakePositionRowTest, RowsMadeTogetherAreTheRowsMadeOneByOne) {
    std::vector<core::Record> records;
    for (int i = 0; i < 11; ++i) {
        core::Record r = EveryKindOfValue();
        r.lat += i;
        r.io.resize(static_cast<size_t>(i % 9));  // texts of different lengths, the shortest first or not
        if (i % 3 == 0) r.attributes.clear();
        records.push_back(r);
    }
    for (size_t n = 0; n <= records.size(); ++n) {
        std::vector<PositionRow> rows;
        MakePositionRows(3, std::span<const core::Record>(records.data(), n), rows);
        ASSERT_EQ(rows.size(), n);
        for (size_t i = 0; i < n; ++i) {
            PositionRow one = MakePositionRow(3, records[i]);
            EXPECT_EQ(rows[i].fingerprint, one.fingerprint) << n << " records, row " << i;
            EXPECT_EQ(rows[i].io_json, one.io_json);
            EXPECT_EQ(rows[i].attributes_json, one.attributes_json);
            EXPECT_EQ(rows[i].packed, one.packed);
            EXPECT_EQ(rows[i].lat, one.lat);
            EXPECT_EQ(rows[i].device_id, 3);
        }
    }
}

}  // namespace
}  // namespace fleet::store
