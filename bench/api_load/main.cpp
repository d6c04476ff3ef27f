// bench_api_load: API clients and live subscribers against a running fleetd, for a fixed window;
// prints one JSON object with what they measured (see load.hpp and bench/api.sh).
//
// Usage: bench_api_load --port P --password-stdin [--host 127.0.0.1] [--clients 200]
//          [--subscribers 1000] [--tenants 100] [--users-per-tenant 10] [--warmup-s 5]
//          [--duration-s 30] [--think-ms 1000] [--history-s 60] [--history-end ISO] [--threads 1]
//
// Clients and subscribers start spread over the first half of the warm-up (at most 10 s) and sign
// in; requests started and live messages received inside the window [warm-up, warm-up + duration)
// count. Every loop stops by itself at the window's end; anything still running 60 s later is cut
// (and reported). The store's counters are read from /metrics at the window's start and end, and the
// tool's own CPU time with them.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>
#include <thread>

#include "core/time.hpp"
#include "http_conn.hpp"
#include "load.hpp"
#include "report.hpp"

namespace fleet::bench {
namespace {

namespace asio = boost::asio;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kGrace{60};

asio::awaitable<void> SleepUntil(Steady::time_point t) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(t);
    co_await timer.async_wait(kUseTuple);
}

asio::awaitable<void> StartClient(const Options& o, int i, Window w, Steady::time_point at, ClientStats& out) {
    co_await SleepUntil(at);
    co_await RunApiClient(o, i, w, out);
}

asio::awaitable<void> StartSubscriber(const Options& o, int j, Window w, Steady::time_point at, LiveStats& out) {
    co_await SleepUntil(at);
    co_await RunSubscriber(o, j, w, out);
}

double ToolCpuSeconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The store's counters now, from /metrics, and the tool's CPU.
asio::awaitable<Sample> TakeSample(const Options& o) {
    HttpConn conn(co_await asio::this_coro::executor, o.host, o.port);
    const std::string target = "/metrics";
    const std::string none;
    const char* const get = "GET";
    HttpAnswer answer = co_await conn.Request(get, target, none, none);
    conn.Close();
    Sample s = ParseStoreMetrics(answer.body);
    s.at = Steady::now();
    s.ok = answer.status == 200;
    s.tool_cpu_s = ToolCpuSeconds();
    co_return s;
}

asio::awaitable<void> SampleWindow(const Options& o, Window w, Sample& start, Sample& end) {
    co_await SleepUntil(w.start);
    start = co_await TakeSample(o);
    co_await SleepUntil(w.end);
    end = co_await TakeSample(o);
}

// Waits until `remaining` reaches zero or the hard deadline passes; then the io_context stops.
asio::awaitable<void> Watchdog(asio::io_context& io, const std::atomic<int>& remaining, Steady::time_point deadline,
                               bool& cut) {
    while (remaining.load() > 0) {
        if (Steady::now() >= deadline) {
            cut = true;
            io.stop();
            co_return;
        }
        co_await SleepUntil(Steady::now() + std::chrono::milliseconds(100));
    }
}

void RaiseOpenFileLimit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

int Run(const Options& o) {
    RaiseOpenFileLimit();
    std::vector<ClientStats> clients(static_cast<size_t>(o.clients));
    std::vector<LiveStats> subscribers(static_cast<size_t>(o.subscribers));
    Sample store_start, store_end;
    std::atomic<int> remaining{o.clients + o.subscribers + 1};
    bool cut = false;
    asio::io_context io(o.threads);

    const auto t0 = Steady::now();
    const Window w{t0 + o.warmup, t0 + o.warmup + o.duration};
    const auto ramp = std::min<Steady::duration>(o.warmup / 2, std::chrono::seconds(10));
    auto done = [&remaining](const std::exception_ptr& e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                std::cerr << "bench_api_load: " << ex.what() << "\n";
            }
        }
        --remaining;
    };
    for (int i = 0; i < o.clients; ++i) {
        auto at = t0 + ramp * i / o.clients;
        asio::co_spawn(asio::make_strand(io), StartClient(o, i, w, at, clients[static_cast<size_t>(i)]), done);
    }
    for (int j = 0; j < o.subscribers; ++j) {
        auto at = t0 + ramp * j / o.subscribers;
        asio::co_spawn(asio::make_strand(io), StartSubscriber(o, j, w, at, subscribers[static_cast<size_t>(j)]), done);
    }
    asio::co_spawn(asio::make_strand(io), SampleWindow(o, w, store_start, store_end), done);
    asio::co_spawn(asio::make_strand(io), Watchdog(io, remaining, w.end + kGrace, cut), asio::detached);

    std::vector<std::thread> pool;
    for (int t = 1; t < o.threads; ++t) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();

    ClientStats api;
    for (const auto& c : clients) api.Merge(c);
    LiveStats live;
    for (const auto& s : subscribers) live.Merge(s);
    std::cout << ReportJson(o, api, live, store_start, store_end, cut) << std::endl;
    return 0;
}

}  // namespace
}  // namespace fleet::bench

int main(int argc, char** argv) {
    using namespace fleet::bench;
    Options o;
    CLI::App app{"bench_api_load: API clients and live subscribers against fleetd"};
    int port = 0;
    int64_t warmup_s = 5, duration_s = 30, think_ms = 1000, history_s = 60;
    bool password_stdin = false;
    std::string history_end;
    app.add_option("--host", o.host, "fleetd's address")->capture_default_str();
    app.add_option("--port", port, "fleetd's HTTP port")->required()->check(CLI::Range(1, 65535));
    app.add_option("--clients", o.clients, "API clients")->check(CLI::Range(0, 100000))->capture_default_str();
    app.add_option("--subscribers", o.subscribers, "live subscribers")->check(CLI::Range(0, 100000))->capture_default_str();
    app.add_option("--tenants", o.tenants, "tenants t000...")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--users-per-tenant", o.users_per_tenant, "users fm0@tNNN.example...")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    app.add_flag("--password-stdin", password_stdin, "read the users' password from the first line of stdin")->required();
    app.add_option("--warmup-s", warmup_s, "seconds before the window opens")->check(CLI::Range(0, 3600))->capture_default_str();
    app.add_option("--duration-s", duration_s, "seconds the window lasts")->check(CLI::Range(1, 3600))->capture_default_str();
    app.add_option("--think-ms", think_ms, "mean pause of a client between loops")->check(CLI::Range(0, 600000))->capture_default_str();
    app.add_option("--history-s", history_s, "length of the history asked for")->check(CLI::Range(1, 86400))->capture_default_str();
    app.add_option("--history-end", history_end, "end of the history asked for (ISO 8601; default: now)");
    app.add_option("--threads", o.threads, "threads of the tool")->check(CLI::Range(1, 64))->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    std::getline(std::cin, o.password);
    o.port = static_cast<uint16_t>(port);
    o.warmup = std::chrono::seconds(warmup_s);
    o.duration = std::chrono::seconds(duration_s);
    o.think = std::chrono::milliseconds(think_ms);
    o.history = std::chrono::seconds(history_s);
    if (!history_end.empty()) {
        auto t = fleet::core::ParseIso(history_end);
        if (!t) {
            std::cerr << "bench_api_load: --history-end: " << t.error().message << "\n";
            return 2;
        }
        o.history_end = *t;
    }
    return Run(o);
}
