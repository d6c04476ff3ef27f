#include "protocol/teltonika/detail/crc.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define FLEET_TELTONIKA_CRC_CLMUL 1
#endif

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

// Sixteen bytes at a time by table: any CPU, any length.
uint16_t Crc16IbmTable(const uint8_t* p, size_t n) {
    uint16_t crc = 0;
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

#ifdef FLEET_TELTONIKA_CRC_CLMUL
// Folding by carry-less multiplication (Intel, "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ Instruction", 2009), in the bit-reflected order of this CRC: a 128-bit register holds
// 16 message bytes as loaded, byte i bit j being the coefficient of x^(127 - 8i - j). With init 0
// the CRC depends only on the message polynomial modulo P, so any shorter polynomial congruent to
// the bytes read so far can stand for them. Folding a register X over the next D bits gives
// X * x^D = A * x^(D+64) + B * x^D, with A the higher powers (the register's first 8 bytes, its low
// lane) and B the lower ones; PCLMULQDQ on reflected operands leaves its product one bit short of
// the reflected 128-bit position, so the constants are x^(D+63) and x^(D-1) mod P, reflected into
// 64 bits.
constexpr uint64_t kPoly = 0x18005;  // x^16 + x^15 + x^2 + 1

// x^n mod P, reflected into a 64-bit operand (coefficient of x^d at bit 63 - d).
constexpr uint64_t ReflectedXPowModP(unsigned n) {
    uint64_t r = 1;
    for (unsigned i = 0; i < n; ++i) {
        r <<= 1;
        if ((r & 0x10000) != 0) r ^= kPoly;
    }
    uint64_t k = 0;
    for (unsigned d = 0; d < 16; ++d) {
        if (((r >> d) & 1) != 0) k |= uint64_t{1} << (63 - d);
    }
    return k;
}

// Low lane multiplies the register's first 8 bytes (the higher powers), high lane its last 8.
constexpr uint64_t kFold512Lo = ReflectedXPowModP(512 + 63);
constexpr uint64_t kFold512Hi = ReflectedXPowModP(512 - 1);
constexpr uint64_t kFold128Lo = ReflectedXPowModP(128 + 63);
constexpr uint64_t kFold128Hi = ReflectedXPowModP(128 - 1);

// Four registers fold 64 bytes a step; below that the table is as fast.
constexpr size_t kClmulMinBytes = 64;

__attribute__((target("pclmul,sse2"))) __m128i Fold(__m128i x, __m128i k) {
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) __m128i Load(const uint8_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// n >= kClmulMinBytes.
__attribute__((target("pclmul,sse2"))) uint16_t Crc16IbmClmul(const uint8_t* p, size_t n) {
    const __m128i k512 =
        _mm_set_epi64x(static_cast<long long>(kFold512Hi), static_cast<long long>(kFold512Lo));
    const __m128i k128 =
        _mm_set_epi64x(static_cast<long long>(kFold128Hi), static_cast<long long>(kFold128Lo));
    // Four independent registers, 16 bytes apart, each folded over 64 bytes per step.
    __m128i x0 = Load(p), x1 = Load(p + 16), x2 = Load(p + 32), x3 = Load(p + 48);
    p += 64;
    n -= 64;
    for (; n >= 64; p += 64, n -= 64) {
        x0 = _mm_xor_si128(Fold(x0, k512), Load(p));
        x1 = _mm_xor_si128(Fold(x1, k512), Load(p + 16));
        x2 = _mm_xor_si128(Fold(x2, k512), Load(p + 32));
        x3 = _mm_xor_si128(Fold(x3, k512), Load(p + 48));
    }
    __m128i x = _mm_xor_si128(Fold(x0, k128), x1);
    x = _mm_xor_si128(Fold(x, k128), x2);
    x = _mm_xor_si128(Fold(x, k128), x3);
    for (; n >= 16; p += 16, n -= 16) x = _mm_xor_si128(Fold(x, k128), Load(p));
    // The register's 16 bytes and the last n < 16, after 16 - n zero bytes (which do not change a
    // CRC with init 0): two table steps.
    uint8_t tail[32] = {};
    _mm_storeu_si128(reinterpret_cast<__m128i*>(tail + 16 - n), x);
    std::memcpy(tail + 32 - n, p, n);
    return Crc16IbmTable(tail, sizeof tail);
}

bool HasClmul() {
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("pclmul") != 0;
    }();
    return has;
}
#endif

}  // namespace

uint16_t Crc16IbmFast(core::Bytes data) {
#ifdef FLEET_TELTONIKA_CRC_CLMUL
    if (data.size() >= kClmulMinBytes && HasClmul()) return Crc16IbmClmul(data.data(), data.size());
#endif
    return Crc16IbmTable(data.data(), data.size());
}

}  // namespace fleet::protocol::teltonika::detail
