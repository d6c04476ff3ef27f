#include "http/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "core/json.hpp"

namespace fleet::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

Response Problem(int status, std::string_view type, std::string_view title, std::string_view detail) {
    Response r;
    r.status = status;
    r.content_type = "application/problem+json";
    r.body = "{\"type\":";
    core::AppendJsonString(r.body, std::string("https://fleetd.dev/problems/") + std::string(type));
    r.body += ",\"title\":";
    core::AppendJsonString(r.body, title);
    r.body += fmt::format(",\"status\":{},\"detail\":", status);
    core::AppendJsonString(r.body, detail);
    r.body += "}";
    return r;
}

std::string_view Request::Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (beast::iequals(k, name)) return v;
    }
    return {};
}

Result<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const std::string& cert_file, const std::string& key_file) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    boost::system::error_code ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                         asio::ssl::context::single_dh_use,
                     ec);
    if (!ec) ctx->use_certificate_chain_file(cert_file, ec);
    if (ec) return MakeError(fmt::format("tls: certificate {}: {}", cert_file, ec.message()));
    ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
    if (ec) return MakeError(fmt::format("tls: private key {}: {}", key_file, ec.message()));
    return ctx;
}

namespace {

// A WebSocket over any stream (plain or TLS), owning it.
template <typename Stream>
class WebSocketOver final : public WebSocket {
public:
    WebSocketOver(Stream&& stream, size_t max_message) : ws_(std::move(stream)) {
        namespace ws = beast::websocket;
        ws::stream_base::timeout t = ws::stream_base::timeout::suggested(beast::role_type::server);
        t.idle_timeout = std::chrono::seconds(60);  // pinged when idle; closed when no pong comes back
        t.keep_alive_pings = true;
        ws_.set_option(t);
        ws_.read_message_max(max_message);
        ws_.set_option(ws::stream_base::decorator([](ws::response_type& res) { res.set(bhttp::field::server, "fleetd"); }));
    }
    beast::websocket::stream<Stream>& ws() { return ws_; }

    asio::awaitable<bool> Send(const std::string& text) override {
        ws_.text(true);
        auto [ec, n] = co_await ws_.async_write(asio::buffer(text), kUseTuple);
        co_return !ec;
    }
    asio::awaitable<std::optional<std::string>> Receive() override {
        beast::flat_buffer buffer;
        auto [ec, n] = co_await ws_.async_read(buffer, kUseTuple);
        if (ec) co_return std::nullopt;
        co_return beast::buffers_to_string(buffer.data());
    }
    asio::awaitable<void> Close(int code, const std::string& reason) override {
        beast::websocket::close_reason why(static_cast<beast::websocket::close_code>(code));
        why.reason.assign(reason.data(), std::min<size_t>(reason.size(), why.reason.max_size()));
        co_await ws_.async_close(why, kUseTuple);  // a failure means the connection is gone: closed too
    }

private:
    beast::websocket::stream<Stream> ws_;
};

beast::tcp_stream& Lowest(beast::tcp_stream& s) { return s; }
beast::tcp_stream& Lowest(beast::ssl_stream<beast::tcp_stream>& s) { return beast::get_lowest_layer(s); }

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(asio::io_context& io, ServerOptions opts, Handler h)
        : io(io), options(std::move(opts)), handler(std::move(h)), acceptor(io) {}

    asio::io_context& io;
    ServerOptions options;
    Handler handler;
    tcp::acceptor acceptor;
    std::atomic<size_t> connections{0};

