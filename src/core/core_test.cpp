#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

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
