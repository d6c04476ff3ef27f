#include "sim/sim.hpp"

#include <sys/resource.h>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <memory>

#include "sim/detail/device.hpp"

namespace fleet::sim {
namespace {

using detail::Clock;
using detail::Device;
using detail::RunContext;
namespace asio = detail::asio;
using namespace std::chrono_literals;

constexpr int kMaxDevices = 200000;
constexpr auto kTick = 20ms;
constexpr auto kMaxDrain = std::chrono::milliseconds(5000);

Result<void> Validate(const Options& o) {
    if (o.port == 0) return MakeError("simulate: the server port must be set");
    if (o.devices < 1 || o.devices > kMaxDevices) {
        return MakeError(fmt::format("simulate: devices must be 1..{}", kMaxDevices));
    }
    if (o.records_per_packet < 1 || o.records_per_packet > 255) {
        return MakeError("simulate: records per packet must be 1..255");
    }
    if (o.interval < std::chrono::milliseconds(o.records_per_packet)) {
        return MakeError("simulate: the interval must leave at least 1 ms between samples");
    }
    if (o.duration < 0ms) return MakeError("simulate: the duration cannot be negative");
    if (o.ack_timeout <= 0ms) return MakeError("simulate: the ack timeout must be positive");
    if (o.ramp_up_ms < 0) return MakeError("simulate: the ramp-up cannot be negative");
    if (o.udp && o.protocol != Protocol::kTeltonika)
        return MakeError("simulate: UDP is for Teltonika only");
    if (o.udp && o.idle) return MakeError("simulate: idle mode needs connections; UDP has none");
    return {};
}

// Every device holds one socket: lift the soft limit on descriptors towards the hard one if needed.
void RaiseFileLimit(rlim_t needed) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
}

// Ends the run at its duration or when *stop turns true: first BeginStop (in-flight packets get
// their ACK), then, after the drain time, ForceStop. Returns when every device has finished.
asio::awaitable<void> Control(RunContext& run, std::vector<std::unique_ptr<Device>>& devices,
                              std::atomic<bool>* stop) {
    asio::steady_timer tick(co_await asio::this_coro::executor);
    const Options& o = run.options;
    const auto end = o.duration > 0ms ? run.start + o.duration : Clock::time_point::max();
    auto force_at = Clock::time_point::max();
    bool ending = false;
    while (run.live > 0) {
        auto now = Clock::now();
        if (!ending && (now >= end || (stop != nullptr && stop->load()))) {
            ending = true;
            run.stats.SnapshotOpen();
            for (auto& d : devices) d->BeginStop();
            force_at = now + std::min(o.ack_timeout, kMaxDrain);
        }
        if (ending && now >= force_at) {
            for (auto& d : devices) d->ForceStop();
            force_at = Clock::time_point::max();
        }
        tick.expires_at(std::min(now + kTick, ending ? force_at : end));
        co_await tick.async_wait(detail::kToken);
    }
}

}  // namespace

std::string_view ProtocolName(Protocol p) {
    switch (p) {
        case Protocol::kTeltonika: return "teltonika";
        case Protocol::kGt06: return "gt06";
        case Protocol::kOsmAnd: return "osmand";
    }
    return "unknown";
}

Result<Protocol> ParseProtocol(std::string_view name) {
    for (Protocol p : {Protocol::kTeltonika, Protocol::kGt06, Protocol::kOsmAnd}) {
        if (name == ProtocolName(p)) return p;
    }
    return MakeError(fmt::format("unknown protocol '{}' (teltonika, gt06 or osmand)", name));
}

std::string ImeiFor(uint64_t index) {
    std::string imei = fmt::format("35{:012d}", index % 1'000'000'000'000ULL);
    // Luhn: from the rightmost payload digit leftwards, double every other digit, starting with it.
    int sum = 0;
    for (size_t k = 0; k < imei.size(); ++k) {
        int digit = imei[imei.size() - 1 - k] - '0';
        if (k % 2 == 0) {
            digit *= 2;
            if (digit > 9) digit -= 9;
        }
        sum += digit;
    }
    imei.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
    return imei;
}

Result<Report> Run(const Options& options, std::atomic<bool>* stop) {
    if (auto valid = Validate(options); !valid) return valid.error();
    if (options.duration == 0ms && stop == nullptr) {
        return MakeError("simulate: without a duration the run needs a stop flag");
    }
    asio::io_context io(1);

    boost::system::error_code ec;
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || endpoints.empty()) {
        return MakeError(
            fmt::format("simulate: cannot resolve {}: {}", options.host, ec.message()));
    }
    RaiseFileLimit(static_cast<rlim_t>(options.devices) + 64);

    RunContext run(options, endpoints.begin()->endpoint());
    std::vector<std::unique_ptr<Device>> devices;
    devices.reserve(static_cast<size_t>(options.devices));
    for (int d = 0; d < options.devices; ++d) {
        devices.push_back(std::make_unique<Device>(io, run, static_cast<uint64_t>(d)));
        ++run.live;  // counted here, not when the coroutine first runs, so Control never sees 0
                     // early
        asio::co_spawn(io, devices.back()->Live(), asio::detached);
    }
    asio::co_spawn(io, Control(run, devices, stop), asio::detached);
    io.run();

    Report report =
        run.stats.Finish(std::chrono::duration<double>(Clock::now() - run.start).count());
    report.protocol = std::string(ProtocolName(options.protocol));
    if (options.udp) report.protocol += "-udp";
    report.devices = options.devices;
    return report;
}

}  // namespace fleet::sim
