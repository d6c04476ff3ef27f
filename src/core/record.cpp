#include "core/record.hpp"

namespace fleet::core {

void SetAttribute(Attributes& attrs, std::string name, AttrValue value) {
    for (auto& a : attrs) {
        if (a.name == name) {
            a.value = std::move(value);
            return;
        }
    }
    attrs.push_back(Attribute{std::move(name), std::move(value)});
}

const AttrValue* FindAttribute(const Attributes& attrs, std::string_view name) {
    for (const auto& a : attrs) {
        if (a.name == name) return &a.value;
    }
    return nullptr;
}

}  // namespace fleet::core