    asio::awaitable<void> Accept() {
        auto self = shared_from_this();
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kUseTuple);
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            if (ec) {
                spdlog::warn("{}: accept failed: {}", options.name, ec.message());
                asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
                co_await pause.async_wait(kUseTuple);
                continue;
            }
            if (connections.load() >= options.max_connections) {
                boost::system::error_code ignored;
                socket.close(ignored);
                continue;
            }
            auto ex = socket.get_executor();
            asio::co_spawn(ex, Session(beast::tcp_stream(std::move(socket))), asio::detached);
        }
    }

    bhttp::response<bhttp::string_body> ToBeast(Response r, unsigned version, bool keep_alive) const {
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
        res.set(bhttp::field::server, "fleetd");
        res.set(bhttp::field::content_type, r.content_type);
        res.set("X-Content-Type-Options", "nosniff");
        for (const auto& [k, v] : options.default_headers) res.set(k, v);
        if (options.tls) res.set(bhttp::field::strict_transport_security, "max-age=31536000; includeSubDomains");
        for (auto& [k, v] : r.headers) {
            if (beast::iequals(k, "Set-Cookie")) {
                res.insert(k, v);  // one header per cookie
            } else {
                res.set(k, v);
            }
        }
        res.keep_alive(keep_alive);
        res.body() = std::move(r.body);
        res.prepare_payload();
        return res;
    }

    asio::awaitable<void> Session(beast::tcp_stream stream) {
        auto self = shared_from_this();
        connections.fetch_add(1);
        if (options.connections_total) options.connections_total->fetch_add(1);
        if (options.connections_active) options.connections_active->fetch_add(1);
        struct Guard {
            Impl& impl;
            ~Guard() {
                impl.connections.fetch_sub(1);
                if (impl.options.connections_active) impl.options.connections_active->fetch_sub(1);
            }
        } guard{*this};
        std::string remote = "unknown";
        {
            boost::system::error_code ec;
            auto ep = stream.socket().remote_endpoint(ec);
            if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
        }
        try {
            if (options.tls) {
                beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *options.tls);
                beast::get_lowest_layer(tls).expires_after(options.idle_timeout);
                auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server, kUseTuple);
                if (ec) {
                    spdlog::debug("{}: TLS handshake with {} failed: {}", options.name, remote, ec.message());
                    co_return;
                }
                if (co_await Serve(tls, remote)) {
                    beast::get_lowest_layer(tls).expires_after(std::chrono::seconds(5));
                    co_await tls.async_shutdown(kUseTuple);
                }
            } else if (co_await Serve(stream, remote)) {
                boost::system::error_code ignored;
                stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            }
        } catch (const std::exception& e) {
            spdlog::error("{}: connection {} ended by an unexpected error: {}", options.name, remote, e.what());
        }
    }

    // Writes a streamed answer: the header, then each chunk the producer gives, then the last chunk.
    template <typename Stream>
    asio::awaitable<bool> WriteStreamed(Stream& stream, Response& response, unsigned version, bool keep_alive) {
        auto head = ToBeast(Response{response.status, response.content_type, {}, response.headers, {}}, version,
                            keep_alive);
        bhttp::response<bhttp::empty_body> res{head.result(), version};
        for (const auto& field : head) res.set(field.name_string(), field.value());
        res.erase(bhttp::field::content_length);
        res.chunked(true);
        res.keep_alive(keep_alive);
        bhttp::response_serializer<bhttp::empty_body> sr{res};
        Lowest(stream).expires_after(std::chrono::seconds(30));
        auto [hec, hn] = co_await bhttp::async_write_header(stream, sr, kUseTuple);
        if (hec) co_return false;
        std::string chunk;
        for (;;) {
            chunk.clear();
            bool more = co_await response.stream(chunk);
            if (!chunk.empty()) {
                Lowest(stream).expires_after(std::chrono::seconds(30));
                auto piece = bhttp::make_chunk(asio::buffer(chunk));  // a named local: see gateway/detail/context.hpp
                auto [ec, n] = co_await asio::async_write(stream, piece, kUseTuple);
                if (ec) co_return false;
            }
            if (!more) break;
        }
        Lowest(stream).expires_after(std::chrono::seconds(30));
        auto last = bhttp::make_chunk_last();
        auto [lec, ln] = co_await asio::async_write(stream, last, kUseTuple);
        co_return !lec;
    }

    // Serves requests on a connection until it ends. True when the connection should be shut down
    // gracefully (false: it is gone or was handed to a WebSocket).
    template <typename Stream>
    asio::awaitable<bool> Serve(Stream& stream, const std::string& remote) {
        beast::flat_buffer buffer(options.max_header_bytes + 1024);
        for (;;) {
            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
            parser.body_limit(options.max_body_bytes);
            Lowest(stream).expires_after(options.idle_timeout);
            boost::system::error_code ec;
            if (options.body_limit_for) {  // the header first: the limit may depend on the target
                auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
                ec = hec;
                if (!ec) {
                    // Beast checks a Content-Length against the limit while it reads the header
                    // (max_body_bytes then); the request's own limit is checked here.
                    const auto& head = parser.get();
                    size_t limit =
                        std::min(options.max_body_bytes, options.body_limit_for(head.method_string(), head.target()));
                    auto length = parser.content_length();
                    if (length && *length > limit) {
                        ec = bhttp::error::body_limit;
                    } else {
                        parser.body_limit(limit);  // chunked bodies: counted as they come
                    }
                }
            }
            if (!ec && !parser.is_done()) {
                auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
                ec = rec;
            }
            if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
                ec == asio::error::connection_reset) {
                co_return true;
            }
            if (ec) {
                int status = ec == bhttp::error::body_limit     ? 413
                             : ec == bhttp::error::header_limit ? 431
                                                                : 400;
                auto problem = Problem(status, status == 413 ? "body-too-large" : "bad-request",
                                       status == 413 ? "Request body too large" : "Malformed HTTP request",
                                       ec.message());
                auto res = ToBeast(std::move(problem), 11, false);
                Lowest(stream).expires_after(std::chrono::seconds(5));
                co_await bhttp::async_write(stream, res, kUseTuple);
                co_return true;
            }
            auto& req = parser.get();
            Request request;
            request.method = std::string(req.method_string());
            request.target = std::string(req.target());
            request.content_type = std::string(req[bhttp::field::content_type]);
            request.body = std::move(req.body());
            request.remote = remote;
            for (const auto& field : req) {
                request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
            }
            bool keep_alive = req.keep_alive();
            unsigned version = req.version();
            Lowest(stream).expires_never();
            if (options.upgrade && beast::websocket::is_upgrade(req)) {
                Upgrade up = co_await options.upgrade(request);
                if (up.accept && up.run) {
                    WebSocketOver<Stream> ws(std::move(stream), options.max_ws_message_bytes);
                    auto [aec] = co_await ws.ws().async_accept(req, kUseTuple);
                    if (!aec) co_await up.run(ws);
                    co_return false;
                }
                auto res = ToBeast(std::move(up.refusal), version, false);
                Lowest(stream).expires_after(std::chrono::seconds(30));
                co_await bhttp::async_write(stream, res, kUseTuple);
                co_return true;
            }
            Response response = co_await handler(request);
            if (response.stream) {
                if (!co_await WriteStreamed(stream, response, version, keep_alive) || !keep_alive) co_return false;
                continue;
            }
            auto res = ToBeast(std::move(response), version, keep_alive);
            Lowest(stream).expires_after(std::chrono::seconds(30));
            if (request.method == "HEAD") {
                // The GET answer's headers (Content-Length included) without its body (RFC 9110 9.3.2).
                bhttp::response<bhttp::empty_body> head{std::move(res.base())};
                auto [hec, hn] = co_await bhttp::async_write(stream, head, kUseTuple);
                if (hec) co_return false;
                if (!keep_alive) co_return true;
                continue;
            }
            auto [wec, wn] = co_await bhttp::async_write(stream, res, kUseTuple);
            if (wec) co_return false;
            if (!keep_alive) co_return true;
        }
    }
};

Server::Server(asio::io_context& io, ServerOptions options, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handler))) {}

Server::~Server() { Stop(); }

Result<void> Server::Start(const std::string& host, uint16_t port) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return MakeError(fmt::format("{}: invalid listen address '{}'", impl_->options.name, host));
    tcp::endpoint ep(address, port);
    auto& a = impl_->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return MakeError(fmt::format("{}: cannot listen on {}:{}: {}", impl_->options.name, host, port, ec.message()));
    asio::co_spawn(a.get_executor(), impl_->Accept(), asio::detached);
    return {};
}

void Server::Stop() {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
}

uint16_t Server::port() const {
    boost::system::error_code ec;
    auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

}  // namespace fleet::http
