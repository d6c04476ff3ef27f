// The load tool's output: samples at the window's ends (the store's counters from /metrics, the
// tool's own CPU) and the JSON report.
#pragma once

#include <string>
#include <string_view>

#include "load.hpp"

namespace fleet::bench {

struct Sample {
    bool ok = false;  // /metrics answered
    Steady::time_point at;
    double tool_cpu_s = 0;      // this process's CPU time (user + system) so far
    double records = 0;         // fleetd_store_records_total
    double commits = 0;         // fleetd_store_commits_total
    double commit_seconds = 0;  // fleetd_store_commit_seconds_total
    double failures = 0;        // fleetd_store_commit_failures_total
};

// The store's counters of a /metrics answer (Prometheus text format); absent ones stay 0.
Sample ParseStoreMetrics(std::string_view text);

// One JSON object: per route and overall (count, errors, requests/s, p50/p99/max ms, bytes and
// items per answer), the live feed (latency p50/p99/max ms, messages), the store during the window,
// the tool's CPU during the window, and whether the watchdog had to cut the run.
std::string ReportJson(const Options& o, const ClientStats& api, const LiveStats& live, const Sample& start,
                       const Sample& end, bool cut);

}  // namespace fleet::bench
