// A live subscriber of the load tool: a browser's map with the live feed open, measuring how old each
// position is when it arrives.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <string_view>

#include "core/time.hpp"
#include "http_conn.hpp"
#include "load.hpp"

namespace fleet::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
using Ws = websocket::stream<beast::tcp_stream>;

constexpr std::string_view kPositionStart = R"({"type":"position",)";
constexpr std::string_view kServerTime = R"("server_time":")";
constexpr size_t kIsoLength = 24;  // 2026-01-21T09:00:11.204Z

struct Feed {
    Ws ws;
    bool closing = false;      // this side started the closing handshake
    bool reader_done = false;
    explicit Feed(const asio::any_io_executor& ex) : ws(ex) {}
};

// {"type":"ready","vehicles":N} -> N, or -1 when the message is something else.
int64_t ReadyVehicles(std::string_view text) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return -1;
    const auto& o = v.as_object();
    const json::value* type = o.if_contains("type");
    const json::value* vehicles = o.if_contains("vehicles");
    if (!type || !type->is_string() || type->as_string() != "ready" || !vehicles || !vehicles->is_int64()) return -1;
    return vehicles->as_int64();
}

// Latency of one position message received at `at`: at - its server_time (both on this machine's
// clock; server_time is truncated to the millisecond, so this over-states by under 1 ms).
std::optional<std::chrono::microseconds> Age(std::string_view text, std::chrono::system_clock::time_point at) {
    size_t p = text.find(kServerTime);
    if (p == std::string_view::npos || p + kServerTime.size() + kIsoLength > text.size()) return std::nullopt;
    auto server_time = core::ParseIso(text.substr(p + kServerTime.size(), kIsoLength));
    if (!server_time) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::microseconds>(at - *server_time);
}

asio::awaitable<void> ReadUntilClosed(Feed& feed, Window w, LiveStats& out) {
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
        buffer.clear();
        auto [ec, n] = co_await feed.ws.async_read(buffer, kUseTuple);
        auto received = Steady::now();
        auto received_at = std::chrono::system_clock::now();
        if (ec) {
            // Once this side has sent its close frame, Beast ends a pending read with `closed` when the
            // server's close frame arrives, or aborts it while the close operation reads it itself.
            bool expected = feed.closing && (ec == websocket::error::closed || ec == asio::error::operation_aborted);
            if (expected) break;
            if (ec != websocket::error::closed) {
                out.Error("read: " + ec.message());
            } else {
                out.Error("closed by the server: " + std::to_string(feed.ws.reason().code) + " " +
                          std::string(feed.ws.reason().reason.c_str()));
            }
            break;
        }
        std::string_view text(static_cast<const char*>(buffer.data().data()), buffer.size());
        if (first) {
            first = false;
            int64_t vehicles = ReadyVehicles(text);
            if (vehicles < 0) {
                out.Error("first message is not ready: " + std::string(text.substr(0, 200)));
                break;
            }
            ++out.ready;
            out.vehicles += static_cast<uint64_t>(vehicles);
            continue;
        }
        if (text.substr(0, kPositionStart.size()) != kPositionStart) continue;
        ++out.positions_total;
        if (!w.Contains(received)) continue;
        auto age = Age(text, received_at);
        if (!age) {
            out.Error("position without a readable server_time: " + std::string(text.substr(0, 200)));
            continue;
        }
        if (age->count() < 0) ++out.negative;
        out.latency.Add(*age);
        ++out.positions;
    }
    feed.reader_done = true;
}

// At the end of the window: the closing handshake (RFC 6455 5.5.1), unless the reader has already
// seen the connection end. Beast bounds it with the handshake timeout.
asio::awaitable<void> CloseAtEnd(Feed& feed, Window w, LiveStats& out) {
    asio::steady_timer timer(feed.ws.get_executor());
    timer.expires_at(w.end);
    co_await timer.async_wait(kUseTuple);
    if (feed.reader_done) co_return;
    feed.closing = true;
    websocket::close_reason reason(websocket::close_code::normal);
    auto [ec] = co_await feed.ws.async_close(reason, kUseTuple);
    if (ec) {
        out.Error("close: " + ec.message());
    } else {
        ++out.clean_closes;
    }
}

}  // namespace

asio::awaitable<void> RunSubscriber(const Options& o, int index, Window w, LiveStats& out) {
    auto ex = co_await asio::this_coro::executor;
    const int tenant = index % o.tenants;
    const int user = (index / o.tenants) % o.users_per_tenant;
    std::string cookie;
    {
        HttpConn conn(ex, o.host, o.port);
        SignedIn session = co_await SignIn(conn, o, tenant, user);
        conn.Close();
        if (!session.error.empty()) {
            out.Error("sign-in: " + session.error);
            co_return;
        }
        cookie = session.cookie;
    }
    ++out.signed_in;

    Feed feed(ex);
    auto& tcp = beast::get_lowest_layer(feed.ws);
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address(o.host), o.port);
    tcp.expires_after(std::chrono::seconds(30));
    auto [cec] = co_await tcp.async_connect(endpoint, kUseTuple);
    if (cec) {
        out.Error("connect: " + cec.message());
        co_return;
    }
    tcp.expires_never();  // the WebSocket's own timeouts from here on
    feed.ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    feed.ws.set_option(websocket::stream_base::decorator([cookie](websocket::request_type& req) {
        req.set(beast::http::field::cookie, cookie);
        req.set(beast::http::field::user_agent, "fleetd-bench-api-load");
    }));
    websocket::response_type res;
    const std::string host = o.host + ":" + std::to_string(o.port);
    const std::string path = "/api/v1/live";
    auto [hec] = co_await feed.ws.async_handshake(res, host, path, kUseTuple);
    if (hec) {
        out.Error("handshake: " + hec.message() + " (HTTP " + std::to_string(res.result_int()) + ")");
        co_return;
    }
    ++out.opened;
    using namespace asio::experimental::awaitable_operators;
    auto reading = ReadUntilClosed(feed, w, out);
    auto closing = CloseAtEnd(feed, w, out);
    auto both = std::move(reading) && std::move(closing);
    co_await std::move(both);
}

}  // namespace fleet::bench
