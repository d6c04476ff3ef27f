// A small HTTP/1.1 server on Boost.Beast: keep-alive, a body limit, a read deadline, one coroutine
// handler per request, optional TLS, streamed (chunked) answers, and WebSocket upgrades. Used by the
// OsmAnd device listener and the platform's HTTP port.
// Thread-safety: Start/Stop from one thread; handlers run on the connection's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace boost::asio::ssl {
class context;
}

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
    // When set, `body` is ignored and the answer is streamed with chunked transfer encoding: `stream`
    // is called again and again, each time filling `chunk` with the next piece, until it returns
    // false. Each piece is written before the next is asked for, so a slow client slows the producer
    // instead of filling memory. After the headers are sent an error can only cut the stream short.
    std::function<boost::asio::awaitable<bool>(std::string& chunk)> stream;
};

// An accepted WebSocket connection (text messages). One Send (or Close) and one Receive may be in
// progress at once (from two coroutines of the connection's strand), not two of the same.
class WebSocket {
public:
    virtual ~WebSocket() = default;
    // False when the connection is closed or the write failed.
    virtual boost::asio::awaitable<bool> Send(const std::string& text) = 0;
    // The next message, or nullopt when the connection is closed.
    virtual boost::asio::awaitable<std::optional<std::string>> Receive() = 0;
    // Starts the closing handshake with a status code (RFC 6455 7.4.1, e.g. 1008 policy violation)
    // and a reason (at most 123 bytes); a Receive in progress then ends. Not during a Send.
    virtual boost::asio::awaitable<void> Close(int code, const std::string& reason) = 0;
};

// The answer to a WebSocket upgrade request: accept and run `run` on the connection (which ends when
// `run` returns), or refuse with `refusal`.
struct Upgrade {
    bool accept = false;
    Response refusal;
    std::function<boost::asio::awaitable<void>(WebSocket&)> run;
};
using UpgradeHandler = std::function<boost::asio::awaitable<Upgrade>(const Request&)>;

// A TLS server context (TLS 1.2 and later) with the PEM certificate chain and key of these files.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const std::string& cert_file,
                                                                   const std::string& key_file);

// A problem+json response (RFC 9457) with a stable type URI suffix and a human-readable detail.
Response Problem(int status, std::string_view type, std::string_view title, std::string_view detail);

// Called with a reference to the request, which lives until the returned awaitable completes.
using Handler = std::function<boost::asio::awaitable<Response>(const Request&)>;

struct ServerOptions {
    std::string name = "http";                  // for logs
    size_t max_body_bytes = 65536;              // larger bodies get 413
    // When set, the body limit of a request by its method and target (at most max_body_bytes, which
    // is then the largest any request may have).
    std::function<size_t(std::string_view method, std::string_view target)> body_limit_for;
    size_t max_header_bytes = 16384;            // larger headers get 431
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    size_t max_connections = 10000;
    std::atomic<uint64_t>* connections_total = nullptr;   // optional counters to update
    std::atomic<int64_t>* connections_active = nullptr;
    // Set on every response (e.g. security headers) before the handler's own headers, which win.
    std::vector<std::pair<std::string, std::string>> default_headers;
    // When set, connections speak TLS only (handshake within the idle timeout).
    std::shared_ptr<boost::asio::ssl::context> tls;
    // When set, WebSocket upgrade requests go here instead of to the handler.
    UpgradeHandler upgrade;
    size_t max_ws_message_bytes = 65536;
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
