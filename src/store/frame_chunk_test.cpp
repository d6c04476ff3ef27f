#include "store/frame_chunk.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace fleet::store {
namespace {

using namespace std::chrono_literals;
using Clock = FrameBuffer::Clock;

core::TimePoint At(int64_t ms) { return core::TimePoint{core::Millis{1'767'225'600'000 + ms}}; }

// Real frames: the public Teltonika captures the decoder's tests use (tests/data/teltonika/, each
// line names its source there).
std::vector<std::vector<uint8_t>> RealFrames() {
    std::vector<std::vector<uint8_t>> out;
    std::ifstream in(std::string(FLEETD_TEST_DATA) + "/teltonika/tcp_frames.hex");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto hex = line.substr(0, line.find(' '));
        if (auto bytes = core::FromHex(hex); bytes && !bytes->empty()) out.push_back(*bytes);
    }
    return out;
}

struct Unpacked {
    core::TimePoint at;
    std::vector<uint8_t> data;
};

std::vector<Unpacked> Unpack(const FrameChunk& c) {
    std::vector<Unpacked> out;
    auto r = ForEachPackedFrame(c.packed, c.first_at, c.frames, [&](core::TimePoint at, core::Bytes f) {
        out.push_back({at, {f.begin(), f.end()}});
        return true;
    });
    EXPECT_TRUE(r.ok()) << r.error().message;
    return out;
}

TEST(FrameChunkTest, PacksAndUnpacksRealFramesWithTheirTimesAlsoOutOfOrder) {
    auto frames = RealFrames();
    ASSERT_GE(frames.size(), 3u);
    FrameChunk c;
    const int64_t offsets[] = {0, 250, 100, 86'400'000};  // the third one is older than the second
    for (size_t i = 0; i < frames.size(); ++i) c.Append(At(offsets[i % 4] + static_cast<int64_t>(i / 4)), frames[i]);
    EXPECT_EQ(c.frames, static_cast<int>(frames.size()));
    EXPECT_EQ(c.first_at, At(0));
    core::TimePoint newest = At(0);
    for (size_t i = 0; i < frames.size(); ++i) newest = std::max(newest, At(offsets[i % 4] + static_cast<int64_t>(i / 4)));
    EXPECT_EQ(c.last_at, newest);
    EXPECT_GT(newest, At(86'400'000));
    auto back = Unpack(c);
    ASSERT_EQ(back.size(), frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(back[i].data, frames[i]) << i;
        EXPECT_EQ(back[i].at, At(offsets[i % 4] + static_cast<int64_t>(i / 4))) << i;
    }
    // Stored compressed, read back the same.
    auto stored = CompressChunk(c.packed);
    auto again = DecompressChunk(stored);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*again, c.packed);
}

TEST(FrameChunkTest, ADamagedChunkIsAnErrorNotAGuess) {
    FrameChunk c;
    c.Append(At(0), std::vector<uint8_t>(100, 0xab));
    c.Append(At(5), std::vector<uint8_t>(50, 0xcd));
    auto each = [&](core::Bytes packed, int frames) {
        return ForEachPackedFrame(packed, c.first_at, frames, [](core::TimePoint, core::Bytes) { return true; });
    };
    EXPECT_TRUE(each(c.packed, 2).ok());
    EXPECT_FALSE(each(core::Bytes(c.packed).first(c.packed.size() - 1), 2).ok());  // cut short
    EXPECT_FALSE(each(c.packed, 3).ok());                                           // fewer frames than said
    EXPECT_FALSE(each(c.packed, 1).ok());                                           // bytes after the last
    std::vector<uint8_t> endless(20, 0xff);                                         // a varint that never ends
    EXPECT_FALSE(each(endless, 1).ok());

    auto stored = CompressChunk(c.packed);
    EXPECT_FALSE(DecompressChunk(core::Bytes(stored).first(stored.size() - 3)).ok());
    auto lying = stored;
    lying[0] = static_cast<uint8_t>(lying[0] + 1);  // states one byte more than the block holds
    EXPECT_FALSE(DecompressChunk(lying).ok());
    const std::vector<uint8_t> huge = {0xff, 0xff, 0xff, 0xff, 0x7f, 0x00};  // 34 GB stated: not allocated
    EXPECT_FALSE(DecompressChunk(huge).ok());
    EXPECT_FALSE(DecompressChunk({}).ok());
}

