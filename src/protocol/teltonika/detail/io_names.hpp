// Named, unit-bearing attributes from the well-known Teltonika FMB IO element IDs (protocols.md 1.5
// and the wiki's "FMB AVL ID" table), and the record's alarm. Private to the teltonika module.
// Thread-compatible: one IoNamer works on one record.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "core/record.hpp"

namespace fleet::protocol::teltonika::detail {

// Appends an attribute named by a string literal. Decoding appends a dozen per record: a literal's
// length is a constant (the name copy compiles to a few moves) and the value is built in place.
template <size_t N, typename T>
inline void AppendAttribute(core::Attributes& attrs, const char (&name)[N], T&& value) {
    core::Attribute& a = attrs.emplace_back();
    a.name = std::string(name, N - 1);
    a.value.template emplace<std::decay_t<T>>(std::forward<T>(value));
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
// rec.io). `rec` must outlive the namer.
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
