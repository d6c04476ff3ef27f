// libFuzzer target for the GT06 decoder: the input is a TCP byte stream cut into frames by Scan,
// each frame decoded and rendered as JSON; positions and alarms are re-encoded and decoded again.
// Must never crash, hang or read out of bounds; any inconsistency between Scan and Decode traps.
#include <cstddef>
#include <cstdint>

#include "core/bytes.hpp"
#include "core/json.hpp"
#include "protocol/gt06/gt06.hpp"

namespace {

using fleet::core::FrameScan;
namespace gt06 = fleet::protocol::gt06;

constexpr size_t kMaxFrame = 1024;

void CheckRoundTrip(const fleet::core::Message& m) {
    if (m.type != fleet::core::MessageType::kPosition &&
        m.type != fleet::core::MessageType::kAlarm) {
        return;
    }
    const auto location = gt06::EncodeLocation(m.record, 1, 0x22);
    if (!gt06::Decode(location).ok()) __builtin_trap();
    const auto alarm = gt06::EncodeAlarm(m.record, 0x01, 1, 0x26);
    auto decoded = gt06::Decode(alarm);
    if (!decoded.ok() || decoded->messages.size() != 1) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fleet::core::Bytes stream(data, size);
    // Each pass consumes at least one byte, so the loop is bounded by the input size.
    while (!stream.empty()) {
        const FrameScan scan = gt06::Scan(stream, kMaxFrame);
        if (scan.status == FrameScan::Status::kNeedMore) break;
        if (scan.status == FrameScan::Status::kError) {
            stream = stream.subspan(1);  // resynchronise on the next byte
            continue;
        }
        if (scan.length == 0 || scan.length > stream.size() || scan.length > kMaxFrame)
            __builtin_trap();
        const auto frame = stream.first(scan.length);
        auto decoded = gt06::Decode(frame);
        if (decoded.ok()) {
            for (const auto& m : decoded->messages) {
                (void)fleet::core::MessageToJson(m);
                CheckRoundTrip(m);
            }
            if (!decoded->reply.empty() && !gt06::Decode(decoded->reply).ok()) {
                // Replies are well-formed frames; decoding one may fail only for its content (an
                // ack has no information bytes), never for its framing or CRC.
                const FrameScan reply = gt06::Scan(decoded->reply, kMaxFrame);
                if (reply.status != FrameScan::Status::kFrame ||
                    reply.length != decoded->reply.size()) {
                    __builtin_trap();
                }
            }
        }
        stream = stream.subspan(scan.length);
    }
    (void)gt06::Decode(fleet::core::Bytes(data, size));
    return 0;
}
