#include "api/detail/tokens.hpp"

#include <boost/beast/core/string.hpp>

#include "auth/auth.hpp"

namespace fleet::api::detail {

namespace {
constexpr size_t kRandomBytes = 32;
constexpr size_t kEncodedChars = (kRandomBytes * 4 + 2) / 3;  // unpadded base64: 43
}  // namespace

std::string NewApiTokenText() {
    return std::string(kApiTokenPrefix) + auth::RandomToken(kRandomBytes);
}

bool IsApiTokenText(std::string_view text) {
    if (text.size() != kApiTokenPrefix.size() + kEncodedChars ||
        text.substr(0, kApiTokenPrefix.size()) != kApiTokenPrefix) {
        return false;
    }
    for (char c : text.substr(kApiTokenPrefix.size())) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
    constexpr std::string_view kScheme = "Bearer ";
    if (authorization.size() < kScheme.size() ||
        !boost::beast::iequals(authorization.substr(0, kScheme.size()), kScheme)) {
        return std::nullopt;
    }
    std::string_view token = authorization.substr(kScheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!IsApiTokenText(token)) return std::nullopt;
    return token;
}

}  // namespace fleet::api::detail
