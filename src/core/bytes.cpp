#include "core/bytes.hpp"

#include <array>

namespace fleet::core {
namespace {

constexpr std::array<uint16_t, 256> MakeTable(uint16_t poly) {
    std::array<uint16_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        uint16_t c = static_cast<uint16_t>(i);
        for (int k = 0; k < 8; ++k) c = (c & 1) ? static_cast<uint16_t>((c >> 1) ^ poly) : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto kIbmTable = MakeTable(0xA001);
constexpr auto kX25Table = MakeTable(0x8408);

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string ToHex(Bytes data) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.resize(data.size() * 2);
    for (size_t i = 0; i < data.size(); ++i) {
        out[2 * i] = kDigits[data[i] >> 4];
        out[2 * i + 1] = kDigits[data[i] & 0xF];
    }
    return out;
}

Result<std::vector<uint8_t>> FromHex(std::string_view hex) {
    std::vector<uint8_t> out;
    out.reserve(hex.size() / 2);
    int high = -1;
    for (char c : hex) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        int v = HexValue(c);
        if (v < 0) return MakeError("not a hex digit: '" + std::string(1, c) + "'");
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<uint8_t>(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0) return MakeError("odd number of hex digits");
    return out;
}

uint16_t Crc16Ibm(Bytes data) {
    uint16_t crc = 0;
    for (uint8_t b : data) crc = static_cast<uint16_t>((crc >> 8) ^ kIbmTable[(crc ^ b) & 0xFF]);
    return crc;
}

uint16_t Crc16X25(Bytes data) {
    uint16_t crc = 0xFFFF;
    for (uint8_t b : data) crc = static_cast<uint16_t>((crc >> 8) ^ kX25Table[(crc ^ b) & 0xFF]);
    return static_cast<uint16_t>(~crc);
}

bool Reader::Need(size_t n) {
    if (failed_ || data_.size() - pos_ < n) {
        failed_ = true;
        return false;
    }
    return true;
}

uint8_t Reader::U8() { return static_cast<uint8_t>(UInt(1)); }
uint16_t Reader::U16() { return static_cast<uint16_t>(UInt(2)); }
uint32_t Reader::U24() { return static_cast<uint32_t>(UInt(3)); }
uint32_t Reader::U32() { return static_cast<uint32_t>(UInt(4)); }
uint64_t Reader::U64() { return UInt(8); }

uint64_t Reader::UInt(size_t n) {
    if (n == 0 || n > 8 || !Need(n)) {
        failed_ = true;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | data_[pos_ + i];
    pos_ += n;
    return v;
}

Bytes Reader::Take(size_t n) {
    if (!Need(n)) return {};
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
}

void Reader::Skip(size_t n) {
    if (Need(n)) pos_ += n;
}

void PutU8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }
void PutU16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}
void PutU32(std::vector<uint8_t>& out, uint32_t v) {
    PutU16(out, static_cast<uint16_t>(v >> 16));
    PutU16(out, static_cast<uint16_t>(v));
}
void PutU64(std::vector<uint8_t>& out, uint64_t v) {
    PutU32(out, static_cast<uint32_t>(v >> 32));
    PutU32(out, static_cast<uint32_t>(v));
}

}  // namespace fleet::core
