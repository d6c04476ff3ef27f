// A keep-alive HTTP/1.1 client connection for the load tool: one request at a time, reconnecting
// when the server closed the connection in between. Not thread-safe: use from one strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <string>
#include <vector>

namespace fleet::bench {

struct HttpAnswer {
    int status = 0;  // 0: the request failed on the way (see error)
    std::string body;
    std::vector<std::string> set_cookies;
    std::string error;
};

class HttpConn {
public:
    HttpConn(const boost::asio::any_io_executor& ex, std::string host, uint16_t port);

    // Sends one request (connecting first when needed) and reads the whole answer, chunked bodies
    // included, within 30 s. `cookie` and `body` may be empty; a body is sent as application/json.
    boost::asio::awaitable<HttpAnswer> Request(const char* method, const std::string& target,
                                               const std::string& cookie, const std::string& body);

    // Connections opened after the first one (the server closed a kept-alive one).
    uint64_t reconnects() const { return reconnects_; }
    void Close();

private:
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::string host_;
    uint16_t port_;
    bool open_ = false;
    bool ever_opened_ = false;
    uint64_t reconnects_ = 0;
};

// "name=value" of cookie `name` from a list of Set-Cookie values, or "" when absent.
std::string CookiePair(const std::vector<std::string>& set_cookies, const std::string& name);

}  // namespace fleet::bench
