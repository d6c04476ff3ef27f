#include "report.hpp"

#include <fmt/format.h>


#include "core/json.hpp"

namespace fleet::bench {
namespace {

double Ms(std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; }

std::string Latency(const sim::LatencyHistogram& h) {
    return fmt::format(R"("p50_ms":{:.1f},"p99_ms":{:.1f},"max_ms":{:.1f})", Ms(h.Percentile(0.5)),
                       Ms(h.Percentile(0.99)), Ms(h.max()));
}

std::string Text(std::string_view s) {
    std::string out;
    core::AppendJsonString(out, s);
    return out;
}

}  // namespace

Sample ParseStoreMetrics(std::string_view text) {
    Sample s;
    const std::pair<std::string_view, double Sample::*> wanted[] = {
        {"fleetd_store_records_total", &Sample::records},
        {"fleetd_store_commits_total", &Sample::commits},
        {"fleetd_store_commit_seconds_total", &Sample::commit_seconds},
        {"fleetd_store_commit_failures_total", &Sample::failures},
    };
    while (!text.empty()) {
        size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        for (const auto& [name, field] : wanted) {
            if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ' ') {
                std::string value(line.substr(name.size() + 1));
                s.*field = std::strtod(value.c_str(), nullptr);
            }
        }
    }
    return s;
}

std::string ReportJson(const Options& o, const ClientStats& api, const LiveStats& live, const Sample& start,
                       const Sample& end, bool cut) {
    const double window_s = std::chrono::duration<double>(o.duration).count();
    std::string out = fmt::format(R"({{"window_s":{:.1f},"clients":{},"subscribers":{},"think_ms":{},"history_s":{},)",
                                  window_s, o.clients, o.subscribers, o.think.count(), o.history.count());
    out += fmt::format(R"("api":{{"signed_in":{},"sign_in_failures":{},"first_sign_in_error":{},"reconnects":{},"routes":{{)",
                       api.signed_in, api.sign_in_failures, Text(api.first_sign_in_error), api.reconnects);
    sim::LatencyHistogram overall;
    uint64_t errors = 0;
    for (int r = 0; r < kRouteCount; ++r) {
        const RouteStats& s = api.routes[r];
        const uint64_t n = s.latency.count();
        overall.Merge(s.latency);
        errors += s.errors;
        out += fmt::format(R"({}"{}":{{"count":{},"per_s":{:.1f},{},"errors":{},"first_error":{},"bytes_avg":{:.0f},"items_avg":{:.1f}}})",
                           r ? "," : "", kRouteNames[r], n, static_cast<double>(n) / window_s, Latency(s.latency),
                           s.errors, Text(s.first_error), n ? static_cast<double>(s.bytes) / static_cast<double>(n) : 0.0,
                           n ? static_cast<double>(s.items) / static_cast<double>(n) : 0.0);
    }
    out += fmt::format(R"(}},"overall":{{"count":{},"per_s":{:.1f},{},"errors":{}}}}},)", overall.count(),
                       static_cast<double>(overall.count()) / window_s, Latency(overall), errors);
    out += fmt::format(R"("live":{{"signed_in":{},"opened":{},"ready":{},"vehicles":{},"positions":{},"per_s":{:.1f},{},)",
                       live.signed_in, live.opened, live.ready, live.vehicles, live.positions,
                       static_cast<double>(live.positions) / window_s, Latency(live.latency));
    out += fmt::format(R"("positions_total":{},"negative":{},"clean_closes":{},"errors":{},"first_error":{}}},)",
                       live.positions_total, live.negative, live.clean_closes, live.errors, Text(live.first_error));
    const double store_s = std::chrono::duration<double>(end.at - start.at).count();
    const bool store_ok = start.ok && end.ok && store_s > 0;
    out += fmt::format(R"("store":{{"ok":{},"seconds":{:.2f},"records":{:.0f},"records_per_s":{:.0f},"commits":{:.0f},)",
                       store_ok, store_s, end.records - start.records,
                       store_ok ? (end.records - start.records) / store_s : 0.0, end.commits - start.commits);
    out += fmt::format(R"("commit_seconds":{:.2f},"commit_failures":{:.0f}}},"tool_cpu_s":{:.1f},"cut_by_watchdog":{}}})",
                       end.commit_seconds - start.commit_seconds, end.failures - start.failures,
                       end.tool_cpu_s - start.tool_cpu_s, cut);
    return out;
}

}  // namespace fleet::bench
