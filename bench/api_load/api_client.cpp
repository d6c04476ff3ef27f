// An API client of the load tool: what a fleet manager's screen asks for, in a loop with a pause.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <random>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "http_conn.hpp"
#include "load.hpp"

namespace fleet::bench {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

uint64_t Occurrences(std::string_view text, std::string_view what) {
    uint64_t n = 0;
    for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

// The ids of the vehicles of a list answer ({"items":[{"id":...},...],...}); empty when unreadable.
std::vector<int64_t> VehicleIds(const std::string& body) {
    std::vector<int64_t> ids;
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return ids;
    const json::value* items = v.as_object().if_contains("items");
    if (!items || !items->is_array()) return ids;
    for (const auto& item : items->as_array()) {
        const json::value* id = item.is_object() ? item.as_object().if_contains("id") : nullptr;
        if (id && id->is_int64()) ids.push_back(id->as_int64());
    }
    return ids;
}

std::string HistoryTarget(const Options& o, int64_t vehicle_id) {
    core::TimePoint end = o.history_end.value_or(
        std::chrono::time_point_cast<core::Millis>(std::chrono::system_clock::now()));
    return "/api/v1/vehicles/" + std::to_string(vehicle_id) + "/positions?from=" + core::FormatIso(end - o.history) +
           "&to=" + core::FormatIso(end);
}

}  // namespace

asio::awaitable<void> RunApiClient(const Options& o, int index, Window w, ClientStats& out) {
    auto ex = co_await asio::this_coro::executor;
    HttpConn conn(ex, o.host, o.port);
    const int tenant = index % o.tenants;
    const int user = (index / o.tenants) % o.users_per_tenant;
    SignedIn session = co_await SignIn(conn, o, tenant, user);
    if (!session.error.empty()) {
        ++out.sign_in_failures;
        if (out.first_sign_in_error.empty()) out.first_sign_in_error = session.error;
        co_return;
    }
    ++out.signed_in;

    std::mt19937 rng(static_cast<uint32_t>(index));
    std::uniform_real_distribution<double> think_factor(0.5, 1.5);
    asio::steady_timer timer(ex);
    const std::string no_body;
    const char* const get = "GET";
    std::vector<int64_t> vehicle_ids;
    size_t next_vehicle = 0;
    while (Steady::now() < w.end) {
        for (int r = 0; r < kRouteCount && Steady::now() < w.end; ++r) {
            std::string target;
            if (r == kLatest) target = "/api/v1/positions/latest";
            if (r == kVehicles) target = "/api/v1/vehicles?limit=50";
            if (r == kHistory) {
                if (vehicle_ids.empty()) continue;
                target = HistoryTarget(o, vehicle_ids[next_vehicle++ % vehicle_ids.size()]);
            }
            auto started = Steady::now();
            HttpAnswer answer = co_await conn.Request(get, target, session.cookie, no_body);
            auto took = std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - started);
            if (r == kVehicles && answer.status == 200) vehicle_ids = VehicleIds(answer.body);
            if (!w.Contains(started)) continue;
            RouteStats& stats = out.routes[r];
            if (answer.status != 200) {
                stats.Error(answer.status ? "HTTP " + std::to_string(answer.status) + " " + answer.body.substr(0, 200)
                                          : answer.error);
                continue;
            }
            stats.latency.Add(took);
            stats.bytes += answer.body.size();
            if (r == kLatest) stats.items += Occurrences(answer.body, "\"vehicle_id\":");
            if (r == kVehicles) stats.items += vehicle_ids.size();
            if (r == kHistory) stats.items += Occurrences(answer.body, "\"server_time\":");
        }
        auto pause = std::chrono::duration_cast<Steady::duration>(o.think * think_factor(rng));
        timer.expires_at(std::min(Steady::now() + pause, w.end));
        co_await timer.async_wait(kUseTuple);
    }
    out.reconnects += conn.reconnects();
    conn.Close();
}

}  // namespace fleet::bench
