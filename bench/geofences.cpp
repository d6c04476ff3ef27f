// bench_geofences: benchmark 8 (docs/BENCHMARKS.md). What does checking a geofence's GeoJSON cost —
// above all the ring's self-intersection test, which compares every pair of edges — against a
// baseline measured in the same run: parsing the same JSON text and reading its positions once.
//
// Rings are regular polygons (no edge crosses another: the worst case, every pair is compared) of
// 100, 1,000 and 5,000 positions (kMaxRingPositions, the most a ring may have), and an import of
// 1,000 circles (kMaxImportFeatures). Each measure runs `--runs` times (default 9); the median is
// reported.
//
// Usage: bench_geofences [--runs N]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "api/detail/geojson.hpp"

namespace {

using namespace fleet;
using Clock = std::chrono::steady_clock;

std::string Ring(size_t positions) {
    std::string out = R"({"type":"Polygon","coordinates":[[)";
    size_t n = positions - 1;  // the last closes the ring
    for (size_t i = 0; i <= n; ++i) {
        double a = 2 * M_PI * static_cast<double>(i % n) / static_cast<double>(n);
        out += fmt::format("{}[{:.7f},{:.7f}]", i ? "," : "", 2.35 + 0.05 * std::cos(a),
                           48.85 + 0.03 * std::sin(a));
    }
    return out + "]]}";
}

std::string Import(size_t features) {
    std::string out = R"({"type":"FeatureCollection","features":[)";
    for (size_t i = 0; i < features; ++i) {
        out += fmt::format(
            R"({}{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{:.6f},48.85]}},)"
            R"("properties":{{"name":"Site {}","radius_m":150}}}})",
            i ? "," : "", 2.0 + static_cast<double>(i) * 1e-3, i);
    }
    return out + "]}";
}

double MedianMs(int runs, const std::function<void()>& fn) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        auto t0 = Clock::now();
        fn();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

// The baseline: the JSON parsed and every coordinate read once.
double Baseline(const std::string& text) {
    auto v = boost::json::parse(text);
    double sum = 0;
    std::function<void(const boost::json::value&)> walk = [&](const boost::json::value& x) {
        if (x.is_array()) {
            for (const auto& e : x.as_array()) walk(e);
        } else if (x.is_object()) {
            for (const auto& kv : x.as_object()) walk(kv.value());
        } else if (x.is_number()) {
            sum += x.to_number<double>();
        }
    };
    walk(v);
    return sum;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 9;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
    }
    fmt::print("{:<34} {:>10} {:>12} {:>12} {:>8}\n", "geometry", "bytes", "baseline ms",
               "checked ms", "ratio");
    volatile double sink = 0;
    for (size_t n : {size_t{100}, size_t{1000}, api::detail::kMaxRingPositions}) {
        std::string text = Ring(n);
        double base = MedianMs(runs, [&] { sink = sink + Baseline(text); });
        double checked = MedianMs(runs, [&] {
            auto g = api::detail::ParseGeometry(boost::json::parse(text));
            if (!std::holds_alternative<api::detail::Geometry>(g)) {
                fmt::print(stderr, "refused: {}\n", std::get<std::string>(g));
                std::exit(1);
            }
        });
        fmt::print("{:<34} {:>10} {:>12.3f} {:>12.3f} {:>7.1f}x\n",
                   fmt::format("polygon, {} positions", n), text.size(), base, checked,
                   checked / base);
    }
    std::string text = Import(api::detail::kMaxImportFeatures);
    double base = MedianMs(runs, [&] { sink = sink + Baseline(text); });
    double checked = MedianMs(runs, [&] {
        auto parsed = api::detail::ParseFeatureCollection(boost::json::parse(text));
        if (!parsed.errors.empty()) {
            fmt::print(stderr, "refused: {}\n", parsed.errors.front().detail);
            std::exit(1);
        }
    });
    fmt::print("{:<34} {:>10} {:>12.3f} {:>12.3f} {:>7.1f}x\n", "import, 1,000 circles",
               text.size(), base, checked, checked / base);
    return 0;
}
