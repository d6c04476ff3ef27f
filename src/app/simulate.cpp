// `fleetd simulate`: the device simulator and load generator (src/sim) on the command line.
#include <csignal>
#include <iostream>

#include "app/commands.hpp"
#include "core/thread.hpp"
#include "sim/sim.hpp"

namespace fleet::app {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) { g_stop.store(true); }

struct SimArgs {
    std::string target = "127.0.0.1:5027";
    std::string protocol = "teltonika";
    int devices = 1;
    double interval_s = 10;
    double duration_s = 0;
    int records_per_packet = 1;
    uint64_t first_imei_index = 0;
    uint32_t seed = 1;
    bool idle = false;
    bool udp = false;
    bool json = false;
    bool list_imeis = false;
    int ramp_up_ms = 1000;
    int nice = 0;
};

int RunSimulate(const SimArgs& a) {
    if (a.list_imeis) {
        for (int i = 0; i < a.devices; ++i) std::cout << sim::ImeiFor(a.first_imei_index + static_cast<uint64_t>(i)) << "\n";
        return 0;
    }
    auto protocol = sim::ParseProtocol(a.protocol);
    if (!protocol) {
        std::cerr << "fleetd simulate: " << protocol.error().message << "\n";
        return 2;
    }
    sim::Options o;
    auto colon = a.target.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        std::cerr << "fleetd simulate: --target must be HOST:PORT\n";
        return 2;
    }
    o.host = a.target.substr(0, colon);
    try {
        int port = std::stoi(a.target.substr(colon + 1));
        if (port <= 0 || port > 65535) throw std::out_of_range("port");
        o.port = static_cast<uint16_t>(port);
    } catch (const std::exception&) {
        std::cerr << "fleetd simulate: bad port in --target " << a.target << "\n";
        return 2;
    }
    o.protocol = *protocol;
    o.devices = a.devices;
    o.interval = std::chrono::milliseconds(static_cast<int64_t>(a.interval_s * 1000));
    o.duration = std::chrono::milliseconds(static_cast<int64_t>(a.duration_s * 1000));
    o.records_per_packet = a.records_per_packet;
    o.first_imei_index = a.first_imei_index;
    o.seed = a.seed;
    o.idle = a.idle;
    o.udp = a.udp;
    o.ramp_up_ms = a.ramp_up_ms;
    // The thread that runs every vehicle (and any it starts) takes this priority: on a machine shared
    // with the server under test, whose committer raises its own threads to nice -10, the vehicles'
    // answers to ACKs would otherwise wait behind the server and slow the loop they measure.
    if (a.nice != 0 && !core::SetThreadNice(a.nice)) {
        std::cerr << "fleetd simulate: cannot set nice " << a.nice
                  << " (a negative value needs CAP_SYS_NICE); running at the default priority\n";
    }
    std::signal(SIGINT, OnStopSignal);
    std::signal(SIGTERM, OnStopSignal);
    auto report = sim::Run(o, &g_stop);
    if (!report) {
        std::cerr << "fleetd simulate: " << report.error().message << "\n";
        return 2;
    }
    std::cout << (a.json ? report->ToJson() + "\n" : report->ToText()) << std::flush;
    return 0;
}

}  // namespace

Runner AddSimulate(CLI::App& app) {
    auto* cmd = app.add_subcommand("simulate", "Drive simulated vehicles against a server (demo and load generator)");
    auto a = std::make_shared<SimArgs>();
    cmd->add_option("--target", a->target, "server HOST:PORT")->capture_default_str();
    cmd->add_option("--protocol", a->protocol, "teltonika, gt06 or osmand")->capture_default_str();
    cmd->add_option("--devices", a->devices, "number of vehicles")->check(CLI::Range(1, 200000))->capture_default_str();
    cmd->add_option("--interval", a->interval_s, "seconds between packets of one vehicle")
        ->check(CLI::Range(0.001, 86400.0))
        ->capture_default_str();
    cmd->add_option("--duration", a->duration_s, "seconds to run; 0 = until Ctrl-C")->check(CLI::Range(0.0, 864000.0));
    cmd->add_option("--records-per-packet", a->records_per_packet, "records in each packet")->check(CLI::Range(1, 255));
    cmd->add_option("--first-imei-index", a->first_imei_index, "index of the first vehicle's IMEI");
    cmd->add_option("--seed", a->seed, "seed of the city and the vehicles");
    cmd->add_option("--ramp-up-ms", a->ramp_up_ms, "spread the first connections over this many ms");
    cmd->add_option("--nice", a->nice,
                    "scheduling priority of the simulator (-20 to 19; negative needs CAP_SYS_NICE); the benchmarks "
                    "give -10, the server's own committer priority")
        ->check(CLI::Range(-20, 19));
    cmd->add_flag("--idle", a->idle, "connect and identify, then hold the connection silently");
    cmd->add_flag("--udp", a->udp, "Teltonika over UDP");
    cmd->add_flag("--json", a->json, "print the report as one JSON line");
    cmd->add_flag("--list-imeis", a->list_imeis, "print the IMEIs the vehicles use and exit");
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        return RunSimulate(*a);
    };
}

}  // namespace fleet::app
