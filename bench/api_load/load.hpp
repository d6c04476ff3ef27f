// bench_api_load: the load tool of benchmark 4 (docs/BENCHMARKS.md, bench/api.sh). API clients and
// live-feed subscribers against a running fleetd on loopback, each signed in as a fleet manager,
// measuring what they see during a fixed window. Shared declarations of its translation units.
//
// Everything runs on one io_context (`--threads` threads); each client and subscriber is a coroutine
// on its own strand with its own counters, merged when the io_context has returned, so no counter is
// shared between threads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/record.hpp"
#include "sim/stats.hpp"

namespace fleet::bench {

using Steady = std::chrono::steady_clock;

struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // fleetd's HTTP port (required)
    int clients = 200;       // API clients
    int subscribers = 1000;  // live-feed WebSockets
    int tenants = 100;          // tenants t000, t001, ...
    int users_per_tenant = 10;  // users fm0@t000.example, fm1@t000.example, ... of each tenant
    std::string password;       // every user's
    std::chrono::milliseconds warmup{5000};    // from start until the window opens
    std::chrono::milliseconds duration{30000};  // the measured window
    std::chrono::milliseconds think{1000};  // an API client's mean pause between loops (0.5x to 1.5x)
    std::chrono::seconds history{60};       // the history route asks for this much time...
    std::optional<core::TimePoint> history_end;  // ...ending here (default: now, at each request)
    int threads = 1;
};

// When measurements count: requests started and live messages received in [start, end).
struct Window {
    Steady::time_point start;
    Steady::time_point end;
    bool Contains(Steady::time_point t) const { return t >= start && t < end; }
};

// One kind of request: its latencies (request written to the last byte of the answer read), what
// failed (transport errors and unexpected statuses), bytes and items received.
struct RouteStats {
    sim::LatencyHistogram latency;
    uint64_t errors = 0;
    uint64_t bytes = 0;
    uint64_t items = 0;  // positions (history), vehicles (latest, list)
    std::string first_error;
    void Error(const std::string& what);
    void Merge(const RouteStats& other);
};

enum Route { kLatest, kVehicles, kHistory, kRouteCount };
inline constexpr const char* kRouteNames[kRouteCount] = {"positions_latest", "vehicles_list", "vehicle_positions"};

struct ClientStats {
    RouteStats routes[kRouteCount];
    uint64_t signed_in = 0;
    uint64_t sign_in_failures = 0;
    uint64_t reconnects = 0;  // connections the server closed between requests
    std::string first_sign_in_error;
    void Merge(const ClientStats& other);
};

struct LiveStats {
    sim::LatencyHistogram latency;  // receive time - server_time, system clock, in the window
    uint64_t signed_in = 0;
    uint64_t opened = 0;      // handshakes accepted
    uint64_t ready = 0;       // "ready" messages received as the first message
    uint64_t vehicles = 0;    // sum of the vehicles the ready messages announced
    uint64_t positions = 0;   // position messages received in the window
    uint64_t positions_total = 0;
    uint64_t negative = 0;    // receive time before server_time (would mean a clock problem)
    uint64_t clean_closes = 0;  // closing handshakes completed by both sides
    uint64_t errors = 0;
    std::string first_error;
    void Error(const std::string& what);
    void Merge(const LiveStats& other);
};

// The e-mail of user `u` of tenant `t`, as bench/api.sh creates them.
std::string TenantName(int t);
std::string UserEmail(int t, int u);

class HttpConn;
struct SignedIn {
    std::string cookie;  // "__Host-fleetd_session=..." for the Cookie header
    std::string error;   // empty on success
};
// POST /api/v1/auth/login as user `u` of tenant `t` on `conn`.
boost::asio::awaitable<SignedIn> SignIn(HttpConn& conn, const Options& o, int t, int u);

// An API client: signs in once, then loops over the three routes until the window closes.
boost::asio::awaitable<void> RunApiClient(const Options& o, int index, Window w, ClientStats& out);

// A live subscriber: signs in, opens /api/v1/live with the session cookie, expects "ready", records
// position latencies until the window closes, then closes the WebSocket (client frames are masked
// by Beast's client role, RFC 6455 5.3).
boost::asio::awaitable<void> RunSubscriber(const Options& o, int index, Window w, LiveStats& out);

}  // namespace fleet::bench
