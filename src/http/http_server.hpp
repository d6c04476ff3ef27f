// A small HTTP/1.1 server on Boost.Beast: keep-alive, a body limit, a read deadline, and one
// coroutine handler per request. Used by the OsmAnd device listener and the platform's HTTP port.
// Thread-safety: Start/Stop from one thread; handlers run on the connection's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace fleet::http {

struct Request {
    std::string method;        // "GET", "POST", ...
    std::string target;        // "/path?query"
    std::string content_type;
    std::string body;
    std::string remote;        // "address:port"
    std::vector<std::pair<std::string, std::string>> headers;  // as received, in order

    // The first header named `name` (case-insensitive), or "" when absent.
    std::string_view Header(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

// A problem+json response (RFC 9457) with a stable type URI suffix and a human-readable detail.
Response Problem(int status, std::string_view type, std::string_view title, std::string_view detail);

// Called with a reference to the request, which lives until the returned awaitable completes.
using Handler = std::function<boost::asio::awaitable<Response>(const Request&)>;

struct ServerOptions {
    std::string name = "http";                  // for logs
    size_t max_body_bytes = 65536;              // larger bodies get 413
    size_t max_header_bytes = 16384;            // larger headers get 431
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    size_t max_connections = 10000;
    std::atomic<uint64_t>* connections_total = nullptr;   // optional counters to update
    std::atomic<int64_t>* connections_active = nullptr;
    // Set on every response (e.g. security headers) before the handler's own headers, which win.
    std::vector<std::pair<std::string, std::string>> default_headers;
};

class Server {
public:
    Server(boost::asio::io_context& io, ServerOptions options, Handler handler);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds host:port (port 0 picks a free one) and starts accepting.
    Result<void> Start(const std::string& host, uint16_t port);
    void Stop();
    uint16_t port() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace fleet::http
