// bench_engine: benchmark 6 (docs/BENCHMARKS.md, "Pipeline engine"). How many positions a second
// does the pure engine (pipeline::Process) take, against a baseline loop over the same points that
// only computes the haversine distance between consecutive ones (the least any distance-aware
// processing costs)?
//
// The points are a month (`--days`, default 30) of one simulated vehicle's 10-second positions
// (`--interval-ms`), made before any clock starts exactly as ingestion sees them: sim::Vehicle
// samples, encoded as Teltonika Codec 8 Extended packets and decoded by teltonika::DecodeTcp, whose
// named attributes (ignition, motion, odometer_m, fuel_level_pct, external_voltage_v, driver_id,
// alarm, dtc_codes) become the engine's Point. The context has `--geofences` geofences (half
// circles, half 8-sided polygons, default 20) over the simulated city, one known badge and the
// default settings. Each measure runs `--runs` times (default 7), the median is reported:
//
//   baseline: haversine      sum of HaversineM over consecutive points
//   engine                   Process over every point from a fresh state, output cleared every
//                            2,000 points (the runner's chunk)
//   engine + checkpoint      the same with StateJson at the end of every chunk and ParseState of it
//
// Before timing, one untimed pass checks that the month's event keys are all distinct (the runner
// upserts events by key). CPU time of the process (CLOCK_PROCESS_CPUTIME_ID) is the main figure:
// the machine is shared.
//
// Usage: bench_engine [--days N] [--interval-ms N] [--geofences N] [--runs N] [--motion-only]
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "pipeline/engine.hpp"
#include "protocol/teltonika/teltonika.hpp"
#include "sim/route.hpp"

namespace {

using namespace fleet;

struct Args {
    int days = 30;
    int interval_ms = 10000;
    int geofences = 20;
    int runs = 7;
    bool motion_only = false;  // drop the ignition: trips by speed (as devices without ignition)
};

Args ParseArgs(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; i += 2) {
        if (std::strcmp(argv[i], "--motion-only") == 0) {
            a.motion_only = true;
            --i;
            continue;
        }
        if (i + 1 >= argc) {
            fmt::print(stderr, "bench_engine: {} needs a value\n", argv[i]);
            std::exit(2);
        }
        int v = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--days") == 0)
            a.days = v;
        else if (std::strcmp(argv[i], "--interval-ms") == 0)
            a.interval_ms = v;
        else if (std::strcmp(argv[i], "--geofences") == 0)
            a.geofences = v;
        else if (std::strcmp(argv[i], "--runs") == 0)
            a.runs = v;
        else {
            fmt::print(stderr, "bench_engine: unknown option {}\n", argv[i]);
            std::exit(2);
        }
    }
    if (a.days < 1 || a.interval_ms < 100 || a.geofences < 0 || a.runs < 1) {
        fmt::print(stderr, "bench_engine: bad option value\n");
        std::exit(2);
    }
    return a;
}

std::optional<double> Number(const core::AttrValue& v) {
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    return std::nullopt;
}

pipeline::Point ToPoint(const core::Record& r) {
    pipeline::Point p;
    p.time = r.device_time;
    p.lat = r.lat;
    p.lon = r.lon;
    p.speed_kmh = r.speed_kmh;
    p.course_deg = r.course_deg;
    p.valid = r.valid;
    for (const auto& a : r.attributes) {
        const auto* b = std::get_if<bool>(&a.value);
        const auto* s = std::get_if<std::string>(&a.value);
        if (a.name == "ignition" && b)
            p.ignition = *b;
        else if (a.name == "motion" && b)
            p.motion = *b;
        else if (a.name == "odometer_m")
            p.odometer_m = Number(a.value);
        else if (a.name == "fuel_used_l")
            p.fuel_used_l = Number(a.value);
        else if (a.name == "fuel_level_l")
            p.fuel_level_l = Number(a.value);
        else if (a.name == "fuel_level_pct")
            p.fuel_level_pct = Number(a.value);
        else if (a.name == "external_voltage_v")
            p.external_voltage_v = Number(a.value);
        else if (a.name == "driver_id" && s)
            p.driver_badge = *s;
        else if (a.name == "alarm" && s)
            p.alarm = *s;
        else if (a.name == "dtc_codes" && s)
            p.dtc_codes = *s;
    }
    return p;
}

std::vector<pipeline::Point> MakePoints(const Args& a) {
    namespace teltonika = protocol::teltonika;
    sim::City city(1);
    sim::Vehicle vehicle(city, 1, 0);
    const auto step = std::chrono::milliseconds(a.interval_ms);
    const auto start = core::TimePoint{std::chrono::milliseconds{1772323200000}};  // 2026-03-01
    const size_t n = static_cast<size_t>(int64_t{a.days} * 86400000 / a.interval_ms);
    std::vector<pipeline::Point> points;
    points.reserve(n);
    std::vector<core::Record> batch(50);
    for (size_t i = 0; i < n; i += batch.size()) {
        size_t k = std::min(batch.size(), n - i);
        for (size_t j = 0; j < k; ++j) {
            vehicle.Advance(step);
            vehicle.Fill(batch[j], start + step * static_cast<int64_t>(i + j));
        }
        auto frame =
            teltonika::EncodeAvlTcp(teltonika::Codec::k8Extended, std::span(batch.data(), k));
        auto decoded = teltonika::DecodeTcp(core::Bytes(frame.data(), frame.size()));
        if (!decoded) {
            fmt::print(stderr, "bench_engine: cannot decode a simulated packet: {}\n",
                       decoded.error().message);
            std::exit(1);
        }
        for (const auto& m : decoded->messages) {
            points.push_back(ToPoint(m.record));
            if (a.motion_only) points.back().ignition.reset();
        }
    }
    return points;
}

