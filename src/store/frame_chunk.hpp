// Raw frames by chunk: how fleetd keeps the frames devices sent, for diagnostics, without paying a
// database row per frame while it ingests at full rate.
//
// A chunk is consecutive frames of one device and one protocol. Under light load each frame is its own
// chunk, written in the same transaction as its records (so it can be read as soon as the device has
// its ACK). Under load the committer holds a device's frames in a FrameBuffer for up to a second and
// writes them as one compressed row: under the ingestion benchmark's load (about 90,000 records/s)
// about a tenth of the rows and a fifth of the bytes (docs/operations.md, "Raw frames";
// docs/BENCHMARKS.md, summary).
//
// Thread-safety: FrameChunk and FrameBuffer are plain values, used by one thread (the committer's);
// the functions are pure.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace fleet::store {

// Consecutive raw frames of one device, in the order they were received.
struct FrameChunk {
    int64_t device_id = 0;
    std::string protocol;
    core::TimePoint first_at{};  // the first frame's reception time
    core::TimePoint last_at{};   // the latest reception time of any frame in the chunk
    int frames = 0;
    // Each frame as: zigzag varint (received_at - first_at, ms), varint length, its bytes.
    std::vector<uint8_t> packed;

    void Append(core::TimePoint received_at, core::Bytes frame);
};

// The largest packed chunk that is stored or read back (a frame is at most devices.max_frame_bytes,
// far less; a FrameBuffer closes a chunk at its chunk_bytes).
inline constexpr size_t kMaxPackedChunkBytes = 16u << 20;

// Calls fn(received_at, frame) for each frame of `packed`, in order; stops early if fn returns false.
// Error if the bytes are not `frames` well-formed entries (a damaged row is reported, not guessed at).
Result<void> ForEachPackedFrame(core::Bytes packed, core::TimePoint first_at, int frames,
                                const std::function<bool(core::TimePoint, core::Bytes)>& fn);

// What is stored of a packed chunk: varint length, then the LZ4 block of the bytes.
std::vector<uint8_t> CompressChunk(core::Bytes packed);
// The packed chunk back; error if damaged or larger than kMaxPackedChunkBytes.
Result<std::vector<uint8_t>> DecompressChunk(core::Bytes stored);

// Holds raw frames by device until they are due to be written, with bounded memory.
class FrameBuffer {
public:
    using Clock = std::chrono::steady_clock;
    struct Limits {
        size_t chunk_bytes = 32 * 1024;           // a chunk is due once it holds this many packed bytes
        std::chrono::milliseconds max_age{1000};  // ... or once its first frame has been held this long
        size_t max_held_bytes = 16u << 20;        // beyond this, everything held is due
    };

    explicit FrameBuffer(Limits limits) : limits_(limits) {}

    // Holds one frame of a device. A frame of another protocol than the device's held chunk, or one
    // that would take the chunk past chunk_bytes, closes that chunk first (it is due).
    void Add(int64_t device_id, std::string_view protocol, core::TimePoint received_at, core::Bytes frame,
             Clock::time_point now);
    // Appends the due chunks to `out` and forgets them: every chunk held if `all` or if more than
    // max_held_bytes are held; otherwise the closed ones, the full ones and those older than max_age.
    void TakeDue(Clock::time_point now, bool all, std::vector<FrameChunk>& out);

    size_t held_frames() const { return held_frames_; }
    size_t held_bytes() const { return held_bytes_; }
    bool empty() const { return held_frames_ == 0; }

private:
    struct Held {
        FrameChunk chunk;
        Clock::time_point started{};
        uint64_t generation = 0;
    };
    void Close(Held& h);

    Limits limits_;
    std::unordered_map<int64_t, Held> held_;
    // Open chunks in the order they started, as (device, generation); an entry whose device has
    // since closed that chunk is stale and skipped. A device has an entry in held_ only while it
    // has an open chunk.
    std::deque<std::pair<int64_t, uint64_t>> order_;
    std::vector<FrameChunk> closed_;
    uint64_t next_generation_ = 1;
    size_t held_frames_ = 0;
    size_t held_bytes_ = 0;
};

}  // namespace fleet::store
