// The front door: which of the two formats (protocols.md 3.1 query/form, 3.2 JSON) a request
// carries.
#include "protocol/osmand/osmand.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/osmand/detail/position.hpp"

namespace fleet::protocol::osmand {

namespace {

using detail::Trim;

// The media type of a Content-Type header value is application/json (case-insensitive, parameters
// such as "; charset=utf-8" ignored).
bool IsJson(std::string_view content_type) {
    std::string_view media = Trim(content_type.substr(0, content_type.find(';')));
    constexpr std::string_view kJson = "application/json";
    return media.size() == kJson.size() &&
           std::equal(media.begin(), media.end(), kJson.begin(), [](char a, char b) {
               return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
           });
}

// A request-line method token: 1-16 upper-case letters (GET, POST, PUT, ...).
bool IsMethod(std::string_view s) {
    return !s.empty() && s.size() <= 16 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<core::Decoded> DecodeRequest(std::string_view /*method*/, std::string_view target,
                                    std::string_view content_type, std::string_view body,
                                    core::TimePoint now) {
    // traccar accepts any method: the format follows from the target, the content type and the
    // body.
    if (body.size() > detail::kMaxBodyBytes) {
        return MakeError(
            fmt::format("body too large: {} bytes (limit {})", body.size(), detail::kMaxBodyBytes));
    }
    if (target.size() > detail::kMaxBodyBytes) {
        return MakeError(fmt::format("target too long: {} bytes (limit {})", target.size(),
                                     detail::kMaxBodyBytes));
    }
    std::string_view query;
    if (size_t q = target.find('?'); q != std::string_view::npos) {
        query = target.substr(q + 1);
        query = query.substr(0, query.find('#'));
    }
    std::string_view content = Trim(body);
    if (IsJson(content_type) && !content.empty()) return detail::DecodeJson(content, now);
    // traccar reads the form body only when the target carries no parameters.
    if (!query.empty()) return detail::DecodeParams(query, now);
    if (!content.empty() && content.front() == '{') return detail::DecodeJson(content, now);
    return detail::DecodeParams(content, now);
}

Result<core::Decoded> DecodeLine(std::string_view line, core::TimePoint now) {
    std::string_view s = Trim(line);
    if (s.empty()) return MakeError("empty line");
    if (s.front() == '{') return DecodeRequest("POST", "/", "application/json", s, now);
    size_t space = s.find(' ');
    if (space != std::string_view::npos && IsMethod(s.substr(0, space))) {
        // "GET /?id=... HTTP/1.1": the target, then nothing or the protocol version.
        std::string_view rest = Trim(s.substr(space + 1));
        size_t end = rest.find(' ');
        std::string_view target = rest.substr(0, end);
        std::string_view version = end == std::string_view::npos ? "" : Trim(rest.substr(end + 1));
        if (target.empty() || (!version.empty() && !StartsWith(version, "HTTP/"))) {
            return MakeError("bad request line: " + detail::Quote(s));
        }
        return DecodeRequest(s.substr(0, space), target, "", "", now);
    }
    if (s.front() == '/' || s.front() == '?' || StartsWith(s, "http://") ||
        StartsWith(s, "https://")) {
        return DecodeRequest("GET", s, "", "", now);
    }
    return detail::DecodeParams(s, now);
}

}  // namespace fleet::protocol::osmand
