#include "store/frame_chunk.hpp"

#include <lz4.h>

#include <algorithm>
#include <limits>

namespace fleet::store {
namespace {

void PutVarint(std::vector<uint8_t>& out, uint64_t v) {
    while (v > 0x7f) {
        out.push_back(static_cast<uint8_t>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}

// Reads a varint at `at`; false if truncated or longer than 64 bits.
bool GetVarint(core::Bytes in, size_t& at, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at >= in.size()) return false;
        uint8_t b = in[at++];
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) return true;
    }
    return false;
}

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

void FrameChunk::Append(core::TimePoint received_at, core::Bytes frame) {
    if (frames == 0) first_at = last_at = received_at;
    last_at = std::max(last_at, received_at);
    PutVarint(packed, ZigZag((received_at - first_at).count()));
    PutVarint(packed, frame.size());
    packed.insert(packed.end(), frame.begin(), frame.end());
    ++frames;
}

Result<void> ForEachPackedFrame(core::Bytes packed, core::TimePoint first_at, int frames,
                                const std::function<bool(core::TimePoint, core::Bytes)>& fn) {
    size_t at = 0;
    for (int i = 0; i < frames; ++i) {
        uint64_t delta = 0, length = 0;
        if (!GetVarint(packed, at, delta) || !GetVarint(packed, at, length) || length > packed.size() - at) {
            return MakeError("damaged raw-frame chunk: frame " + std::to_string(i + 1) + " of " +
                             std::to_string(frames) + " is cut short");
        }
        auto received_at = first_at + core::Millis{UnZigZag(delta)};
        if (!fn(received_at, packed.subspan(at, length))) return {};
        at += length;
    }
    if (at != packed.size()) return MakeError("damaged raw-frame chunk: bytes after its last frame");
    return {};
}

std::vector<uint8_t> CompressChunk(core::Bytes packed) {
    std::vector<uint8_t> out;
    PutVarint(out, packed.size());
    const size_t head = out.size();
    out.resize(head + static_cast<size_t>(LZ4_compressBound(static_cast<int>(packed.size()))));
    int n = LZ4_compress_default(reinterpret_cast<const char*>(packed.data()), reinterpret_cast<char*>(out.data() + head),
                                 static_cast<int>(packed.size()), static_cast<int>(out.size() - head));
    out.resize(head + static_cast<size_t>(std::max(n, 0)));
    return out;
}

Result<std::vector<uint8_t>> DecompressChunk(core::Bytes stored) {
    size_t at = 0;
    uint64_t length = 0;
    if (!GetVarint(stored, at, length) || length == 0 || length > kMaxPackedChunkBytes) {
        return MakeError("damaged raw-frame chunk: no valid length");
    }
    std::vector<uint8_t> out(length);
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(stored.data() + at), reinterpret_cast<char*>(out.data()),
                                static_cast<int>(stored.size() - at), static_cast<int>(length));
    if (n < 0 || static_cast<uint64_t>(n) != length) return MakeError("damaged raw-frame chunk: does not decompress");
    return out;
}

void FrameBuffer::Add(int64_t device_id, std::string_view protocol, core::TimePoint received_at, core::Bytes frame,
                      Clock::time_point now) {
    Held& h = held_[device_id];
    const size_t entry = frame.size() + 20;  // the frame and at most its two varints
    if (h.chunk.frames > 0 && (h.chunk.protocol != protocol || h.chunk.packed.size() + entry > limits_.chunk_bytes)) {
        Close(h);
    }
    if (h.chunk.frames == 0) {
        h.chunk.device_id = device_id;
        h.chunk.protocol.assign(protocol);
        h.started = now;
        h.generation = next_generation_++;
        order_.emplace_back(device_id, h.generation);
    } else if (h.chunk.frames == 1) {
        // A chunk that holds more than one frame (the committer holds them: it is busy) gets room
        // for about a dozen (a second of a busy device, what such a chunk usually holds) at once,
        // instead of growing by doubling: each growth copied the chunk and touched fresh memory,
        // 9% of the writer's samples under a 1,000-device load (perf). A frame written alone, as
        // under light load, takes only its own room.
        h.chunk.packed.reserve(std::min(limits_.chunk_bytes, entry * 12));
    }
    const size_t before = h.chunk.packed.size();
    h.chunk.Append(received_at, frame);
    held_bytes_ += h.chunk.packed.size() - before;
    ++held_frames_;
    if (h.chunk.packed.size() >= limits_.chunk_bytes) {
        Close(h);
        held_.erase(device_id);  // its next frame starts a chunk (and an entry) of its own
    }
}

// Moves the device's open chunk to the closed ones (due at the next TakeDue).
void FrameBuffer::Close(Held& h) {
    closed_.push_back(std::move(h.chunk));
    h.chunk = FrameChunk{};
    h.generation = 0;  // its entry in order_ is stale now
}

void FrameBuffer::TakeDue(Clock::time_point now, bool all, std::vector<FrameChunk>& out) {
    auto give = [&](FrameChunk&& c) {
        held_bytes_ -= c.packed.size();
        held_frames_ -= static_cast<size_t>(c.frames);
        out.push_back(std::move(c));
    };
    for (auto& c : closed_) give(std::move(c));
    closed_.clear();
    if (all || held_bytes_ > limits_.max_held_bytes) {
        for (auto& [device, h] : held_) {
            if (h.chunk.frames > 0) give(std::move(h.chunk));
        }
        held_.clear();
        order_.clear();
        return;
    }
    while (!order_.empty()) {
        auto [device, generation] = order_.front();
        auto it = held_.find(device);
        if (it == held_.end() || it->second.generation != generation) {
            order_.pop_front();  // stale: that chunk was closed
            continue;
        }
        if (now - it->second.started < limits_.max_age) break;  // the oldest open chunk is not due
        give(std::move(it->second.chunk));
        held_.erase(it);
        order_.pop_front();
    }
}

}  // namespace fleet::store
