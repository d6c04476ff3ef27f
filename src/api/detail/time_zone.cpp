#include "api/detail/time_zone.hpp"

#include <fstream>

namespace fleet::api::detail {

bool IsTimeZone(std::string_view name, std::string_view zoneinfo_dir) {
    if (name.empty() || name.size() > 64) return false;
    bool component_start = true;
    for (char c : name) {
        bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (c == '/') {
            if (component_start) return false;  // empty component, or a leading '/'
            component_start = true;
            continue;
        }
        if (!letter && c != '_' && c != '-' && c != '+') return false;
        if (component_start && c == '-') return false;
        component_start = false;
    }
    if (component_start) return false;  // a trailing '/'
    // The zone's compiled file starts with the magic "TZif" (RFC 8536, section 3.1); folders and
    // the database's other files (zone.tab, leapseconds) do not.
    std::ifstream in(std::string(zoneinfo_dir) + "/" + std::string(name), std::ios::binary);
    char magic[4] = {};
    return in.read(magic, sizeof magic) && std::string_view(magic, sizeof magic) == "TZif";
}

}  // namespace fleet::api::detail
