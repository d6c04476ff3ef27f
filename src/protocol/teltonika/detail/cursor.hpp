// A bounds-checked big-endian reader like core::Reader, but inline and with fixed widths as
// template arguments, so that the AVL record loop (the decoder's hot path) compiles to plain loads.
// A read past the end sets failed() and returns 0, so a caller can read a whole structure and check
// once. Thread-compatible.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/bytes.hpp"

namespace fleet::protocol::teltonika::detail {

class Cursor {
public:
    explicit Cursor(core::Bytes data)
        : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()) {}

    // The next N-byte (1..8) big-endian unsigned integer.
    template <size_t N>
    uint64_t Read() {
        if (!Need(N)) return 0;
        return ReadUnchecked<N>();
    }
    // Same without the bounds check, for a structure whose size the caller checked once with
    // Has(): the AVL decoder reads a record header or a group of fixed-size IO elements this way.
    template <size_t N>
    uint64_t ReadUnchecked() {
        static_assert(N == 1 || N == 2 || N == 4 || N == 8);
        uint64_t v;
        if constexpr (N == 1) {
            v = *p_;
        } else if constexpr (N == 2) {
            uint16_t x;
            std::memcpy(&x, p_, 2);
            v = Big16(x);
        } else if constexpr (N == 4) {
            uint32_t x;
            std::memcpy(&x, p_, 4);
            v = Big32(x);
        } else {
            uint64_t x;
            std::memcpy(&x, p_, 8);
            v = Big64(x);
        }
        p_ += N;
        return v;
    }
    // True when `n` more bytes can be read; otherwise sets failed() and returns false.
    bool Has(size_t n) { return Need(n); }
    // Same for a width known only at run time (n in 1..8; anything else fails).
    uint64_t Read(size_t n) {
        switch (n) {
            case 1: return Read<1>();
            case 2: return Read<2>();
            case 4: return Read<4>();
            case 8: return Read<8>();
            default: break;
        }
        if (n == 0 || n > 8 || !Need(n)) {
            failed_ = true;
            return 0;
        }
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v = v << 8 | p_[i];
        p_ += n;
        return v;
    }
    uint8_t U8() { return static_cast<uint8_t>(Read<1>()); }
    uint16_t U16() { return static_cast<uint16_t>(Read<2>()); }
    uint32_t U32() { return static_cast<uint32_t>(Read<4>()); }
    uint64_t U64() { return Read<8>(); }
    // The next n bytes (empty and failed if fewer remain).
    core::Bytes Take(size_t n) {
        if (!Need(n)) return {};
        core::Bytes out(p_, n);
        p_ += n;
        return out;
    }

    size_t remaining() const { return failed_ ? 0 : static_cast<size_t>(end_ - p_); }
    size_t position() const { return static_cast<size_t>(p_ - begin_); }
    bool failed() const { return failed_; }

private:
    // Wire order is big-endian; these turn a loaded native integer into its value.
    static uint16_t Big16(uint16_t x) {
        if constexpr (std::endian::native == std::endian::little) return __builtin_bswap16(x);
        return x;
    }
    static uint32_t Big32(uint32_t x) {
        if constexpr (std::endian::native == std::endian::little) return __builtin_bswap32(x);
        return x;
    }
    static uint64_t Big64(uint64_t x) {
        if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(x);
        return x;
    }

    bool Need(size_t n) {
        if (failed_ || static_cast<size_t>(end_ - p_) < n) {
            failed_ = true;
            return false;
        }
        return true;
    }

    const uint8_t* begin_;
    const uint8_t* p_;
    const uint8_t* end_;
    bool failed_ = false;
};

}  // namespace fleet::protocol::teltonika::detail
