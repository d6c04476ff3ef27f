// Named, unit-bearing attributes from the well-known Teltonika FMB IO element IDs (protocols.md 1.5
// and the wiki's "FMB AVL ID" table), and the record's alarm. Private to the teltonika module.
// Thread-compatible: one IoNamer works on one record.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "core/record.hpp"

namespace fleet::protocol::teltonika::detail {

// A string literal that converts to the std::string it spells. Given to emplace_back, it builds an
// Attribute's name in place: the conversion's result initializes the member itself, so the
// characters are copied once, with a length the compiler knows (a few moves, no memcpy call).
template <size_t N>
struct LiteralName {
    const char (&text)[N];
    operator std::string() const { return std::string(text, N - 1); }  // NOLINT: implicit by design
};

// Appends an attribute named by a string literal. Decoding appends a dozen per record, so it is
// built in place: the name copied once (LiteralName) and the value constructed straight into its
// variant alternative. A temporary name moved into a default-constructed Attribute cost about an
// eighth of the whole decoding time (bench/decode, docs/BENCHMARKS.md).
template <size_t N, typename T>
inline void AppendAttribute(core::Attributes& attrs, const char (&name)[N], T&& value) {
#if defined(__cpp_aggregate_paren_init)
    attrs.emplace_back(LiteralName<N>{name}, std::forward<T>(value));
#else
    // Without parenthesized aggregate init (clang before 16, which the fuzz build uses): one move.
    attrs.push_back(core::Attribute{LiteralName<N>{name}, std::forward<T>(value)});
#endif
}

// The IO IDs that IoNamer::Add names (a bit per ID below 320), so that the decoder skips the call
// for the many IDs it does not.
inline constexpr std::array<uint64_t, 5> kNamedIds = [] {
    std::array<uint64_t, 5> bits{};
    constexpr uint16_t kIds[] = {1,   2,   3,   9,   16,  17,  18,  19,  21,  30,  66,  67,
                                 68,  69,  78,  83,  84,  85,  89,  179, 180, 181, 182, 199,
                                 200, 239, 240, 246, 247, 249, 252, 253, 255, 281};
    for (uint16_t id : kIds) bits[id / 64] |= uint64_t{1} << (id % 64);
    return bits;
}();

inline bool IsNamedId(uint16_t id) {
    return id < 320 && ((kNamedIds[id / 64] >> (id % 64)) & 1) != 0;
}

// Adds attributes to `rec` as its IO elements are decoded. Unknown IDs add nothing (they stay in
// rec.io). Each named element adds at most one attribute, and an alarm element none (Finish adds
// one "alarm" for all of them), so the count of named elements bounds what a record's attributes
// need on top of the decoder's own. `rec` must outlive the namer.
class IoNamer {
public:
    IoNamer(core::Record& rec, uint16_t event_io_id) : rec_(rec), event_io_id_(event_io_id) {}

    // Names one element if its ID is well known.
    void Add(const core::IoElement& e);
    // Sets the "alarm" attribute when an element signalled one: the element that generated the
    // record (its event IO ID) wins, otherwise the first alarm element in packet order.
    void Finish();

private:
    template <size_t N, typename T>
    void Put(uint16_t id, const char (&name)[N], T value);
    void Alarm(uint16_t id, const char* name);

    core::Record& rec_;
    uint16_t event_io_id_;
    const char* alarm_ = nullptr;
    bool alarm_is_event_ = false;
    // Named IDs already set on this record (all named IDs are below 320), so that a repeated ID
    // replaces its attribute instead of adding a second one.
    std::array<uint64_t, 5> seen_{};
};

}  // namespace fleet::protocol::teltonika::detail
