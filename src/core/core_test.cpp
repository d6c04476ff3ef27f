#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/bytes.hpp"
#include "core/json.hpp"
#include "core/thread.hpp"
#include "core/time.hpp"

namespace fleet::core {
namespace {

std::vector<uint8_t> Ascii(std::string_view s) { return {s.begin(), s.end()}; }

TEST(CrcTest, MatchesStandardCheckValues) {
    auto check = Ascii("123456789");
    EXPECT_EQ(Crc16Ibm(check), 0xBB3D);
    EXPECT_EQ(Crc16X25(check), 0x906E);
}

TEST(HexTest, RoundTripsAndRejectsBadDigits) {
    auto bytes = FromHex("000F33 35");
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(ToHex(*bytes), "000f3335");
    EXPECT_FALSE(FromHex("0g").ok());
    EXPECT_FALSE(FromHex("123").ok());
}

TEST(ReaderTest, FailsInsteadOfReadingPastTheEnd) {
    std::vector<uint8_t> data{0x01, 0x02, 0x03};
    Reader r(data);
    EXPECT_EQ(r.U16(), 0x0102);
    EXPECT_FALSE(r.failed());
    EXPECT_EQ(r.U16(), 0);
    EXPECT_TRUE(r.failed());
    EXPECT_EQ(r.remaining(), 0u);
}

TEST(TimeTest, FormatsAndParsesUtc) {
    auto t = ParseIso("2019-06-10T10:04:46Z");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(FormatIso(*t), "2019-06-10T10:04:46.000Z");
    EXPECT_EQ(FormatIso(*ParseIso("2019-06-10 12:04:46.5+02:00")), "2019-06-10T10:04:46.500Z");
    EXPECT_EQ(FormatIso(*ParseIso("2019-06-10")), "2019-06-10T00:00:00.000Z");
    EXPECT_FALSE(ParseIso("2019-13-10T00:00:00Z").ok());
    EXPECT_FALSE(ParseIso("yesterday").ok());
}

TEST(JsonTest, EscapesHostileStrings) {
    std::string out;
    AppendJsonString(out, std::string("a\"b\\c\n\x01<\xff", 9));
    EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001<\\ufffd\"");
}

// Runs of plain characters are copied at once: what surrounds an escape, and 0x7F, which is escaped.
TEST(JsonTest, CopiesPlainRunsAroundEscapes) {
    std::string out;
    AppendJsonString(out, "external_voltage_v\t\x7f\"end");
    EXPECT_EQ(out, "\"external_voltage_v\\t\\u007f\\\"end\"");
    out.clear();
    AppendJsonString(out, "caf\xc3\xa9 ok");
    EXPECT_EQ(out, "\"caf\xc3\xa9 ok\"");
}

// The stored JSON is hashed into each position's fingerprint: a number must be written exactly as
// fmt's "{}" writes it (an integral value as the integer), whatever the way it is written.
TEST(JsonTest, NumbersAreWhatFmtWrites) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> wide(-1e6, 1e6);
    std::vector<double> values{0.1, 12.655, 4.137, -0.5, 1e-7, 1e21, 1e15, -1e15, 123456789012345.0, 1e300,
                               5e-324, 0.0, -0.0, 45.7483808};
    for (int i = 0; i < 2000; ++i) values.push_back(wide(rng));
    for (int i = 0; i < 2000; ++i) values.push_back(std::ldexp(wide(rng), static_cast<int>(rng() % 200) - 100));
    for (double v : values) {
        std::string out;
        AppendJsonNumber(out, v);
        const bool integral = v == std::floor(v) && std::fabs(v) < 1e15;
        EXPECT_EQ(out, integral ? fmt::format("{}", static_cast<int64_t>(v)) : fmt::format("{}", v)) << v;
    }
    std::string out;
    AppendJsonNumber(out, std::nan(""));
    EXPECT_EQ(out, "null");
}

TEST(JsonTest, WritesMessageLine) {
    Message m;
    m.type = MessageType::kPosition;
    m.imei = "356307042441013";
    m.record.device_time = *ParseIso("2019-06-10T10:04:46Z");
    m.record.lat = 54.6676016;
    m.record.lon = 25.2562916;
    m.record.valid = true;
    m.record.io.push_back({239, 1, 1, {}});
    SetAttribute(m.record.attributes, "ignition", true);
    std::string line = MessageToJson(m);
    EXPECT_NE(line.find("\"time\":\"2019-06-10T10:04:46.000Z\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"lat\":54.6676016"), std::string::npos) << line;
    EXPECT_NE(line.find("\"io\":{\"239\":1}"), std::string::npos) << line;
    EXPECT_NE(line.find("\"attributes\":{\"ignition\":true}"), std::string::npos) << line;
}

}  // namespace
}  // namespace fleet::core

TEST(ThreadTest, NamesTheCallingThreadWithinTheKernelsLimit) {
    char name[32] = {};
    std::thread([&] {
        fleet::core::NameThread("fleetd-a-very-long-thread-name");
        pthread_getname_np(pthread_self(), name, sizeof name);
    }).join();
    EXPECT_STREQ(name, "fleetd-a-very-l");
}

TEST(ThreadTest, SetsTheNiceValueOfTheCallingThreadOnly) {
    const int before = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
    int seen = -100;
    bool ok = false;
    std::thread([&] {
        ok = fleet::core::SetThreadNice(before + 3);
        seen = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
    }).join();
    EXPECT_TRUE(ok);  // lowering one's own priority is always allowed
    EXPECT_EQ(seen, before + 3);
    EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))), before);
}
