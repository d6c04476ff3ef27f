// What the API clients and the subscribers share: names, sign-in, counters.
#include <fmt/format.h>

#include "core/json.hpp"
#include "http_conn.hpp"
#include "load.hpp"

namespace fleet::bench {

namespace asio = boost::asio;

std::string TenantName(int t) { return fmt::format("t{:03}", t); }

std::string UserEmail(int t, int u) { return fmt::format("fm{}@{}.example", u, TenantName(t)); }

asio::awaitable<SignedIn> SignIn(HttpConn& conn, const Options& o, int t, int u) {
    std::string body = "{\"email\":";
    core::AppendJsonString(body, UserEmail(t, u));
    body += ",\"password\":";
    core::AppendJsonString(body, o.password);
    body += "}";
    const std::string target = "/api/v1/auth/login";
    const std::string no_cookie;
    const char* const post = "POST";
    HttpAnswer answer = co_await conn.Request(post, target, no_cookie, body);
    SignedIn out;
    if (answer.status != 200) {
        out.error = answer.status ? fmt::format("HTTP {} {}", answer.status, answer.body.substr(0, 200)) : answer.error;
        co_return out;
    }
    out.cookie = CookiePair(answer.set_cookies, "__Host-fleetd_session");
    if (out.cookie.empty()) out.error = "no session cookie in the sign-in answer";
    co_return out;
}

void RouteStats::Error(const std::string& what) {
    ++errors;
    if (first_error.empty()) first_error = what;
}

void RouteStats::Merge(const RouteStats& other) {
    latency.Merge(other.latency);
    errors += other.errors;
    bytes += other.bytes;
    items += other.items;
    if (first_error.empty()) first_error = other.first_error;
}

void ClientStats::Merge(const ClientStats& other) {
    for (int r = 0; r < kRouteCount; ++r) routes[r].Merge(other.routes[r]);
    signed_in += other.signed_in;
    sign_in_failures += other.sign_in_failures;
    reconnects += other.reconnects;
    if (first_sign_in_error.empty()) first_sign_in_error = other.first_sign_in_error;
}

void LiveStats::Error(const std::string& what) {
    ++errors;
    if (first_error.empty()) first_error = what;
}

void LiveStats::Merge(const LiveStats& other) {
    latency.Merge(other.latency);
    signed_in += other.signed_in;
    opened += other.opened;
    ready += other.ready;
    vehicles += other.vehicles;
    positions += other.positions;
    positions_total += other.positions_total;
    negative += other.negative;
    clean_closes += other.clean_closes;
    errors += other.errors;
    if (first_error.empty()) first_error = other.first_error;
}

}  // namespace fleet::bench
