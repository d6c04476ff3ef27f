#include "http/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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
        beast::flat_buffer buffer(options.max_header_bytes + 1024);
        try {
            for (;;) {
                bhttp::request_parser<bhttp::string_body> parser;
                parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
                parser.body_limit(options.max_body_bytes);
                stream.expires_after(options.idle_timeout);
                auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
                if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                    ec == beast::error::timeout || ec == asio::error::connection_reset) {
                    break;
                }
                if (ec) {
                    int status = ec == bhttp::error::body_limit     ? 413
                                 : ec == bhttp::error::header_limit ? 431
                                                                    : 400;
                    auto problem = Problem(status, status == 413 ? "body-too-large" : "bad-request",
                                           status == 413 ? "Request body too large" : "Malformed HTTP request",
                                           ec.message());
                    auto res = ToBeast(std::move(problem), 11, false);
                    stream.expires_after(std::chrono::seconds(5));
                    co_await bhttp::async_write(stream, res, kUseTuple);
                    break;
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
                stream.expires_never();
                Response response = co_await handler(request);
                auto res = ToBeast(std::move(response), version, keep_alive);
                stream.expires_after(std::chrono::seconds(30));
                auto [wec, wn] = co_await bhttp::async_write(stream, res, kUseTuple);
                if (wec || !keep_alive) break;
            }
        } catch (const std::exception& e) {
            spdlog::error("{}: connection {} ended by an unexpected error: {}", options.name, remote, e.what());
        }
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
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
