// Benchmark 1 (docs/BENCHMARKS.md): Teltonika Codec 8 Extended decoding, records per second on one
// thread. Builds a fixed, seeded set of packets (10 records of 10 IO values each, the mix of 1, 2,
// 4 and 8-byte values an FMB device sends) with teltonika::EncodeAvlTcp, writes them as hex, one
// packet a line, so that the Node baseline (node/decode.js) decodes exactly the same bytes, and
// times teltonika::DecodeTcp on them. Single-threaded; bench/decode/run.sh pins it to one core.
//
// Usage: bench_decode [--packets N] [--runs N] [--min-run-ms N] [--hex FILE] [--meta FILE]
// Each run decodes all packets over and over for --min-run-ms of CPU time. Rates are records per
// second of the process's CPU time (the one core's work, unaffected by other load on a shared
// machine) and of wall time; the last line is "RESULT records_per_s=<median CPU-time rate>
// wall_records_per_s=<median wall-time rate>" for run.sh.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>

#include "core/bytes.hpp"
#include "core/record.hpp"
#include "protocol/teltonika/teltonika.hpp"

namespace {

using fleet::core::IoElement;
using fleet::core::Record;
namespace teltonika = fleet::protocol::teltonika;

constexpr uint64_t kSeed = 20240601;
constexpr size_t kRecordsPerPacket = 10;
// Per record: four 1-byte, three 2-byte, two 4-byte and one 8-byte value (10 in all), drawn without
// repetition from the IDs an FMB device sends at that size (Teltonika wiki "FMB AVL ID"), named and
// unnamed by fleetd alike.
constexpr size_t kCount1 = 4, kCount2 = 3, kCount4 = 2, kCount8 = 1;
constexpr std::array<uint16_t, 8> kIds1{239, 240, 21, 200, 69, 1, 179, 113};
constexpr std::array<uint16_t, 7> kIds2{66, 67, 68, 181, 182, 24, 9};
constexpr std::array<uint16_t, 4> kIds4{16, 199, 241, 83};
constexpr std::array<uint16_t, 4> kIds8{78, 11, 14, 238};

struct Options {
    size_t packets = 1000;
    int runs = 7;
    int min_run_ms = 1000;
    std::string hex_path;
    std::string meta_path;
};

// The raw engine only: std's distributions differ between standard libraries, the engine does not,
// so the packets are the same bytes wherever this is built.
class Rng {
public:
    explicit Rng(uint64_t seed) : engine_(seed) {}
    uint64_t Below(uint64_t n) { return engine_() % n; }
    uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
    uint64_t Bits() { return engine_(); }

private:
    std::mt19937_64 engine_;
};

// A plausible value for `id` (units as the wiki gives them).
uint64_t ValueFor(uint16_t id, Rng& rng) {
    switch (id) {
        case 239:
        case 240:
        case 1:
        case 179:
            return rng.Below(2);  // ignition, movement, DIN1, DOUT1
        case 21:
            return rng.Between(1, 5);  // GSM signal
        case 200:
            return rng.Below(3);  // sleep mode
        case 69:
            return rng.Between(1, 2);  // GNSS status
        case 113:
            return rng.Between(20, 100);  // battery level, %
        case 66:
            return rng.Between(11500, 28500);  // external voltage, mV
        case 67:
            return rng.Between(3600, 4200);  // battery voltage, mV
        case 68:
            return rng.Below(800);  // battery current, mA
        case 181:
        case 182:
            return rng.Between(5, 40);  // PDOP, HDOP ×0.1
        case 24:
            return rng.Below(130);  // speed, km/h
        case 9:
            return rng.Below(30000);  // analog input 1, mV
        case 16:
            return rng.Between(1'000'000, 900'000'000);  // total odometer, m
        case 199:
            return rng.Below(200'000);  // trip odometer, m
        case 241:
            return 24602;  // GSM operator code
        case 83:
            return rng.Below(5'000'000);  // fuel used, 0.1 l
        case 78:
            return rng.Below(4) == 0 ? 0 : rng.Bits();  // iButton ID (0 = none)
        case 11:
            return 893700000 + rng.Below(100'000);  // ICCID, first digits
        case 14:
            return rng.Between(1'000'000'000, 9'999'999'999);  // ICCID, last digits
        case 238:
            return rng.Bits() >> 16;  // user ID
        default:
            return 0;
    }
}

template <size_t N>
void AddIo(Record& r, const std::array<uint16_t, N>& pool, size_t count, uint8_t size, Rng& rng) {
    std::array<uint16_t, N> ids = pool;
    for (size_t i = 0; i < count; ++i) {  // partial Fisher-Yates: `count` distinct IDs
        std::swap(ids[i], ids[i + rng.Below(N - i)]);
        r.io.push_back(IoElement{ids[i], size, ValueFor(ids[i], rng), {}});
    }
}

std::vector<Record> MakeRecords(size_t count, Rng& rng) {
    std::vector<Record> records(count);
    // 2024-05-01T00:00:00Z, a fix every 10 s, driving around Vilnius.
    int64_t t_ms = 1714521600000;
    double lat = 54.6872, lon = 25.2797;
    for (Record& r : records) {
        t_ms += 10'000;
        lat += (static_cast<double>(rng.Below(2001)) - 1000) * 1e-6;
        lon += (static_cast<double>(rng.Below(2001)) - 1000) * 1e-6;
        r.device_time = fleet::core::TimePoint{fleet::core::Millis{t_ms}};
        r.lat = lat;
        r.lon = lon;
        r.altitude_m = static_cast<double>(rng.Between(90, 230));
        r.course_deg = static_cast<double>(rng.Below(360));
        r.satellites = static_cast<int>(rng.Between(5, 16));
        r.speed_kmh = static_cast<double>(rng.Below(130));
        bool event = rng.Below(10) == 0;
        fleet::core::SetAttribute(r.attributes, "priority", int64_t{event ? 1 : 0});
        fleet::core::SetAttribute(r.attributes, "event_io_id", int64_t{event ? 239 : 0});
        AddIo(r, kIds1, kCount1, 1, rng);
        AddIo(r, kIds2, kCount2, 2, rng);
        AddIo(r, kIds4, kCount4, 4, rng);
        AddIo(r, kIds8, kCount8, 8, rng);
    }
    return records;
}

[[noreturn]] void Fail(const std::string& why) {
    std::fprintf(stderr, "bench_decode: %s\n", why.c_str());
    std::exit(1);
}

Options ParseArgs(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) Fail("missing value after " + std::string(a));
            return argv[++i];
        };
        if (a == "--packets")
            o.packets = std::stoul(next());
        else if (a == "--runs")
            o.runs = std::stoi(next());
        else if (a == "--min-run-ms")
            o.min_run_ms = std::stoi(next());
        else if (a == "--hex")
            o.hex_path = next();
        else if (a == "--meta")
            o.meta_path = next();
        else
            Fail("unknown argument " + std::string(a) +
                 " (--packets N --runs N --min-run-ms N --hex FILE --meta FILE)");
    }
    if (o.packets == 0 || o.runs < 1 || o.min_run_ms < 1) Fail("counts must be positive");
    return o;
}