pipeline::Context MakeContext(const Args& a, const std::vector<pipeline::Point>& points) {
    pipeline::Context c;
    c.device_id = 1;
    c.vehicle_speed_limit_kmh = 50;
    // The first badge the vehicle's drivers swipe is known, the others are not.
    for (const auto& p : points) {
        if (p.driver_badge) {
            c.badges.emplace_back(*p.driver_badge, 1);
            break;
        }
    }
    // Geofences where the vehicle goes: centred on points spread over the month.
    std::vector<pipeline::Geofence> list;
    for (int g = 0; g < a.geofences; ++g) {
        const auto& at =
            points[points.size() * static_cast<size_t>(g) / static_cast<size_t>(a.geofences)];
        pipeline::Geofence f;
        f.id = g + 1;
        if (g % 2 == 0) {
            f.circle = true;
            f.center_lat = at.lat;
            f.center_lon = at.lon;
            f.radius_m = 150 + 50 * (g % 5);
        } else {
            for (int v = 0; v < 8; ++v) {
                double ang = v * std::numbers::pi / 4;
                f.ring.emplace_back(at.lat + 0.003 * std::sin(ang), at.lon + 0.004 * std::cos(ang));
            }
            f.speed_limit_kmh = 30;
        }
        list.push_back(std::move(f));
    }
    c.geofences = pipeline::GeofenceList(std::move(list));
    return c;
}

double CpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Measure {
    double cpu_s = 0, wall_s = 0;
};

Measure Median(int runs, const std::function<void()>& f) {
    std::vector<Measure> ms;
    for (int r = 0; r < runs; ++r) {
        auto w0 = std::chrono::steady_clock::now();
        double c0 = CpuSeconds();
        f();
        ms.push_back(
            {CpuSeconds() - c0,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count()});
    }
    std::sort(ms.begin(), ms.end(),
              [](const Measure& x, const Measure& y) { return x.cpu_s < y.cpu_s; });
    return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    Args a = ParseArgs(argc, argv);
    auto points = MakePoints(a);
    auto ctx = MakeContext(a, points);
    constexpr size_t kChunk = 2000;

    // Untimed: the month's event keys are unique (the runner upserts events by key).
    {
        pipeline::State st;
        pipeline::Output out;
        std::set<std::string> keys;
        size_t n_events = 0;
        for (const auto& p : points) pipeline::Process(ctx, st, p, out);
        for (const auto& e : out.events) keys.insert(e.key());
        n_events = out.events.size();
        if (keys.size() != n_events) {
            fmt::print(stderr, "bench_engine: {} events but {} distinct keys\n", n_events,
                       keys.size());
            return 1;
        }
    }

    volatile double sink = 0;
    Measure base = Median(a.runs, [&] {
        double d = 0;
        for (size_t i = 1; i < points.size(); ++i) {
            d += pipeline::HaversineM(points[i - 1].lat, points[i - 1].lon, points[i].lat,
                                      points[i].lon);
        }
        sink = d;
    });

    std::map<std::string, int> by_type;
    size_t trips = 0, stops = 0, events = 0, visits = 0;
    double odometer = 0;
    Measure engine = Median(a.runs, [&] {
        pipeline::State st;
        pipeline::Output out;
        trips = stops = events = visits = 0;
        by_type.clear();
        for (size_t i = 0; i < points.size(); ++i) {
            pipeline::Process(ctx, st, points[i], out);
            if ((i + 1) % kChunk == 0 || i + 1 == points.size()) {
                trips += out.trips.size();
                stops += out.stops.size();
                events += out.events.size();
                for (const auto& e : out.events) ++by_type[e.type];
                visits += out.visits.size();
                odometer = out.odometer_m;
                out = pipeline::Output{};
            }
        }
    });

    size_t state_bytes = 0;
    Measure checkpoint = Median(a.runs, [&] {
        pipeline::State st;
        pipeline::Output out;
        for (size_t i = 0; i < points.size(); ++i) {
            pipeline::Process(ctx, st, points[i], out);
            if ((i + 1) % kChunk == 0 || i + 1 == points.size()) {
                std::string json = pipeline::StateJson(st);
                state_bytes = std::max(state_bytes, json.size());
                auto back = pipeline::ParseState(json);
                if (!back) std::abort();
                st = std::move(*back);
                out = pipeline::Output{};
            }
        }
    });

    double n = static_cast<double>(points.size());
    fmt::print("points: {} ({} days of {} ms positions, one simulated vehicle), {} geofences\n",
               points.size(), a.days, a.interval_ms, a.geofences);
    fmt::print(
        "derived: {} trips, {} stops, {} events, {} visit rows, {:.1f} km; largest state {} "
        "bytes\n",
        trips, stops, events, visits, odometer / 1000, state_bytes);
    std::string types;
    for (const auto& [t, c] : by_type) types += fmt::format(" {} {}", t, c);
    fmt::print("events by type:{}\n", types);
    fmt::print("{:<28} {:>14} {:>14} {:>12}\n", "measure (median of runs)", "points/s (CPU)",
               "points/s (wall)", "ns/point");
    auto row = [&](const char* name, const Measure& m) {
        fmt::print("{:<28} {:>14.0f} {:>14.0f} {:>12.1f}\n", name, n / m.cpu_s, n / m.wall_s,
                   m.cpu_s / n * 1e9);
    };
    row("baseline: haversine", base);
    row("engine", engine);
    row("engine + checkpoint", checkpoint);
    fmt::print("engine / baseline time: {:.1f}x\n", engine.cpu_s / base.cpu_s);
    fmt::print("engine vs the ingestion goal (100,000 records/s): {:.1f}x\n",
               n / engine.cpu_s / 100000);
    return 0;
}
