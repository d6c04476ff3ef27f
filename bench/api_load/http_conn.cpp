#include "http_conn.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

namespace fleet::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kTimeout{30};
constexpr size_t kBodyLimit = 64 << 20;  // an hour of one simulated vehicle's history is ~10 MB

HttpConn::HttpConn(const asio::any_io_executor& ex, std::string host, uint16_t port)
    : stream_(ex), host_(std::move(host)), port_(port) {}

void HttpConn::Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    open_ = false;
}

asio::awaitable<HttpAnswer> HttpConn::Request(const char* method, const std::string& target,
                                              const std::string& cookie, const std::string& body) {
    HttpAnswer answer;
    if (!open_) {
        if (ever_opened_) ++reconnects_;
        buffer_.clear();
        asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host_), port_);
        stream_.expires_after(kTimeout);
        auto [ec] = co_await stream_.async_connect(endpoint, kUseTuple);
        if (ec) {
            answer.error = "connect: " + ec.message();
            co_return answer;
        }
        open_ = ever_opened_ = true;
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host_ + ":" + std::to_string(port_));
    req.set(http::field::user_agent, "fleetd-bench-api-load");
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    stream_.expires_after(kTimeout);
    auto [wec, written] = co_await http::async_write(stream_, req, kUseTuple);
    http::response_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    beast::error_code rec = wec;
    if (!wec) std::tie(rec, std::ignore) = co_await http::async_read(stream_, buffer_, parser, kUseTuple);
    if (rec) {
        answer.error = (wec ? "write: " : "read: ") + rec.message();
        Close();
        co_return answer;
    }
    auto res = parser.release();
    answer.status = static_cast<int>(res.result_int());
    auto [first, last] = res.equal_range(http::field::set_cookie);
    for (auto it = first; it != last; ++it) answer.set_cookies.emplace_back(it->value());
    if (!res.keep_alive()) Close();
    answer.body = std::move(res.body());
    co_return answer;
}

std::string CookiePair(const std::vector<std::string>& set_cookies, const std::string& name) {
    for (const auto& c : set_cookies) {
        if (c.compare(0, name.size() + 1, name + "=") == 0) return c.substr(0, c.find(';'));
    }
    return "";
}

}  // namespace fleet::bench
