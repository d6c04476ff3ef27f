#include "sim/stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/json.hpp"

namespace fleet::sim {

void LatencyHistogram::Add(std::chrono::microseconds latency) {
    uint64_t us = static_cast<uint64_t>(std::max<int64_t>(latency.count(), 0));
    size_t b = Bucket(us);
    if (b >= counts_.size()) counts_.resize(b + 1);
    ++counts_[b];
    ++count_;
    max_ = std::max(max_, us);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
    if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size());
    for (size_t b = 0; b < other.counts_.size(); ++b) counts_[b] += other.counts_[b];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
}

size_t LatencyHistogram::Bucket(uint64_t us) {
    if (us < 64) return static_cast<size_t>(us);
    int shift = std::bit_width(us) - 6;  // keeps the top 6 bits: a mantissa in 32..63
    uint64_t mantissa = us >> shift;
    return 64 + static_cast<size_t>(shift - 1) * 32 + static_cast<size_t>(mantissa - 32);
}

uint64_t LatencyHistogram::UpperBound(size_t bucket) {
    if (bucket < 64) return bucket;
    int shift = static_cast<int>((bucket - 64) / 32) + 1;
    uint64_t mantissa = (bucket - 64) % 32 + 32;
    return ((mantissa + 1) << shift) - 1;
}

std::chrono::microseconds LatencyHistogram::Percentile(double q) const {
    if (count_ == 0) return std::chrono::microseconds(0);
    auto rank =
        static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
    rank = std::max<uint64_t>(rank, 1);
    uint64_t seen = 0;
    for (size_t b = 0; b < counts_.size(); ++b) {
        seen += counts_[b];
        if (seen >= rank) return std::chrono::microseconds(std::min(UpperBound(b), max_));
    }
    return std::chrono::microseconds(max_);
}

void Stats::Established() {
    ++report_.connections_established;
    ++open_;
    report_.connections_peak = std::max(report_.connections_peak, open_);
}

void Stats::Closed() {
    if (open_ > 0) --open_;
}

void Stats::Note(uint64_t& counter, std::string_view kind) {
    ++counter;
    auto it = kinds_.find(kind);
    if (it != kinds_.end()) {
        ++it->second;
    } else if (kinds_.size() < kMaxErrorKinds) {
        kinds_.emplace(std::string(kind), 1);
    } else {
        ++kinds_["other"];
    }
}

Report Stats::Finish(double seconds) const {
    Report r = report_;
    r.seconds = seconds;
    auto ms = [](std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000; };
    r.latency_p50_ms = ms(latency_.Percentile(0.50));
    r.latency_p90_ms = ms(latency_.Percentile(0.90));
    r.latency_p99_ms = ms(latency_.Percentile(0.99));
    r.latency_max_ms = ms(latency_.max());
    r.error_kinds.assign(kinds_.begin(), kinds_.end());
    std::stable_sort(r.error_kinds.begin(), r.error_kinds.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return r;
}

std::string Report::ToText() const {
    std::string out =
        fmt::format("simulated {} {} device(s) for {:.1f} s\n", devices, protocol, seconds);
    fmt::format_to(std::back_inserter(out), "  packets      sent {}  acked {}\n", packets_sent,
                   packets_acked);
    fmt::format_to(std::back_inserter(out), "  records      sent {}  acked {}  ({:.1f} acked/s)\n",
                   records_sent, records_acked, RecordsPerSecond());
    fmt::format_to(std::back_inserter(out),
                   "  ack latency  p50 {:.3f} ms  p90 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms\n",
                   latency_p50_ms, latency_p90_ms, latency_p99_ms, latency_max_ms);
    fmt::format_to(std::back_inserter(out),
                   "  connections  established {}  open at stop {}  peak {}  connect failures {}  "
                   "refused {}\n",
                   connections_established, connections_open, connections_peak, connect_failures,
                   refused);
    fmt::format_to(std::back_inserter(out), "  errors       {}\n", errors);
    for (const auto& [kind, count] : error_kinds)
        fmt::format_to(std::back_inserter(out), "    {:>8}  {}\n", count, kind);
    return out;
}

std::string Report::ToJson() const {
    std::string out = "{\"protocol\":";
    core::AppendJsonString(out, protocol);
    auto field = [&out](std::string_view name, double value) {
        out += ",\"";
        out += name;
        out += "\":";
        core::AppendJsonNumber(out, value);
    };
    auto rounded = [](double v, double per_unit) { return std::round(v * per_unit) / per_unit; };
    field("devices", devices);
    field("seconds", rounded(seconds, 1000));
    field("packets_sent", static_cast<double>(packets_sent));
    field("packets_acked", static_cast<double>(packets_acked));
    field("records_sent", static_cast<double>(records_sent));
    field("records_acked", static_cast<double>(records_acked));
    field("records_per_s", rounded(RecordsPerSecond(), 10));
    field("errors", static_cast<double>(errors));
    field("connect_failures", static_cast<double>(connect_failures));
    field("refused", static_cast<double>(refused));
    field("connections_established", static_cast<double>(connections_established));
    field("connections_open", static_cast<double>(connections_open));
    field("connections_peak", static_cast<double>(connections_peak));
    field("latency_p50_ms", rounded(latency_p50_ms, 1000));
    field("latency_p90_ms", rounded(latency_p90_ms, 1000));
    field("latency_p99_ms", rounded(latency_p99_ms, 1000));
    field("latency_max_ms", rounded(latency_max_ms, 1000));
    out += ",\"error_kinds\":{";
    for (size_t i = 0; i < error_kinds.size(); ++i) {
        if (i > 0) out += ',';
        core::AppendJsonString(out, error_kinds[i].first);
        out += ':';
        core::AppendJsonNumber(out, static_cast<double>(error_kinds[i].second));
    }
    out += "}}";
    return out;
}

}  // namespace fleet::sim
