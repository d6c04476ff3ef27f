// API token text: how a token looks (fleetd_ + 32 random bytes as unpadded base64url, 50
// characters), and how a request carries it (Authorization: Bearer <token>, RFC 6750). The
// database keeps only auth::HashToken of the whole text. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleet::api::detail {

inline constexpr std::string_view kApiTokenPrefix = "fleetd_";

// A new random token (shown to its owner once).
std::string NewApiTokenText();
// True when `text` has the shape of a token (prefix, 43 base64url characters); a cheap refusal
// before any database work.
bool IsApiTokenText(std::string_view text);
// The token of an Authorization header value ("Bearer <token>", scheme in any case), or nullopt
// when the header is another scheme or the token is malformed.
std::optional<std::string_view> BearerToken(std::string_view authorization);

}  // namespace fleet::api::detail
