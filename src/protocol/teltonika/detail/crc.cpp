#include "protocol/teltonika/detail/crc.hpp"

#include <array>

namespace fleet::protocol::teltonika::detail {
namespace {

// "Slicing by 16": kTables[k][x] is the CRC update for byte x followed by k zero bytes, so sixteen
// bytes are folded in with sixteen independent table look-ups instead of sixteen dependent steps
// (only the first two depend on the running CRC). The tables take 8 KiB.
constexpr size_t kSlices = 16;
using Tables = std::array<std::array<uint16_t, 256>, kSlices>;

constexpr Tables MakeTables() {
    Tables t{};
    for (unsigned i = 0; i < 256; ++i) {
        uint16_t c = static_cast<uint16_t>(i);
        for (int k = 0; k < 8; ++k) c = (c & 1) ? static_cast<uint16_t>((c >> 1) ^ 0xA001) : c >> 1;
        t[0][i] = c;
    }
    for (size_t k = 1; k < kSlices; ++k) {
        for (unsigned i = 0; i < 256; ++i) {
            uint16_t prev = t[k - 1][i];
            t[k][i] = static_cast<uint16_t>((prev >> 8) ^ t[0][prev & 0xFF]);
        }
    }
    return t;
}

constexpr Tables kTables = MakeTables();

}  // namespace

uint16_t Crc16IbmFast(core::Bytes data) {
    uint16_t crc = 0;
    const uint8_t* p = data.data();
    size_t n = data.size();
    while (n >= kSlices) {
        unsigned x = crc ^ (p[0] | p[1] << 8);
        unsigned a =
            kTables[15][x & 0xFF] ^ kTables[14][x >> 8] ^ kTables[13][p[2]] ^ kTables[12][p[3]];
        unsigned b = kTables[11][p[4]] ^ kTables[10][p[5]] ^ kTables[9][p[6]] ^ kTables[8][p[7]];
        unsigned c = kTables[7][p[8]] ^ kTables[6][p[9]] ^ kTables[5][p[10]] ^ kTables[4][p[11]];
        unsigned d = kTables[3][p[12]] ^ kTables[2][p[13]] ^ kTables[1][p[14]] ^ kTables[0][p[15]];
        crc = static_cast<uint16_t>(a ^ b ^ c ^ d);
        p += kSlices;
        n -= kSlices;
    }
    for (; n > 0; --n, ++p) crc = static_cast<uint16_t>((crc >> 8) ^ kTables[0][(crc ^ *p) & 0xFF]);
    return crc;
}

}  // namespace fleet::protocol::teltonika::detail
