#include "api/detail/webhook.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <memory>
#include <mutex>

namespace fleet::api::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxReplyBytes = 64 * 1024;

bool InV4(const asio::ip::address_v4& a, const char* net, int bits) {
    uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a.to_uint() & mask) == (asio::ip::make_address_v4(net).to_uint() & mask);
}

// The client context: the system's CA store, peers verified. Shared: SSL_CTX is thread-safe for
// making connections once set up.
ssl::context& ClientTls() {
    static ssl::context* ctx = [] {
        auto* c = new ssl::context(ssl::context::tls_client);
        c->set_default_verify_paths();
        c->set_verify_mode(ssl::verify_peer);
        return c;
    }();
    return *ctx;
}

// One request and its answer on a connected stream, before `deadline` (the stream's timeout).
template <typename Stream>
asio::awaitable<WebhookReply> Exchange(Stream& stream, const WebhookUrl& url, const WebhookCall& call) {
    WebhookReply reply;
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, url.target, 11};
    req.set(bhttp::field::host, url.authority);
    req.set(bhttp::field::user_agent, "fleetd-webhook/1");
    req.set(bhttp::field::content_type, "application/json");
    req.set(bhttp::field::connection, "close");
    for (const auto& [name, value] : call.headers) req.set(name, value);
    req.body() = call.body;
    req.prepare_payload();
    auto [werr, wrote] = co_await bhttp::async_write(stream, req, kUseTuple);
    if (werr) {
        reply.error = "send: " + werr.message();
        co_return reply;
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    auto [rerr, read] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
    if (rerr && rerr != bhttp::error::body_limit) {
        reply.error = "reply: " + rerr.message();
        co_return reply;
    }
    reply.status = static_cast<int>(parser.get().result_int());
    reply.ok = reply.status >= 200 && reply.status < 300;
    if (!reply.ok) reply.error = fmt::format("HTTP {}", reply.status);
    co_return reply;
}

}  // namespace

Result<WebhookUrl> ParseWebhookUrl(std::string_view text) {
    if (text.size() > kMaxWebhookUrlBytes) return MakeError(fmt::format("at most {} bytes", kMaxWebhookUrlBytes));
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed) return MakeError("not an absolute URL");
    const auto& u = *parsed;
    WebhookUrl out;
    if (u.scheme() == "https") {
        out.https = true;
    } else if (u.scheme() != "http") {
        return MakeError("the scheme must be http or https");
    }
    if (u.has_userinfo()) return MakeError("no user name or password in the URL");
    if (u.has_fragment()) return MakeError("no fragment (#...) in the URL");
    if (u.host_type() == boost::urls::host_type::ipv6) {
        out.host = u.host_ipv6_address().to_string();
    } else if (u.host_type() == boost::urls::host_type::ipv4 || u.host_type() == boost::urls::host_type::name) {
        out.host = u.host_address();
    } else {
        return MakeError("the URL needs a host");
    }
    if (out.host.empty()) return MakeError("the URL needs a host");
    for (char c : out.host) {
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return MakeError("the host has control characters");
    }
    if (u.has_port()) {
        if (u.port_number() == 0) return MakeError("the port must be 1 to 65535");
        out.port = std::to_string(u.port_number());
    } else {
        out.port = out.https ? "443" : "80";
    }
    out.authority = std::string(u.encoded_host_and_port());
    out.target = std::string(u.encoded_path());
    if (out.target.empty()) out.target = "/";
    if (u.has_query()) out.target += "?" + std::string(u.encoded_query());
    return out;
}