// Decodes every packet once and checks the result against what was encoded, so that the timed
// loop measures a decoder that is right about these bytes.
void Verify(const std::vector<std::vector<uint8_t>>& packets, const std::vector<Record>& records) {
    size_t next = 0;
    for (const auto& p : packets) {
        auto d = teltonika::DecodeTcp(p);
        if (!d) Fail("DecodeTcp failed: " + d.error().message);
        if (d->messages.size() != kRecordsPerPacket) Fail("wrong record count");
        for (const auto& m : d->messages) {
            const Record& want = records[next++];
            const Record& got = m.record;
            if (got.device_time != want.device_time || got.io.size() != want.io.size() ||
                got.satellites != want.satellites) {
                Fail("record " + std::to_string(next) + " differs from what was encoded");
            }
            for (size_t i = 0; i < want.io.size(); ++i) {
                if (got.io[i].id != want.io[i].id || got.io[i].value != want.io[i].value) {
                    Fail("IO element differs in record " + std::to_string(next));
                }
            }
        }
    }
}

double Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// CPU time of this process: what the decoding costs on its core, whatever else the machine runs
// (a shared machine takes the core away now and then, which wall time would count).
std::chrono::duration<double> CpuTime() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}

struct Rate {
    double cpu = 0;   // records per CPU second
    double wall = 0;  // records per wall-clock second
};

