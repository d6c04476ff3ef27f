// What a simulation run counts while it runs: a latency histogram and the Report's counters, plus
// the distinct kinds of error. Thread-compatible: one io_context thread updates a Stats.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/sim.hpp"

namespace fleet::sim {

// A fixed-precision log-linear histogram of durations in microseconds: exact below 64 µs, then 32
// buckets per power of two (relative error under 1/32). Memory grows with the largest value only
// (about 9 KB for an hour). Percentiles are bucket upper bounds, never above the largest value.
class LatencyHistogram {
public:
    void Add(std::chrono::microseconds latency);
    // Adds every sample of `other` (histograms filled on different threads, merged at the end).
    void Merge(const LatencyHistogram& other);
    uint64_t count() const { return count_; }
    // The smallest bucket bound at or below which a fraction q (in (0, 1]) of the samples lie; 0
    // when there are none.
    std::chrono::microseconds Percentile(double q) const;
    std::chrono::microseconds max() const { return std::chrono::microseconds(max_); }

private:
    static size_t Bucket(uint64_t us);
    static uint64_t UpperBound(size_t bucket);

    std::vector<uint64_t> counts_;
    uint64_t count_ = 0;
    uint64_t max_ = 0;
};

class Stats {
public:
    // The counters of the Report being built; the caller increments them directly.
    Report& counters() { return report_; }
    LatencyHistogram& latency() { return latency_; }

    // Counts one problem of kind `kind` ("ack timeout", "wrong ack: ...") in the counter given.
    void Error(std::string_view kind) { Note(report_.errors, kind); }
    void ConnectFailure(std::string_view kind) { Note(report_.connect_failures, kind); }
    void Refused(std::string_view kind) { Note(report_.refused, kind); }

    // A handshake completed / an established connection ended.
    void Established();
    void Closed();
    // Remembers how many connections are open now as Report::connections_open.
    void SnapshotOpen() { report_.connections_open = open_; }

    // The final report: counters, latency percentiles, error kinds by count.
    Report Finish(double seconds) const;

    static constexpr size_t kMaxErrorKinds = 16;

private:
    void Note(uint64_t& counter, std::string_view kind);

    Report report_;
    LatencyHistogram latency_;
    std::map<std::string, uint64_t, std::less<>> kinds_;
    uint64_t open_ = 0;
};

}  // namespace fleet::sim
