// Byte helpers shared by the protocol decoders: hex conversion, a bounds-checked big-endian reader,
// and the two CRCs the protocols use. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace fleet::core {

using Bytes = std::span<const uint8_t>;

// Lower-case hex of `data`.
std::string ToHex(Bytes data);
// Parses hex digits (either case); spaces are ignored. Error on odd length or a non-hex character.
Result<std::vector<uint8_t>> FromHex(std::string_view hex);

// CRC-16/ARC ("CRC-16/IBM" in Teltonika's docs): poly 0xA001 reflected, init 0, no final xor.
uint16_t Crc16Ibm(Bytes data);
// CRC-16/X-25 ("CRC-ITU" in Concox docs): poly 0x8408 reflected, init 0xFFFF, final xor 0xFFFF.
uint16_t Crc16X25(Bytes data);

// Reads big-endian integers from a byte span without ever reading past its end: a read past the end
// sets the reader's failed flag and returns 0, so a decoder can read a whole structure and check once.
class Reader {
public:
    explicit Reader(Bytes data) : data_(data) {}

    uint8_t U8();
    uint16_t U16();
    uint32_t U24();
    uint32_t U32();
    uint64_t U64();
    uint64_t UInt(size_t n);  // n in 1..8 bytes, big-endian
    Bytes Take(size_t n);     // the next n bytes (empty and failed if fewer remain)
    void Skip(size_t n);

    size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
    size_t position() const { return pos_; }
    bool failed() const { return failed_; }

private:
    bool Need(size_t n);
    Bytes data_;
    size_t pos_ = 0;
    bool failed_ = false;
};

// Appends big-endian integers (used by encoders and replies).
void PutU8(std::vector<uint8_t>& out, uint8_t v);
void PutU16(std::vector<uint8_t>& out, uint16_t v);
void PutU32(std::vector<uint8_t>& out, uint32_t v);
void PutU64(std::vector<uint8_t>& out, uint64_t v);

}  // namespace fleet::core
