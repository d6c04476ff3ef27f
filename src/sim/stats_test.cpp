#include "sim/stats.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace fleet::sim {
namespace {

using std::chrono::microseconds;

TEST(LatencyHistogramTest, EmptyHasZeroPercentiles) {
    LatencyHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.Percentile(0.5), microseconds(0));
    EXPECT_EQ(h.max(), microseconds(0));
}

TEST(LatencyHistogramTest, PercentilesWithinThreePercent) {
    LatencyHistogram h;
    for (int us = 1; us <= 100000; ++us) h.Add(microseconds(us));
    EXPECT_EQ(h.count(), 100000u);
    for (double q : {0.5, 0.9, 0.99}) {
        double want = q * 100000;
        EXPECT_NEAR(static_cast<double>(h.Percentile(q).count()), want, want * 0.032) << q;
        EXPECT_GE(static_cast<double>(h.Percentile(q).count()), want);
    }
    EXPECT_EQ(h.Percentile(1.0), microseconds(100000));
    EXPECT_EQ(h.max(), microseconds(100000));
}

TEST(LatencyHistogramTest, MergeCountsEverySampleOfBoth) {
    LatencyHistogram a, b;
    for (int i = 0; i < 90; ++i) a.Add(microseconds(10));
    for (int i = 0; i < 10; ++i) b.Add(microseconds(5000));
    a.Merge(b);
    EXPECT_EQ(a.count(), 100u);
    EXPECT_EQ(a.Percentile(0.9), microseconds(10));
    EXPECT_GE(a.Percentile(0.95).count(), 5000);
    EXPECT_EQ(a.max(), microseconds(5000));
    LatencyHistogram empty;
    b.Merge(empty);
    EXPECT_EQ(b.count(), 10u);
    EXPECT_EQ(b.Percentile(0.5).count(), 5000);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
    LatencyHistogram h;
    for (int i = 0; i < 9; ++i) h.Add(microseconds(10));
    h.Add(microseconds(40));
    EXPECT_EQ(h.Percentile(0.5), microseconds(10));
    EXPECT_EQ(h.Percentile(0.9), microseconds(10));
    EXPECT_EQ(h.Percentile(0.99), microseconds(40));
}

TEST(LatencyHistogramTest, HugeValuesDoNotOverflow) {
    LatencyHistogram h;
    h.Add(microseconds(int64_t{1} << 40));
    h.Add(microseconds(-5));
    EXPECT_EQ(h.Percentile(1.0), microseconds(int64_t{1} << 40));
    EXPECT_EQ(h.Percentile(0.5), microseconds(0));
}

TEST(StatsTest, CountsErrorKindsMostFrequentFirst) {
    Stats s;
    s.Error("ack timeout");
    s.Error("wrong ack count");
    s.Error("wrong ack count");
    s.Refused("device refused: unknown or disabled");
    s.ConnectFailure("connect: Connection refused");
    Report r = s.Finish(1.0);
    EXPECT_EQ(r.errors, 3u);
    EXPECT_EQ(r.refused, 1u);
    EXPECT_EQ(r.connect_failures, 1u);
    ASSERT_EQ(r.error_kinds.size(), 4u);
    EXPECT_EQ(r.error_kinds[0], (std::pair<std::string, uint64_t>("wrong ack count", 2)));
}

TEST(StatsTest, BoundsTheNumberOfErrorKinds) {
    Stats s;
    for (int i = 0; i < 100; ++i) s.Error("kind " + std::to_string(i));
    Report r = s.Finish(1.0);
    EXPECT_EQ(r.errors, 100u);
    EXPECT_EQ(r.error_kinds.size(), Stats::kMaxErrorKinds + 1);
    EXPECT_EQ(r.error_kinds.front(),
              (std::pair<std::string, uint64_t>("other", 100 - Stats::kMaxErrorKinds)));
}

TEST(StatsTest, TracksOpenAndPeakConnections) {
    Stats s;
    s.Established();
    s.Established();
    s.Closed();
    s.Established();
    s.SnapshotOpen();
    s.Closed();
    Report r = s.Finish(1.0);
    EXPECT_EQ(r.connections_established, 3u);
    EXPECT_EQ(r.connections_peak, 2u);
    EXPECT_EQ(r.connections_open, 2u);
}

TEST(ReportTest, JsonIsOneLineWithEveryCounter) {
    Stats s;
    s.counters().protocol = "teltonika";
    s.counters().devices = 2;
    s.counters().records_sent = 30;
    s.counters().records_acked = 30;
    s.latency().Add(microseconds(1500));
    s.Error("wrong \"ack\"");
    Report r = s.Finish(3.0);
    std::string json = r.ToJson();
    EXPECT_EQ(json.find('\n'), std::string::npos);
    EXPECT_EQ(json.front(), '{');
    EXPECT_EQ(json.back(), '}');
    for (const char* part : {"\"protocol\":\"teltonika\"", "\"devices\":2", "\"records_acked\":30",
                             "\"records_per_s\":10", "\"seconds\":3", "\"latency_p50_ms\":1.5",
                             "\"error_kinds\":{\"wrong \\\"ack\\\"\":1}"}) {
        EXPECT_NE(json.find(part), std::string::npos) << part << " in " << json;
    }
    std::string text = r.ToText();
    EXPECT_NE(text.find("10.0 acked/s"), std::string::npos) << text;
    EXPECT_NE(text.find("wrong \"ack\""), std::string::npos) << text;
}

}  // namespace
}  // namespace fleet::sim