TEST(FrameBufferTest, HoldsADevicesFramesUntilItsChunkIsASecondOld) {
    FrameBuffer buffer({.chunk_bytes = 32 * 1024, .max_age = 1000ms, .max_held_bytes = 1 << 20});
    const auto t0 = Clock::now();
    const std::vector<uint8_t> frame(300, 0x42);
    std::vector<FrameChunk> due;
    for (int i = 0; i < 5; ++i) {
        buffer.Add(1, "teltonika", At(i * 100), frame, t0 + i * 100ms);
        buffer.Add(2, "teltonika", At(i * 100 + 50), frame, t0 + i * 100ms + 50ms);
        buffer.TakeDue(t0 + i * 100ms + 60ms, false, due);
        EXPECT_TRUE(due.empty());
    }
    EXPECT_EQ(buffer.held_frames(), 10u);
    buffer.TakeDue(t0 + 1000ms, false, due);  // device 1's chunk started at t0, device 2's at t0 + 50 ms
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].device_id, 1);
    EXPECT_EQ(due[0].frames, 5);
    EXPECT_EQ(due[0].first_at, At(0));
    EXPECT_EQ(due[0].last_at, At(400));
    EXPECT_EQ(buffer.held_frames(), 5u);
    buffer.Add(1, "teltonika", At(1000), frame, t0 + 1000ms);  // a new chunk for device 1
    due.clear();
    buffer.TakeDue(t0 + 1050ms, false, due);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].device_id, 2);
    EXPECT_EQ(Unpack(due[0]).size(), 5u);
    due.clear();
    buffer.TakeDue(t0 + 1100ms, true, due);  // all
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].device_id, 1);
    EXPECT_EQ(due[0].frames, 1);
    EXPECT_TRUE(buffer.empty());
    EXPECT_EQ(buffer.held_bytes(), 0u);
}

TEST(FrameBufferTest, AFullChunkOrAnotherProtocolClosesTheChunkAndOrderIsKept) {
    FrameBuffer buffer({.chunk_bytes = 1000, .max_age = 10s, .max_held_bytes = 1 << 20});
    const auto t0 = Clock::now();
    std::vector<FrameChunk> due;
    for (int i = 0; i < 7; ++i) buffer.Add(9, "teltonika", At(i), std::vector<uint8_t>(300, static_cast<uint8_t>(i)), t0);
    buffer.Add(9, "gt06", At(7), std::vector<uint8_t>(10, 7), t0);
    buffer.TakeDue(t0, false, due);
    // 300-byte frames: three fit in 1,000 bytes; the protocol change closes the fourth chunk.
    ASSERT_EQ(due.size(), 3u);
    EXPECT_EQ(due[0].frames, 3);
    EXPECT_EQ(due[1].frames, 3);
    EXPECT_EQ(due[2].frames, 1);
    EXPECT_EQ(due[2].protocol, "teltonika");
    buffer.TakeDue(t0, true, due);
    ASSERT_EQ(due.size(), 4u);
    EXPECT_EQ(due[3].protocol, "gt06");
    int next = 0;
    for (const auto& c : due) {
        for (const auto& f : Unpack(c)) {
            EXPECT_EQ(f.data.front(), next);
            EXPECT_EQ(f.at, At(next));
            ++next;
        }
    }
    EXPECT_EQ(next, 8);
    // One frame larger than a chunk is a chunk of its own.
    due.clear();
    buffer.Add(9, "teltonika", At(8), std::vector<uint8_t>(5000, 1), t0);
    buffer.TakeDue(t0, false, due);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].frames, 1);
}

TEST(FrameBufferTest, MemoryIsBoundedEverythingIsDueBeyondTheLimit) {
    FrameBuffer buffer({.chunk_bytes = 64 * 1024, .max_age = 3600s, .max_held_bytes = 100'000});
    const auto t0 = Clock::now();
    std::vector<FrameChunk> due;
    int64_t devices = 0;
    for (; devices < 190; ++devices) {  // 190 x 504 bytes: just under the limit
        buffer.Add(devices + 1, "osmand", At(devices), std::vector<uint8_t>(500, 1), t0);
    }
    buffer.TakeDue(t0, false, due);
    EXPECT_TRUE(due.empty());  // under the limit, and nothing is old or full
    EXPECT_EQ(buffer.held_frames(), 190u);
    for (; devices < 200; ++devices) buffer.Add(devices + 1, "osmand", At(devices), std::vector<uint8_t>(500, 1), t0);
    EXPECT_GT(buffer.held_bytes(), 100'000u);
    buffer.TakeDue(t0, false, due);  // past it: everything held is due
    EXPECT_EQ(due.size(), 200u);
    EXPECT_TRUE(buffer.empty());
    EXPECT_EQ(buffer.held_bytes(), 0u);
}

}  // namespace
}  // namespace fleet::store