bool IsPrivateAddress(const asio::ip::address& address) {
    if (address.is_v6()) {
        auto a = address.to_v6();
        if (a.is_v4_mapped()) return IsPrivateAddress(asio::ip::make_address_v4(asio::ip::v4_mapped, a));
        auto b = a.to_bytes();
        return a.is_loopback() || a.is_unspecified() || a.is_link_local() || a.is_site_local() || a.is_multicast() ||
               (b[0] & 0xfe) == 0xfc;  // fc00::/7, unique local (RFC 4193)
    }
    auto a = address.to_v4();
    return a.is_loopback() || a.is_unspecified() || a.is_multicast() || InV4(a, "0.0.0.0", 8) ||
           InV4(a, "10.0.0.0", 8) || InV4(a, "172.16.0.0", 12) || InV4(a, "192.168.0.0", 16) ||
           InV4(a, "169.254.0.0", 16) || InV4(a, "100.64.0.0", 10) || InV4(a, "192.0.0.0", 24) ||
           InV4(a, "198.18.0.0", 15) || a == asio::ip::address_v4::broadcast();
}

std::string RefusedLiteral(const WebhookUrl& url, bool allow_private) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(url.host, ec);
    if (ec || allow_private || !IsPrivateAddress(address)) return "";
    return "the URL's address is private or loopback (see [notify] allow_private_webhooks)";
}

std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(timestamp.data()), timestamp.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>("."), 1);
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_final(&state, mac);
    char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    return std::string("sha256=") + hex;
}

asio::awaitable<WebhookReply> PostWebhook(const WebhookCall& call) {
    WebhookReply reply;
    auto url = ParseWebhookUrl(call.url);
    if (!url) {
        reply.error = "URL: " + url.error().message;
        co_return reply;
    }
    auto ex = co_await asio::this_coro::executor;
    auto deadline = std::chrono::steady_clock::now() + call.timeout;
    // The resolver has no timeout of its own: a timer cancels it (shared: the timer's handler may
    // run after this frame is gone).
    auto resolver = std::make_shared<tcp::resolver>(ex);
    asio::steady_timer timer(ex);
    timer.expires_at(deadline);
    timer.async_wait([resolver](boost::system::error_code ec) {
        if (!ec) resolver->cancel();
    });
    auto [rerr, results] = co_await resolver->async_resolve(url->host, url->port, kUseTuple);
    timer.cancel();
    if (rerr) {
        reply.error = fmt::format("resolve {}: {}", url->host, rerr == asio::error::operation_aborted
                                                                   ? std::string("timed out")
                                                                   : rerr.message());
        co_return reply;
    }
    std::vector<tcp::endpoint> allowed;
    for (const auto& r : results) {
        if (call.allow_private || !IsPrivateAddress(r.endpoint().address())) allowed.push_back(r.endpoint());
    }
    if (allowed.empty()) {
        reply.error = fmt::format("{} resolves to private or loopback addresses only (refused)", url->host);
        co_return reply;
    }
    if (!url->https) {
        beast::tcp_stream stream(ex);
        stream.expires_at(deadline);
        auto [cerr, ep] = co_await stream.async_connect(allowed, kUseTuple);
        if (cerr) {
            reply.error = "connect: " + cerr.message();
            co_return reply;
        }
        reply = co_await Exchange(stream, *url, call);
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return reply;
    }
    beast::ssl_stream<beast::tcp_stream> stream(ex, ClientTls());
    boost::system::error_code literal;
    asio::ip::make_address(url->host, literal);
    if (literal && !SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) {
        reply.error = "TLS: cannot set the server name";
        co_return reply;
    }
    stream.set_verify_callback(ssl::host_name_verification(url->host));
    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [cerr, ep] = co_await beast::get_lowest_layer(stream).async_connect(allowed, kUseTuple);
    if (cerr) {
        reply.error = "connect: " + cerr.message();
        co_return reply;
    }
    auto [herr] = co_await stream.async_handshake(ssl::stream_base::client, kUseTuple);
    if (herr) {
        reply.error = "TLS: " + herr.message();
        co_return reply;
    }
    reply = co_await Exchange(stream, *url, call);
    co_return reply;
}

}  // namespace fleet::api::detail
