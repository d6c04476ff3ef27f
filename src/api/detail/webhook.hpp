// Calling a tenant's webhook: which URLs are allowed, which addresses may be reached (SSRF), the
// signature, and one POST over HTTP or HTTPS.
//
// The signature (docs/api.md, "Notifications"): X-Fleetd-Signature: sha256=<lower-case hex
// HMAC-SHA256, keyed with the webhook's secret as shown (its UTF-8 bytes), over
// "<X-Fleetd-Timestamp>.<body>">; the timestamp is Unix seconds, so a receiver can refuse replays.
//
// SSRF: a webhook may not reach loopback, private (RFC 1918, unique-local), link-local, CGNAT,
// multicast or unspecified addresses unless NotifyOptions::allow_private_webhooks. The host name is
// resolved once per call, every address it resolves to is checked, and only checked addresses are
// connected to (no second resolution a DNS rebinding could change). Redirects are not followed.
// HTTPS verifies the peer's certificate chain against the system's CA store and its name.
// Thread-safety: pure functions; PostWebhook runs on the caller's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace fleet::api::detail {

inline constexpr size_t kMaxWebhookUrlBytes = 2048;

struct WebhookUrl {
    bool https = false;
    std::string host;       // a name or an address, without IPv6 brackets
    std::string port;       // "80", "443" or the URL's
    std::string authority;  // for the Host header: host[:port] as written
    std::string target;     // path and query, "/" at least
};

// An absolute http or https URL of at most kMaxWebhookUrlBytes, with a host and no user name or
// password (they would be sent to whoever the host is, and logged) and no fragment. Error saying why.
Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

// Loopback, private, link-local, CGNAT, multicast, broadcast, unspecified (and the same behind an
// IPv4-mapped IPv6 address).
bool IsPrivateAddress(const boost::asio::ip::address& address);

// When the URL's host is an address literal that `allow_private` does not allow: why; else "".
// (Host names are checked when they are resolved, at each call.)
std::string RefusedLiteral(const WebhookUrl& url, bool allow_private);

// "sha256=" and the lower-case hex HMAC-SHA256 of "<timestamp>.<body>" keyed with `secret`.
std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body);

struct WebhookCall {
    std::string url;
    std::string body;  // JSON
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::seconds timeout{10};  // the whole call: resolution, connection, TLS, request, reply
    bool allow_private = false;
};

struct WebhookReply {
    bool ok = false;  // a 2xx answer
    int status = 0;   // the HTTP status, 0 when there was none
    std::string error;  // why not ok, for the delivery log
};

// POSTs `call` (which must outlive the call) and reads the answer (at most 64 KiB). Never throws.
boost::asio::awaitable<WebhookReply> PostWebhook(const WebhookCall& call);

}  // namespace fleet::api::detail
