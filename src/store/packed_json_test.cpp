#include "store/packed_json.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.hpp"
#include "protocol/teltonika/teltonika.hpp"
#include "store/store.hpp"

namespace fleet::store {
namespace {

// The records of every public Teltonika frame in tests/data (each line names its source), as rows.
std::vector<PositionRow> PublicTeltonikaRows() {
    std::ifstream in(std::string(FLEETD_TEST_DATA) + "/teltonika/tcp_frames.hex");
    EXPECT_TRUE(in.good());
    std::vector<PositionRow> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto bytes = core::FromHex(line);
        if (!bytes) continue;
        auto decoded = protocol::teltonika::DecodeTcp(core::Bytes(bytes->data(), bytes->size()));
        if (!decoded) continue;
        for (const auto& m : decoded->messages) {
            if (m.type == core::MessageType::kPosition) rows.push_back(MakePositionRow(1, m.record));
        }
    }
    return rows;
}

TEST(PackedJsonTest, RealRecordsComeBackExactlyAndSmaller) {
    auto rows = PublicTeltonikaRows();
    ASSERT_GE(rows.size(), 20u);
    size_t text = 0, packed = 0;
    for (const auto& r : rows) {
        ASSERT_FALSE(r.packed.empty());
        std::string io, attributes;
        ASSERT_TRUE(UnpackJson(r.packed.data(), r.packed.size(), io, attributes)) << r.io_json;
        EXPECT_EQ(io, r.io_json);
        EXPECT_EQ(attributes, r.attributes_json);
        text += r.io_json.size() + r.attributes_json.size();
        packed += r.packed.size();
    }
    std::printf("[ info ] %zu public Teltonika records: %zu bytes of JSON, %zu packed\n", rows.size(), text, packed);
    // The dictionary is what makes single records small: without it LZ4 finds little to match.
    EXPECT_LT(packed * 10, text * 7) << packed << " packed bytes for " << text << " bytes of text";
}

TEST(PackedJsonTest, AnyTextComesBackExactly) {
    std::mt19937 rng(42);
    for (int i = 0; i < 2000; ++i) {
        auto text = [&] {
            std::string s(rng() % (i < 1900 ? 600 : 70000), '\0');
            for (auto& c : s) c = static_cast<char>(1 + rng() % 255);  // any byte but NUL
            return s;
        };
        std::string io = text(), attributes = i % 3 ? text() : std::string();
        std::string packed = PackJson(io, attributes);
        std::string io_back = "x", attributes_back = "y";
        ASSERT_TRUE(UnpackJson(packed.data(), packed.size(), io_back, attributes_back));
        ASSERT_EQ(io_back, io);
        ASSERT_EQ(attributes_back, attributes);
    }
}

// Each text is packed from the same starting state (the dictionary only), whatever the thread packed
// before: the same text gives the same bytes, on this thread after others and on a fresh thread.
TEST(PackedJsonTest, PackingDoesNotDependOnWhatTheThreadPackedBefore) {
    auto rows = PublicTeltonikaRows();
    ASSERT_GE(rows.size(), 2u);
    const std::string first = PackJson(rows[0].io_json, rows[0].attributes_json);
    for (const auto& r : rows) PackJson(r.io_json, r.attributes_json);
    EXPECT_EQ(PackJson(rows[0].io_json, rows[0].attributes_json), first);
    std::string on_fresh_thread;
    std::thread([&] { on_fresh_thread = PackJson(rows[0].io_json, rows[0].attributes_json); }).join();
    EXPECT_EQ(on_fresh_thread, first);
}

TEST(PackedJsonTest, DamagedOrForeignDataIsRefusedWithoutHarm) {
    const std::string packed = PackJson(R"({"239":1,"66":12500})", R"({"ignition":true,"external_voltage_v":12.5})");
    std::string io = "unchanged", attributes = "unchanged";
    // Every truncation, and a version this code does not know.
    for (size_t n = 0; n < packed.size(); ++n) EXPECT_FALSE(UnpackJson(packed.data(), n, io, attributes)) << n;
    std::string other = packed;
    other[0] = 0x02;
    EXPECT_FALSE(UnpackJson(other.data(), other.size(), io, attributes));
    // A stated length beyond what is accepted.
    const std::string huge = std::string("\x01\xff\xff\xff\x7f", 5) + packed.substr(2);
    EXPECT_FALSE(UnpackJson(huge.data(), huge.size(), io, attributes));
    EXPECT_EQ(io, "unchanged");
    EXPECT_EQ(attributes, "unchanged");
    // Flipped bytes: refused or unpacked, never a crash nor a read out of bounds (ASan runs this).
    std::mt19937 rng(7);
    for (int i = 0; i < 5000; ++i) {
        std::string bad = packed;
        bad[1 + rng() % (bad.size() - 1)] ^= static_cast<char>(1 + rng() % 255);
        (void)UnpackJson(bad.data(), bad.size(), io, attributes);
    }
}

}  // namespace
}  // namespace fleet::store
