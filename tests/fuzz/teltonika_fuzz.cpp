// libFuzzer target for the Teltonika decoder: random bytes go to ScanTcp, DecodeTcp, DecodeUdp and
// DecodeCommand, and through a stream splitter loop as a TCP session would see them. Nothing may
// crash, read out of bounds or hit undefined behaviour; the checks below trap on broken invariants.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "core/json.hpp"
#include "protocol/teltonika/teltonika.hpp"

namespace {

namespace tel = fleet::protocol::teltonika;
using fleet::core::FrameScan;

constexpr size_t kMaxFrame = 64 * 1024;

void Check(bool ok) {
    if (!ok) __builtin_trap();
}

void Exercise(const fleet::Result<fleet::core::Decoded>& decoded) {
    if (!decoded.ok()) return;
    for (const auto& m : decoded->messages) (void)fleet::core::MessageToJson(m);
}

// A decoded AVL packet, encoded again with its codec, must decode to as many records.
void CheckReEncode(std::span<const uint8_t> frame, const fleet::core::Decoded& decoded) {
    if (frame.size() < 9 || decoded.messages.empty()) return;
    uint8_t codec = frame[8];
    if (codec != 0x08 && codec != 0x8E && codec != 0x10) return;
    std::vector<fleet::core::Record> records;
    records.reserve(decoded.messages.size());
    for (const auto& m : decoded.messages) records.push_back(m.record);
    auto again = tel::DecodeTcp(tel::EncodeAvlTcp(static_cast<tel::Codec>(codec), records));
    Check(again.ok() && again->messages.size() == decoded.messages.size());
}

// The input with its length field and CRC made right, so that mutations reach the codec decoders
// instead of stopping at the CRC check.
std::vector<uint8_t> WithValidFraming(std::span<const uint8_t> input) {
    std::vector<uint8_t> packet(input.begin(), input.end());
    uint32_t length = static_cast<uint32_t>(packet.size() - 12);
    for (int i = 0; i < 4; ++i) {
        packet[static_cast<size_t>(i)] = 0;
        packet[static_cast<size_t>(4 + i)] = static_cast<uint8_t>(length >> (8 * (3 - i)));
    }
    uint16_t crc = fleet::core::Crc16Ibm(std::span<const uint8_t>(packet).subspan(8, length));
    packet[packet.size() - 4] = 0;
    packet[packet.size() - 3] = 0;
    packet[packet.size() - 2] = static_cast<uint8_t>(crc >> 8);
    packet[packet.size() - 1] = static_cast<uint8_t>(crc);
    return packet;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> input(data, size);

    // The whole input as one frame or one datagram.
    auto tcp = tel::DecodeTcp(input);
    Exercise(tcp);
    if (tcp.ok()) CheckReEncode(input, *tcp);
    Exercise(tel::DecodeUdp(input));
    (void)tel::DecodeCommand(input);
    if (input.size() >= 12 && input.size() <= kMaxFrame) {
        std::vector<uint8_t> packet = WithValidFraming(input);
        auto framed = tel::DecodeTcp(packet);
        Exercise(framed);
        if (framed.ok()) CheckReEncode(packet, *framed);
        (void)tel::DecodeCommand(packet);
    }

    // The input as a TCP stream: split frames off the front until the scanner wants more or fails.
    size_t pos = 0;
    while (pos < input.size()) {
        std::span<const uint8_t> rest = input.subspan(pos);
        FrameScan scan = tel::ScanTcp(rest, kMaxFrame);
        if (scan.status != FrameScan::Status::kFrame) break;
        Check(scan.length > 0 && scan.length <= rest.size() && scan.skip < scan.length);
        auto frame = rest.subspan(scan.skip, scan.length - scan.skip);
        auto decoded = tel::DecodeTcp(frame);
        Exercise(decoded);
        if (decoded.ok()) CheckReEncode(frame, *decoded);
        pos += scan.length;
    }
    return 0;
}