// Decodes all packets over and over for at least `min_run` of CPU time; records per second.
Rate TimedRun(const std::vector<std::vector<uint8_t>>& packets, std::chrono::milliseconds min_run) {
    using Clock = std::chrono::steady_clock;
    uint64_t records = 0;
    auto wall_start = Clock::now();
    auto cpu_start = CpuTime();
    std::chrono::duration<double> cpu{};
    do {
        for (const auto& p : packets) {
            auto d = teltonika::DecodeTcp(p);
            if (!d) Fail("DecodeTcp failed in the timed loop");
            records += d->messages.size();
        }
        cpu = CpuTime() - cpu_start;
    } while (cpu < min_run);
    std::chrono::duration<double> wall = Clock::now() - wall_start;
    auto n = static_cast<double>(records);
    return {n / cpu.count(), n / wall.count()};
}

}  // namespace

int main(int argc, char** argv) {
    Options opt = ParseArgs(argc, argv);
    Rng rng(kSeed);
    std::vector<Record> records = MakeRecords(opt.packets * kRecordsPerPacket, rng);
    std::vector<std::vector<uint8_t>> packets;
    packets.reserve(opt.packets);
    size_t bytes = 0;
    for (size_t i = 0; i < opt.packets; ++i) {
        std::span<const Record> batch(records.data() + i * kRecordsPerPacket, kRecordsPerPacket);
        packets.push_back(teltonika::EncodeAvlTcp(teltonika::Codec::k8Extended, batch));
        bytes += packets.back().size();
    }
    Verify(packets, records);

    if (!opt.hex_path.empty()) {
        std::ofstream out(opt.hex_path, std::ios::trunc);
        for (const auto& p : packets) out << fleet::core::ToHex(p) << '\n';
        if (!out.flush()) Fail("cannot write " + opt.hex_path);
    }
    if (!opt.meta_path.empty()) {
        // What the baseline must find in the same bytes for the comparison to mean anything.
        std::ofstream out(opt.meta_path, std::ios::trunc);
        out << "{\"seed\": " << kSeed << ", \"packets\": " << packets.size()
            << ", \"records\": " << records.size() << ", \"first_record_time_ms\": "
            << records.front().device_time.time_since_epoch().count()
            << ", \"first_record_io_count\": " << records.front().io.size()
            << ", \"last_record_time_ms\": "
            << records.back().device_time.time_since_epoch().count()
            << ", \"last_record_io_count\": " << records.back().io.size() << "}\n";
        if (!out.flush()) Fail("cannot write " + opt.meta_path);
    }

    std::printf(
        "bench_decode: %zu Codec 8E packets, %zu records, %zu bytes (%.0f bytes a packet)\n",
        packets.size(), records.size(), bytes, static_cast<double>(bytes) / packets.size());
    const std::chrono::milliseconds min_run{opt.min_run_ms};
    TimedRun(packets, min_run);  // warm-up: caches, allocator, branch predictors
    std::vector<double> cpu_rates, wall_rates;
    for (int i = 0; i < opt.runs; ++i) {
        Rate r = TimedRun(packets, min_run);
        cpu_rates.push_back(r.cpu);
        wall_rates.push_back(r.wall);
        std::printf("run %d: %.0f records/s of CPU time, %.0f records/s of wall time\n", i + 1,
                    r.cpu, r.wall);
    }
    std::printf("RESULT records_per_s=%.0f wall_records_per_s=%.0f\n", Median(cpu_rates),
                Median(wall_rates));
    return 0;
}
